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
}
