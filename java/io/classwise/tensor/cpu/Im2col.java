package io.classwise.tensor.cpu;

import io.classwise.tensor.ConvGeometry;

import java.nio.FloatBuffer;

/** Unrolls one image's receptive fields into columns, and the transpose operation folding them back. */
final class Im2col {
    private Im2col() {}

    /** cols (C·R·S, P·Q) ← x[xOff..] (C, H, W); padding reads as zero. */
    static void im2col(FloatBuffer x, int xOff, ConvGeometry g, FloatBuffer cols) {
        int P = g.p(), Q = g.q(), H = g.h(), W = g.w(), st = g.stride(), pad = g.pad();
        int row = 0;
        for (int c = 0; c < g.c(); c++) {
            int plane = xOff + c * H * W;
            for (int r = 0; r < g.r(); r++) {
                for (int s = 0; s < g.s(); s++, row++) {
                    int out = row * P * Q;
                    for (int p = 0; p < P; p++) {
                        int ih = p * st - pad + r;
                        if (ih < 0 || ih >= H) {
                            for (int q = 0; q < Q; q++) cols.put(out++, 0f);
                            continue;
                        }
                        int line = plane + ih * W;
                        for (int q = 0; q < Q; q++) {
                            int iw = q * st - pad + s;
                            cols.put(out++, iw >= 0 && iw < W ? x.get(line + iw) : 0f);
                        }
                    }
                }
            }
        }
    }

    /** dx[dxOff..] (C, H, W) ← Σ of the columns folded back (overwrites that image). */
    static void col2im(FloatBuffer cols, ConvGeometry g, FloatBuffer dx, int dxOff) {
        int P = g.p(), Q = g.q(), H = g.h(), W = g.w(), st = g.stride(), pad = g.pad();
        int chw = g.c() * H * W;
        for (int i = 0; i < chw; i++) dx.put(dxOff + i, 0f);
        int row = 0;
        for (int c = 0; c < g.c(); c++) {
            int plane = dxOff + c * H * W;
            for (int r = 0; r < g.r(); r++) {
                for (int s = 0; s < g.s(); s++, row++) {
                    int in = row * P * Q;
                    for (int p = 0; p < P; p++) {
                        int ih = p * st - pad + r;
                        if (ih < 0 || ih >= H) { in += Q; continue; }
                        int line = plane + ih * W;
                        for (int q = 0; q < Q; q++, in++) {
                            int iw = q * st - pad + s;
                            if (iw >= 0 && iw < W) dx.put(line + iw, dx.get(line + iw) + cols.get(in));
                        }
                    }
                }
            }
        }
    }
}
