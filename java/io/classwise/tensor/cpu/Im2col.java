package io.classwise.tensor.cpu;

import io.classwise.tensor.ConvGeometry;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Unrolls one image's receptive fields into columns, and the transpose operation folding them back.
 * The loops run on heap arrays (bounds-check-eliminated, vectorisable) with one bulk copy in and one
 * out of off-heap memory; element-wise access to a direct buffer was the convolution's bottleneck.
 */
final class Im2col {
    private Im2col() {}

    /** Heap scratch of one worker thread: an image (C·H·W) and its columns (C·R·S·P·Q). */
    static final class Scratch {
        float[] image = new float[0], cols = new float[0];

        void ensure(int imageFloats, int colFloats) {
            if (image.length < imageFloats) image = new float[imageFloats];
            if (cols.length < colFloats) cols = new float[colFloats];
        }
    }

    /** cols (C·R·S, P·Q) ← x[xOff..] (C, H, W); padding reads as zero. */
    static void im2col(FloatBuffer x, int xOff, ConvGeometry g, FloatBuffer colsOut, Scratch s) {
        int P = g.p(), Q = g.q(), H = g.h(), W = g.w(), st = g.stride(), pad = g.pad(), R = g.r(), S = g.s();
        int chw = g.c() * H * W, total = g.c() * R * S * P * Q;
        s.ensure(chw, total);
        float[] img = s.image, cols = s.cols;
        x.get(xOff, img, 0, chw);
        int out = 0;
        for (int c = 0; c < g.c(); c++) {
            int plane = c * H * W;
            for (int r = 0; r < R; r++) {
                for (int t = 0; t < S; t++) {
                    // Valid output columns q satisfy 0 ≤ q·st − pad + t < W.
                    int qLo = Math.max(0, ceilDiv(pad - t, st)), qHi = Math.min(Q, ceilDiv(W + pad - t, st));
                    for (int p = 0; p < P; p++) {
                        int ih = p * st - pad + r;
                        if (ih < 0 || ih >= H || qLo >= qHi) {
                            Arrays.fill(cols, out, out + Q, 0f);
                            out += Q;
                            continue;
                        }
                        int line = plane + ih * W - pad + t;
                        for (int q = 0; q < qLo; q++) cols[out + q] = 0f;
                        if (st == 1) System.arraycopy(img, line + qLo, cols, out + qLo, qHi - qLo);
                        else for (int q = qLo; q < qHi; q++) cols[out + q] = img[line + q * st];
                        for (int q = qHi; q < Q; q++) cols[out + q] = 0f;
                        out += Q;
                    }
                }
            }
        }
        colsOut.put(0, cols, 0, total);
    }

    /** dx[dxOff..] (C, H, W) ← Σ of the columns folded back (overwrites that image). */
    static void col2im(FloatBuffer colsIn, ConvGeometry g, FloatBuffer dx, int dxOff, Scratch s) {
        int P = g.p(), Q = g.q(), H = g.h(), W = g.w(), st = g.stride(), pad = g.pad(), R = g.r(), S = g.s();
        int chw = g.c() * H * W, total = g.c() * R * S * P * Q;
        s.ensure(chw, total);
        float[] img = s.image, cols = s.cols;
        colsIn.get(0, cols, 0, total);
        Arrays.fill(img, 0, chw, 0f);
        int in = 0;
        for (int c = 0; c < g.c(); c++) {
            int plane = c * H * W;
            for (int r = 0; r < R; r++) {
                for (int t = 0; t < S; t++) {
                    int qLo = Math.max(0, ceilDiv(pad - t, st)), qHi = Math.min(Q, ceilDiv(W + pad - t, st));
                    for (int p = 0; p < P; p++, in += Q) {
                        int ih = p * st - pad + r;
                        if (ih < 0 || ih >= H) continue;
                        int line = plane + ih * W - pad + t;
                        for (int q = qLo; q < qHi; q++) img[line + q * st] += cols[in + q];
                    }
                }
            }
        }
        dx.put(dxOff, img, 0, chw);
    }

    /** ⌈a / b⌉ for b > 0 and any sign of a. */
    private static int ceilDiv(int a, int b) { return -Math.floorDiv(-a, b); }
}
