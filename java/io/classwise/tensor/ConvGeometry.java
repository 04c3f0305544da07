package io.classwise.tensor;

/**
 * Shape bookkeeping of one 2-D convolution: input (N, C, H, W), weight (K, C, R, S), output
 * (N, K, P, Q) with P = (H + 2·pad − R) / stride + 1. Square padding and stride, as in every model here.
 */
public record ConvGeometry(int n, int c, int h, int w, int k, int r, int s, int stride, int pad) {
    public ConvGeometry {
        if (stride < 1 || pad < 0 || r < 1 || s < 1) throw new IllegalArgumentException("bad convolution " + this);
        if (h + 2 * pad < r || w + 2 * pad < s) {
            throw new IllegalArgumentException("kernel " + r + "x" + s + " larger than padded input " + h + "x" + w);
        }
    }
    public int p() { return (h + 2 * pad - r) / stride + 1; }
    public int q() { return (w + 2 * pad - s) / stride + 1; }
    public int[] inputShape() { return new int[] {n, c, h, w}; }
    public int[] weightShape() { return new int[] {k, c, r, s}; }
    public int[] outputShape() { return new int[] {n, k, p(), q()}; }
    /** Multiply-adds × 2 of the forward pass. */
    public double flops() { return 2.0 * n * k * p() * q() * c * r * s; }

    /** Every backend's argument check: x (N, C, H, W), w (K, C, R, S) and y (N, K, P, Q) have this geometry's shapes. */
    public void requireShapes(Tensor x, Tensor w, Tensor y) {
        if (!x.hasShape(inputShape())) throw new IllegalArgumentException("conv input " + x + " does not match " + this);
        if (!w.hasShape(weightShape())) throw new IllegalArgumentException("conv weight " + w + " does not match " + this);
        if (!y.hasShape(outputShape())) throw new IllegalArgumentException("conv output " + y + " does not match " + this);
    }
}
