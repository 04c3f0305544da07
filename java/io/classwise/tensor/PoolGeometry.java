package io.classwise.tensor;

/** Shape bookkeeping of 2-D max/average pooling over (N, C, H, W) with a square window. */
public record PoolGeometry(int n, int c, int h, int w, int kernel, int stride, int pad) {
    public PoolGeometry {
        if (kernel < 1 || stride < 1 || pad < 0 || 2 * pad > kernel) throw new IllegalArgumentException("bad pooling " + this);
        if (h + 2 * pad < kernel || w + 2 * pad < kernel) throw new IllegalArgumentException("window larger than input in " + this);
    }
    public int p() { return (h + 2 * pad - kernel) / stride + 1; }
    public int q() { return (w + 2 * pad - kernel) / stride + 1; }
    public int[] outputShape() { return new int[] {n, c, p(), q()}; }

    /** Every backend's argument check: x (N, C, H, W) and y (N, C, P, Q) have this geometry's shapes. */
    public void requireShapes(Tensor x, Tensor y) {
        if (!x.hasShape(n, c, h, w)) throw new IllegalArgumentException("pool input " + x + " does not match " + this);
        if (!y.hasShape(outputShape())) throw new IllegalArgumentException("pool output " + y + " does not match " + this);
    }
}
