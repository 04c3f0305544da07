package io.classwise.tensor;

/**
 * The shapes of a zero padding: planes = N·C, a (planes, h, w) tensor inside a (planes, hp, wp) one.
 * {@link #of} checks that the small tensor fits at the corner (top, left).
 */
public record PadGeometry(int planes, int h, int w, int hp, int wp) {

    /** small (N, C, H, W) inside large (N, C, H', W') at (top, left); op names the caller in the error. */
    public static PadGeometry of(Tensor small, Tensor large, int top, int left, String op) {
        if (small.rank() != 4 || large.rank() != 4 || small.dim(0) != large.dim(0) || small.dim(1) != large.dim(1)
                || top < 0 || left < 0 || top + small.dim(2) > large.dim(2) || left + small.dim(3) > large.dim(3)) {
            throw new IllegalArgumentException(op + ": " + small + " does not fit into " + large + " at (" + top + ", " + left + ")");
        }
        return new PadGeometry(small.dim(0) * small.dim(1), small.dim(2), small.dim(3), large.dim(2), large.dim(3));
    }
}
