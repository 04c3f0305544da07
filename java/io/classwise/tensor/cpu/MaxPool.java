package io.classwise.tensor.cpu;

import io.classwise.tensor.PoolGeometry;

/**
 * Max pooling on heap arrays holding whole (H, W) planes: a straight 2×2/stride-2 path (every
 * network here pools that way) and the general window. Ties go to the first maximum in window
 * order, as in {@code ReferenceBackend}, so the backward pass routes gradients identically.
 */
final class MaxPool {
    private MaxPool() {}

    private static boolean isTwoByTwo(PoolGeometry g) { return g.kernel() == 2 && g.stride() == 2 && g.pad() == 0; }

    /** y (planes, P, Q) = max over each window of x (planes, H, W); relu: then max(·, 0). */
    static void forward(float[] x, float[] y, int planes, PoolGeometry g, boolean relu) {
        int H = g.h(), W = g.w(), P = g.p(), Q = g.q();
        float floor = relu ? 0f : Float.NEGATIVE_INFINITY;
        if (isTwoByTwo(g)) {
            for (int c = 0; c < planes; c++)
                for (int p = 0; p < P; p++) {
                    int row = (c * H + 2 * p) * W, out = (c * P + p) * Q;
                    for (int q = 0; q < Q; q++) {
                        int i = row + 2 * q;
                        y[out + q] = Math.max(floor, Math.max(Math.max(x[i], x[i + 1]), Math.max(x[i + W], x[i + W + 1])));
                    }
                }
            return;
        }
        for (int c = 0; c < planes; c++)
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++) y[(c * P + p) * Q + q] = Math.max(floor, x[argmax(x, c, p, q, g)]);
    }

    /** dx (planes, H, W) = dy routed to each window's maximum of x; zero elsewhere; relu: not where the maximum is ≤ 0. */
    static void backward(float[] x, float[] dy, float[] dx, int planes, PoolGeometry g, boolean relu) {
        int H = g.h(), W = g.w(), P = g.p(), Q = g.q();
        java.util.Arrays.fill(dx, 0, planes * H * W, 0f);
        if (isTwoByTwo(g)) {
            for (int c = 0; c < planes; c++)
                for (int p = 0; p < P; p++) {
                    int row = (c * H + 2 * p) * W, out = (c * P + p) * Q;
                    for (int q = 0; q < Q; q++) {
                        int i = row + 2 * q, arg = i;
                        float m = x[i];
                        if (x[i + 1] > m) { m = x[i + 1]; arg = i + 1; }
                        if (x[i + W] > m) { m = x[i + W]; arg = i + W; }
                        if (x[i + W + 1] > m) { m = x[i + W + 1]; arg = i + W + 1; }
                        if (!relu || m > 0) dx[arg] = dy[out + q];
                    }
                }
            return;
        }
        for (int c = 0; c < planes; c++)
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++) {
                    int arg = argmax(x, c, p, q, g);
                    if (!relu || x[arg] > 0) dx[arg] += dy[(c * P + p) * Q + q];
                }
    }

    /** Index in x of the first maximum of window (p, q) of plane c. */
    private static int argmax(float[] x, int c, int p, int q, PoolGeometry g) {
        int arg = -1;
        float m = Float.NEGATIVE_INFINITY;
        for (int r = 0; r < g.kernel(); r++) {
            int ih = p * g.stride() - g.pad() + r;
            if (ih < 0 || ih >= g.h()) continue;
            for (int t = 0; t < g.kernel(); t++) {
                int iw = q * g.stride() - g.pad() + t;
                if (iw < 0 || iw >= g.w()) continue;
                int j = (c * g.h() + ih) * g.w() + iw;
                if (arg < 0 || x[j] > m) { m = x[j]; arg = j; }
            }
        }
        return arg;
    }
}
