package io.classwise.tensor.reference;

import io.classwise.tensor.Backend;
import io.classwise.tensor.ConvGeometry;
import io.classwise.tensor.HostStorage;
import io.classwise.tensor.PadGeometry;
import io.classwise.tensor.PoolGeometry;
import io.classwise.tensor.Tensor;

import java.nio.FloatBuffer;
import java.util.Arrays;

import static io.classwise.tensor.Tensor.requireSize;

/**
 * The oracle: every primitive as the plainest loops that compute it, single-threaded, no BLAS.
 * Slow on purpose; fast backends are tested against it. Numbers live in off-heap host memory so the
 * CPU backend can share storage and hand it to native BLAS.
 */
public class ReferenceBackend implements Backend {

    @Override public String name() { return "reference"; }

    @Override
    public Tensor allocate(int... shape) {
        return Tensor.of(this, new HostStorage(Tensor.sizeOf(shape)), shape);
    }

    protected static FloatBuffer buf(Tensor t) { return HostStorage.of(t); }

    @Override
    public void upload(float[] src, Tensor dst) {
        requireSize(dst, src.length, "upload");
        buf(dst).put(0, src, 0, src.length);
    }

    @Override
    public void upload(FloatBuffer src, Tensor dst) {
        if (src.capacity() < dst.size()) throw new IllegalArgumentException("upload: buffer holds " + src.capacity() + " floats, "
                + dst + " needs " + dst.size());
        buf(dst).put(0, src, 0, dst.size());
    }

    @Override
    public float[] download(Tensor src) {
        float[] out = new float[src.size()];
        buf(src).get(0, out, 0, out.length);
        return out;
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        requireSize(dst, src.size(), "copy");
        FloatBuffer s = buf(src), d = buf(dst);
        for (int i = 0; i < src.size(); i++) d.put(i, s.get(i));
    }

    @Override
    public void fill(Tensor t, float value) {
        FloatBuffer b = buf(t);
        for (int i = 0; i < t.size(); i++) b.put(i, value);
    }

    // ---------------------------------------------------------------- elementwise

    @Override
    public void axpy(float a, Tensor x, Tensor y) {
        requireSize(y, x.size(), "axpy");
        FloatBuffer xb = buf(x), yb = buf(y);
        for (int i = 0; i < x.size(); i++) yb.put(i, yb.get(i) + a * xb.get(i));
    }

    @Override
    public void scale(Tensor x, float a) {
        FloatBuffer b = buf(x);
        for (int i = 0; i < x.size(); i++) b.put(i, b.get(i) * a);
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        requireSize(b, a.size(), "add");
        requireSize(out, a.size(), "add");
        FloatBuffer ab = buf(a), bb = buf(b), ob = buf(out);
        for (int i = 0; i < a.size(); i++) ob.put(i, ab.get(i) + bb.get(i));
    }

    @Override
    public void relu(Tensor x, Tensor y) {
        requireSize(y, x.size(), "relu");
        FloatBuffer xb = buf(x), yb = buf(y);
        for (int i = 0; i < x.size(); i++) yb.put(i, Math.max(xb.get(i), 0f));
    }

    @Override
    public void reluBackward(Tensor y, Tensor dy, Tensor dx) {
        requireSize(dy, y.size(), "reluBackward");
        requireSize(dx, y.size(), "reluBackward");
        FloatBuffer yb = buf(y), dyb = buf(dy), dxb = buf(dx);
        for (int i = 0; i < y.size(); i++) dxb.put(i, yb.get(i) > 0f ? dyb.get(i) : 0f);
    }

    @Override
    public double sum(Tensor x) {
        FloatBuffer b = buf(x);
        double s = 0;
        for (int i = 0; i < x.size(); i++) s += b.get(i);
        return s;
    }

    // ---------------------------------------------------------------- dense algebra

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        requireSize(a, m * k, "gemm A");
        requireSize(b, k * n, "gemm B");
        requireSize(c, m * n, "gemm C");
        FloatBuffer ab = buf(a), bb = buf(b), cb = buf(c);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    float av = transA ? ab.get(p * m + i) : ab.get(i * k + p);
                    float bv = transB ? bb.get(j * k + p) : bb.get(p * n + j);
                    s += (double) av * bv;
                }
                float old = beta == 0f ? 0f : beta * cb.get(i * n + j);
                cb.put(i * n + j, (float) (alpha * s) + old);
            }
        }
    }

    @Override
    public void addRowVector(Tensor y, Tensor bias) {
        int m = bias.size(), rows = y.size() / m;
        requireSize(y, rows * m, "addRowVector");
        FloatBuffer yb = buf(y), bb = buf(bias);
        for (int r = 0; r < rows; r++) for (int j = 0; j < m; j++) yb.put(r * m + j, yb.get(r * m + j) + bb.get(j));
    }

    @Override
    public void sumRows(Tensor dy, Tensor db) {
        int m = db.size(), rows = dy.size() / m;
        requireSize(dy, rows * m, "sumRows");
        FloatBuffer yb = buf(dy), bb = buf(db);
        for (int j = 0; j < m; j++) {
            double s = 0;
            for (int r = 0; r < rows; r++) s += yb.get(r * m + j);
            bb.put(j, bb.get(j) + (float) s);
        }
    }

    // ---------------------------------------------------------------- convolution

    @Override
    public void conv2dForward(Tensor x, Tensor w, Tensor b, Tensor y, ConvGeometry g) {
        g.requireShapes(x, w, y);
        FloatBuffer xb = buf(x), wb = buf(w), yb = buf(y), bb = b == null ? null : buf(b);
        int P = g.p(), Q = g.q();
        for (int n = 0; n < g.n(); n++)
            for (int k = 0; k < g.k(); k++)
                for (int p = 0; p < P; p++)
                    for (int q = 0; q < Q; q++) {
                        double s = bb == null ? 0 : bb.get(k);
                        for (int c = 0; c < g.c(); c++)
                            for (int r = 0; r < g.r(); r++) {
                                int ih = p * g.stride() - g.pad() + r;
                                if (ih < 0 || ih >= g.h()) continue;
                                for (int t = 0; t < g.s(); t++) {
                                    int iw = q * g.stride() - g.pad() + t;
                                    if (iw < 0 || iw >= g.w()) continue;
                                    s += (double) xb.get(((n * g.c() + c) * g.h() + ih) * g.w() + iw)
                                            * wb.get(((k * g.c() + c) * g.r() + r) * g.s() + t);
                                }
                            }
                        yb.put(((n * g.k() + k) * P + p) * Q + q, (float) s);
                    }
    }

    @Override
    public void conv2dBackwardData(Tensor dy, Tensor w, Tensor dx, ConvGeometry g) {
        g.requireShapes(dx, w, dy);
        FloatBuffer dyb = buf(dy), wb = buf(w), dxb = buf(dx);
        int P = g.p(), Q = g.q();
        double[] acc = new double[dx.size()];
        for (int n = 0; n < g.n(); n++)
            for (int k = 0; k < g.k(); k++)
                for (int p = 0; p < P; p++)
                    for (int q = 0; q < Q; q++) {
                        float d = dyb.get(((n * g.k() + k) * P + p) * Q + q);
                        for (int c = 0; c < g.c(); c++)
                            for (int r = 0; r < g.r(); r++) {
                                int ih = p * g.stride() - g.pad() + r;
                                if (ih < 0 || ih >= g.h()) continue;
                                for (int t = 0; t < g.s(); t++) {
                                    int iw = q * g.stride() - g.pad() + t;
                                    if (iw < 0 || iw >= g.w()) continue;
                                    acc[((n * g.c() + c) * g.h() + ih) * g.w() + iw] +=
                                            (double) d * wb.get(((k * g.c() + c) * g.r() + r) * g.s() + t);
                                }
                            }
                    }
        for (int i = 0; i < acc.length; i++) dxb.put(i, (float) acc[i]);
    }

    @Override
    public void conv2dBackwardFilter(Tensor x, Tensor dy, Tensor dw, Tensor db, ConvGeometry g) {
        g.requireShapes(x, dw, dy);
        FloatBuffer xb = buf(x), dyb = buf(dy), dwb = buf(dw);
        int P = g.p(), Q = g.q();
        for (int k = 0; k < g.k(); k++)
            for (int c = 0; c < g.c(); c++)
                for (int r = 0; r < g.r(); r++)
                    for (int t = 0; t < g.s(); t++) {
                        double s = 0;
                        for (int n = 0; n < g.n(); n++)
                            for (int p = 0; p < P; p++) {
                                int ih = p * g.stride() - g.pad() + r;
                                if (ih < 0 || ih >= g.h()) continue;
                                for (int q = 0; q < Q; q++) {
                                    int iw = q * g.stride() - g.pad() + t;
                                    if (iw < 0 || iw >= g.w()) continue;
                                    s += (double) dyb.get(((n * g.k() + k) * P + p) * Q + q)
                                            * xb.get(((n * g.c() + c) * g.h() + ih) * g.w() + iw);
                                }
                            }
                        int i = ((k * g.c() + c) * g.r() + r) * g.s() + t;
                        dwb.put(i, dwb.get(i) + (float) s);
                    }
        if (db != null) {
            FloatBuffer dbb = buf(db);
            for (int k = 0; k < g.k(); k++) {
                double s = 0;
                for (int n = 0; n < g.n(); n++)
                    for (int i = 0; i < P * Q; i++) s += dyb.get((n * g.k() + k) * P * Q + i);
                dbb.put(k, dbb.get(k) + (float) s);
            }
        }
    }

    // ---------------------------------------------------------------- batch normalization

    /** (N, C, H, W) → {N, C, H·W}; rank-2 (N, C) inputs are treated as H·W = 1. */
    protected static int[] nchw(Tensor x) {
        int n = x.dim(0), c = x.dim(1);
        return new int[] {n, c, x.size() / (n * c)};
    }

    @Override
    public void batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                      float momentum, float eps, Tensor y, Tensor saveMean, Tensor saveInvStd) {
        int[] d = nchw(x);
        int N = d[0], C = d[1], HW = d[2];
        long M = (long) N * HW;
        FloatBuffer xb = buf(x), yb = buf(y), gb = buf(gamma), bb = buf(beta);
        for (int c = 0; c < C; c++) {
            double s = 0;
            for (int n = 0; n < N; n++) for (int i = 0; i < HW; i++) s += xb.get((n * C + c) * HW + i);
            double mean = s / M;
            double v = 0;
            for (int n = 0; n < N; n++) for (int i = 0; i < HW; i++) {
                double e = xb.get((n * C + c) * HW + i) - mean;
                v += e * e;
            }
            double var = v / M;
            double invStd = 1.0 / Math.sqrt(var + eps);
            for (int n = 0; n < N; n++) for (int i = 0; i < HW; i++) {
                int j = (n * C + c) * HW + i;
                yb.put(j, (float) ((xb.get(j) - mean) * invStd * gb.get(c) + bb.get(c)));
            }
            buf(saveMean).put(c, (float) mean);
            buf(saveInvStd).put(c, (float) invStd);
            double unbiased = M > 1 ? var * M / (M - 1) : var;
            FloatBuffer rm = buf(runningMean), rv = buf(runningVar);
            rm.put(c, (float) ((1 - momentum) * rm.get(c) + momentum * mean));
            rv.put(c, (float) ((1 - momentum) * rv.get(c) + momentum * unbiased));
        }
    }

    @Override
    public void batchNormInferenceForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                          float eps, Tensor y) {
        int[] d = nchw(x);
        int N = d[0], C = d[1], HW = d[2];
        FloatBuffer xb = buf(x), yb = buf(y);
        for (int c = 0; c < C; c++) {
            double invStd = 1.0 / Math.sqrt(buf(runningVar).get(c) + (double) eps);
            double mean = buf(runningMean).get(c), gm = buf(gamma).get(c), bt = buf(beta).get(c);
            for (int n = 0; n < N; n++) for (int i = 0; i < HW; i++) {
                int j = (n * C + c) * HW + i;
                yb.put(j, (float) ((xb.get(j) - mean) * invStd * gm + bt));
            }
        }
    }

    @Override
    public void batchNormTrainBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                       Tensor dx, Tensor dGamma, Tensor dBeta) {
        int[] d = nchw(x);
        int N = d[0], C = d[1], HW = d[2];
        double M = (double) N * HW;
        FloatBuffer xb = buf(x), dyb = buf(dy), dxb = buf(dx);
        for (int c = 0; c < C; c++) {
            double mean = buf(saveMean).get(c), invStd = buf(saveInvStd).get(c), gm = buf(gamma).get(c);
            double sumDy = 0, sumDyXhat = 0;
            for (int n = 0; n < N; n++) for (int i = 0; i < HW; i++) {
                int j = (n * C + c) * HW + i;
                double xhat = (xb.get(j) - mean) * invStd;
                sumDy += dyb.get(j);
                sumDyXhat += dyb.get(j) * xhat;
            }
            for (int n = 0; n < N; n++) for (int i = 0; i < HW; i++) {
                int j = (n * C + c) * HW + i;
                double xhat = (xb.get(j) - mean) * invStd;
                dxb.put(j, (float) (gm * invStd * (dyb.get(j) - sumDy / M - xhat * sumDyXhat / M)));
            }
            if (dGamma != null) buf(dGamma).put(c, buf(dGamma).get(c) + (float) sumDyXhat);
            if (dBeta != null) buf(dBeta).put(c, buf(dBeta).get(c) + (float) sumDy);
        }
    }

    @Override
    public void batchNormInferenceBackward(Tensor x, Tensor dy, Tensor gamma, Tensor runningMean, Tensor runningVar,
                                           float eps, Tensor dx, Tensor dGamma, Tensor dBeta) {
        int[] d = nchw(x);
        int N = d[0], C = d[1], HW = d[2];
        FloatBuffer xb = buf(x), dyb = buf(dy), dxb = buf(dx);
        for (int c = 0; c < C; c++) {
            double invStd = 1.0 / Math.sqrt(buf(runningVar).get(c) + (double) eps);
            double mean = buf(runningMean).get(c), gm = buf(gamma).get(c);
            double sumDy = 0, sumDyXhat = 0;
            for (int n = 0; n < N; n++) for (int i = 0; i < HW; i++) {
                int j = (n * C + c) * HW + i;
                sumDy += dyb.get(j);
                sumDyXhat += dyb.get(j) * (xb.get(j) - mean) * invStd;
                dxb.put(j, (float) (dyb.get(j) * gm * invStd));
            }
            if (dGamma != null) buf(dGamma).put(c, buf(dGamma).get(c) + (float) sumDyXhat);
            if (dBeta != null) buf(dBeta).put(c, buf(dBeta).get(c) + (float) sumDy);
        }
    }

    // ---------------------------------------------------------------- pooling

    @Override
    public void maxPoolForward(Tensor x, Tensor y, PoolGeometry g) { maxPoolForward(x, y, g, false); }

    @Override
    public void reluMaxPoolForward(Tensor x, Tensor y, PoolGeometry g) { maxPoolForward(x, y, g, true); }

    @Override
    public void maxPoolBackward(Tensor x, Tensor dy, Tensor dx, PoolGeometry g) { maxPoolBackward(x, dy, dx, g, false); }

    @Override
    public void reluMaxPoolBackward(Tensor x, Tensor dy, Tensor dx, PoolGeometry g) { maxPoolBackward(x, dy, dx, g, true); }

    private void maxPoolForward(Tensor x, Tensor y, PoolGeometry g, boolean relu) {
        g.requireShapes(x, y);
        FloatBuffer xb = buf(x), yb = buf(y);
        int P = g.p(), Q = g.q();
        for (int nc = 0; nc < g.n() * g.c(); nc++)
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int r = 0; r < g.kernel(); r++) {
                        int ih = p * g.stride() - g.pad() + r;
                        if (ih < 0 || ih >= g.h()) continue;
                        for (int t = 0; t < g.kernel(); t++) {
                            int iw = q * g.stride() - g.pad() + t;
                            if (iw < 0 || iw >= g.w()) continue;
                            m = Math.max(m, xb.get((nc * g.h() + ih) * g.w() + iw));
                        }
                    }
                    yb.put((nc * P + p) * Q + q, relu ? Math.max(m, 0f) : m);
                }
    }

    private void maxPoolBackward(Tensor x, Tensor dy, Tensor dx, PoolGeometry g, boolean relu) {
        g.requireShapes(x, dy);
        requireSize(dx, x.size(), "maxPoolBackward");
        FloatBuffer xb = buf(x), dyb = buf(dy), dxb = buf(dx);
        for (int i = 0; i < dx.size(); i++) dxb.put(i, 0f);
        int P = g.p(), Q = g.q();
        for (int nc = 0; nc < g.n() * g.c(); nc++)
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++) {
                    float m = Float.NEGATIVE_INFINITY;
                    int arg = -1;
                    for (int r = 0; r < g.kernel(); r++) {
                        int ih = p * g.stride() - g.pad() + r;
                        if (ih < 0 || ih >= g.h()) continue;
                        for (int t = 0; t < g.kernel(); t++) {
                            int iw = q * g.stride() - g.pad() + t;
                            if (iw < 0 || iw >= g.w()) continue;
                            int j = (nc * g.h() + ih) * g.w() + iw;
                            if (arg < 0 || xb.get(j) > m) { m = xb.get(j); arg = j; }
                        }
                    }
                    if (!relu || m > 0) dxb.put(arg, dxb.get(arg) + dyb.get((nc * P + p) * Q + q));
                }
    }

    @Override
    public void avgPoolForward(Tensor x, Tensor y, PoolGeometry g) {
        g.requireShapes(x, y);
        FloatBuffer xb = buf(x), yb = buf(y);
        int P = g.p(), Q = g.q();
        double inv = 1.0 / (g.kernel() * g.kernel());
        for (int nc = 0; nc < g.n() * g.c(); nc++)
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++) {
                    double s = 0;
                    for (int r = 0; r < g.kernel(); r++) {
                        int ih = p * g.stride() - g.pad() + r;
                        if (ih < 0 || ih >= g.h()) continue;
                        for (int t = 0; t < g.kernel(); t++) {
                            int iw = q * g.stride() - g.pad() + t;
                            if (iw < 0 || iw >= g.w()) continue;
                            s += xb.get((nc * g.h() + ih) * g.w() + iw);
                        }
                    }
                    yb.put((nc * P + p) * Q + q, (float) (s * inv));
                }
    }

    @Override
    public void avgPoolBackward(Tensor dy, Tensor dx, PoolGeometry g) {
        g.requireShapes(dx, dy);
        FloatBuffer dyb = buf(dy), dxb = buf(dx);
        for (int i = 0; i < dx.size(); i++) dxb.put(i, 0f);
        int P = g.p(), Q = g.q();
        float inv = 1f / (g.kernel() * g.kernel());
        for (int nc = 0; nc < g.n() * g.c(); nc++)
            for (int p = 0; p < P; p++)
                for (int q = 0; q < Q; q++) {
                    float d = dyb.get((nc * P + p) * Q + q) * inv;
                    for (int r = 0; r < g.kernel(); r++) {
                        int ih = p * g.stride() - g.pad() + r;
                        if (ih < 0 || ih >= g.h()) continue;
                        for (int t = 0; t < g.kernel(); t++) {
                            int iw = q * g.stride() - g.pad() + t;
                            if (iw < 0 || iw >= g.w()) continue;
                            int j = (nc * g.h() + ih) * g.w() + iw;
                            dxb.put(j, dxb.get(j) + d);
                        }
                    }
                }
    }

    // ---------------------------------------------------------------- Swish

    @Override
    public void swish(Tensor x, Tensor y) {
        requireSize(y, x.size(), "swish");
        FloatBuffer xb = buf(x), yb = buf(y);
        for (int i = 0; i < x.size(); i++) {
            float v = xb.get(i);
            yb.put(i, v * sigmoid(v));
        }
    }

    @Override
    public void swishBackward(Tensor x, Tensor dy, Tensor dx) {
        requireSize(dy, x.size(), "swishBackward");
        requireSize(dx, x.size(), "swishBackward");
        FloatBuffer xb = buf(x), dyb = buf(dy), dxb = buf(dx);
        for (int i = 0; i < x.size(); i++) {
            float v = xb.get(i), s = sigmoid(v);
            dxb.put(i, dyb.get(i) * s * (1f + v * (1f - s)));
        }
    }

    /** 1 / (1 + e^−v); for v below −88 e^−v is +∞ and the result 0, as it should be. */
    private static float sigmoid(float v) { return 1f / (1f + (float) Math.exp(-v)); }

    // ---------------------------------------------------------------- zero padding

    @Override
    public void zeroPad2d(Tensor x, Tensor y, int top, int left) {
        PadGeometry g = PadGeometry.of(x, y, top, left, "zeroPad2d");
        FloatBuffer xb = buf(x), yb = buf(y);
        for (int i = 0; i < y.size(); i++) yb.put(i, 0f);
        int planes = g.planes(), h = g.h(), w = g.w(), hp = g.hp(), wp = g.wp();
        for (int p = 0; p < planes; p++) for (int r = 0; r < h; r++) for (int c = 0; c < w; c++) {
            yb.put((p * hp + r + top) * wp + c + left, xb.get((p * h + r) * w + c));
        }
    }

    @Override
    public void zeroPad2dBackward(Tensor dy, Tensor dx, int top, int left) {
        PadGeometry g = PadGeometry.of(dx, dy, top, left, "zeroPad2dBackward");
        FloatBuffer dyb = buf(dy), dxb = buf(dx);
        int planes = g.planes(), h = g.h(), w = g.w(), hp = g.hp(), wp = g.wp();
        for (int p = 0; p < planes; p++) for (int r = 0; r < h; r++) for (int c = 0; c < w; c++) {
            dxb.put((p * h + r) * w + c, dyb.get((p * hp + r + top) * wp + c + left));
        }
    }


    // ---------------------------------------------------------------- input normalization

    @Override
    public void normalizeChannels(Tensor x, Tensor mean, Tensor std, Tensor y) {
        int[] d = nchw(x);
        FloatBuffer xb = buf(x), yb = buf(y), mb = buf(mean), sb = buf(std);
        for (int n = 0; n < d[0]; n++) for (int c = 0; c < d[1]; c++) for (int i = 0; i < d[2]; i++) {
            int j = (n * d[1] + c) * d[2] + i;
            yb.put(j, (xb.get(j) - mb.get(c)) / sb.get(c));
        }
    }

    @Override
    public void normalizeChannelsBackward(Tensor dy, Tensor std, Tensor dx) {
        int[] d = nchw(dy);
        FloatBuffer dyb = buf(dy), dxb = buf(dx), sb = buf(std);
        for (int n = 0; n < d[0]; n++) for (int c = 0; c < d[1]; c++) for (int i = 0; i < d[2]; i++) {
            int j = (n * d[1] + c) * d[2] + i;
            dxb.put(j, dyb.get(j) / sb.get(c));
        }
    }

    // ---------------------------------------------------------------- row L2 normalization

    @Override
    public void l2NormalizeRows(Tensor x, Tensor y, Tensor norms, float eps) {
        int rows = norms.size(), dim = x.size() / rows;
        FloatBuffer xb = buf(x), yb = buf(y), nb = buf(norms);
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int j = 0; j < dim; j++) s += (double) xb.get(r * dim + j) * xb.get(r * dim + j);
            float norm = (float) Math.max(Math.sqrt(s), eps);
            nb.put(r, norm);
            for (int j = 0; j < dim; j++) yb.put(r * dim + j, xb.get(r * dim + j) / norm);
        }
    }

    @Override
    public void l2NormalizeRowsBackward(Tensor y, Tensor norms, Tensor dy, Tensor dx) {
        int rows = norms.size(), dim = y.size() / rows;
        FloatBuffer yb = buf(y), nb = buf(norms), dyb = buf(dy), dxb = buf(dx);
        for (int r = 0; r < rows; r++) {
            double dot = 0;
            for (int j = 0; j < dim; j++) dot += (double) dyb.get(r * dim + j) * yb.get(r * dim + j);
            for (int j = 0; j < dim; j++) {
                int i = r * dim + j;
                dxb.put(i, (float) ((dyb.get(i) - yb.get(i) * dot) / nb.get(r)));
            }
        }
    }

    // ---------------------------------------------------------------- losses

    /** log-softmax of row r of z/T into out (length K), in double. */
    protected static void logSoftmaxRow(FloatBuffer z, int r, int K, double invT, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < K; j++) max = Math.max(max, z.get(r * K + j) * invT);
        double s = 0;
        for (int j = 0; j < K; j++) s += Math.exp(z.get(r * K + j) * invT - max);
        double lse = max + Math.log(s);
        for (int j = 0; j < K; j++) out[j] = z.get(r * K + j) * invT - lse;
    }

    protected static int label(FloatBuffer labels, int i, int K) {
        float v = labels.get(i);
        int y = (int) v;
        if (y != v || y < 0 || y >= K) throw new IllegalArgumentException("label " + v + " at row " + i
                + " is not a class id in [0, " + K + ")");
        return y;
    }

    @Override
    public void softmaxCrossEntropy(Tensor logits, Tensor labels, float temperature, Tensor loss, Tensor dLogits, float gradScale) {
        int N = logits.dim(0), K = logits.size() / N;
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        FloatBuffer z = buf(logits), lb = buf(labels), lo = buf(loss);
        double invT = 1.0 / temperature;
        double[] ls = new double[K];
        for (int i = 0; i < N; i++) {
            int y = label(lb, i, K);
            logSoftmaxRow(z, i, K, invT, ls);
            lo.put(i, (float) -ls[y]);
            if (dLogits != null) {
                FloatBuffer g = buf(dLogits);
                for (int j = 0; j < K; j++) {
                    g.put(i * K + j, (float) (gradScale * (Math.exp(ls[j]) - (j == y ? 1 : 0)) * invT));
                }
            }
        }
    }

    @Override
    public void softmax(Tensor logits, float temperature, Tensor probs) {
        int N = logits.dim(0), K = logits.size() / N;
        FloatBuffer z = buf(logits), p = buf(probs);
        double[] ls = new double[K];
        for (int i = 0; i < N; i++) {
            logSoftmaxRow(z, i, K, 1.0 / temperature, ls);
            for (int j = 0; j < K; j++) p.put(i * K + j, (float) Math.exp(ls[j]));
        }
    }

    @Override
    public void klDivergence(Tensor logitsP, Tensor logitsQ, Tensor loss, Tensor dLogitsP, Tensor dLogitsQ, float gradScale) {
        int N = logitsP.dim(0), K = logitsP.size() / N;
        requireSize(logitsQ, N * K, "klDivergence");
        FloatBuffer zp = buf(logitsP), zq = buf(logitsQ), lo = buf(loss);
        double[] lp = new double[K], lq = new double[K];
        for (int i = 0; i < N; i++) {
            logSoftmaxRow(zp, i, K, 1.0, lp);
            logSoftmaxRow(zq, i, K, 1.0, lq);
            double kl = 0;
            for (int j = 0; j < K; j++) kl += Math.exp(lp[j]) * (lp[j] - lq[j]);
            lo.put(i, (float) kl);
            for (int j = 0; j < K; j++) {
                double pj = Math.exp(lp[j]);
                if (dLogitsQ != null) buf(dLogitsQ).put(i * K + j, (float) (gradScale * (Math.exp(lq[j]) - pj)));
                if (dLogitsP != null) buf(dLogitsP).put(i * K + j, (float) (gradScale * pj * (lp[j] - lq[j] - kl)));
            }
        }
    }

    @Override
    public void boostedCrossEntropy(Tensor logits, Tensor labels, Tensor loss, Tensor dLogits, float gradScale) {
        int N = logits.dim(0), K = logits.size() / N;
        Backend.requireClasses(K, 2, "MART's boosted cross-entropy");
        FloatBuffer z = buf(logits), lb = buf(labels), lo = buf(loss);
        double[] ls = new double[K];
        for (int i = 0; i < N; i++) {
            int y = label(lb, i, K);
            logSoftmaxRow(z, i, K, 1.0, ls);
            int m = -1;
            for (int j = 0; j < K; j++) if (j != y && (m < 0 || ls[j] > ls[m])) m = j;
            double pm = Math.exp(ls[m]);
            // −log(1 − p_m) with the 1.0001 guard MART's reference code uses against log(0).
            double oneMinus = 1.0001 - pm;
            lo.put(i, (float) (-ls[y] - Math.log(oneMinus)));
            if (dLogits != null) {
                FloatBuffer g = buf(dLogits);
                // ∂(−log(c − p_m))/∂z_j = p_m (δ_jm − p_j) / (c − p_m)
                for (int j = 0; j < K; j++) {
                    double pj = Math.exp(ls[j]);
                    double ce = pj - (j == y ? 1 : 0);
                    double margin = pm * ((j == m ? 1 : 0) - pj) / oneMinus;
                    g.put(i * K + j, (float) (gradScale * (ce + margin)));
                }
            }
        }
    }

    @Override
    public void marginLoss(Tensor logits, Tensor labels, float kappa, Tensor loss, Tensor dLogits, float gradScale) {
        int N = logits.dim(0), K = logits.size() / N;
        Backend.requireClasses(K, 2, "the margin loss");
        FloatBuffer z = buf(logits), lb = buf(labels), lo = buf(loss);
        for (int i = 0; i < N; i++) {
            int y = label(lb, i, K), m = -1;
            for (int j = 0; j < K; j++) if (j != y && (m < 0 || z.get(i * K + j) > z.get(i * K + m))) m = j;
            float margin = z.get(i * K + m) - z.get(i * K + y);
            boolean clamped = margin >= kappa;
            lo.put(i, clamped ? kappa : margin);
            if (dLogits != null) {
                FloatBuffer g = buf(dLogits);
                for (int j = 0; j < K; j++) g.put(i * K + j, 0f);
                if (!clamped) {
                    g.put(i * K + m, gradScale);
                    g.put(i * K + y, -gradScale);
                }
            }
        }
    }

    @Override
    public int[] argmaxRows(Tensor logits) {
        int N = logits.dim(0), K = logits.size() / N;
        FloatBuffer z = buf(logits);
        int[] out = new int[N];
        for (int i = 0; i < N; i++) {
            int best = 0;
            for (int j = 1; j < K; j++) if (z.get(i * K + j) > z.get(i * K + best)) best = j;
            out[i] = best;
        }
        return out;
    }

    // ---------------------------------------------------------------- optimizer and attack steps

    @Override
    public void sgdStep(Tensor param, Tensor grad, Tensor momentumBuf, float lr, float momentum, float dampening,
                        float weightDecay, boolean nesterov, boolean firstStep) {
        requireSize(grad, param.size(), "sgdStep");
        FloatBuffer p = buf(param), g = buf(grad), m = momentum != 0 ? buf(momentumBuf) : null;
        for (int i = 0; i < param.size(); i++) {
            float d = g.get(i) + weightDecay * p.get(i);
            if (momentum != 0) {
                float b = firstStep ? d : momentum * m.get(i) + (1 - dampening) * d;
                m.put(i, b);
                d = nesterov ? d + momentum * b : b;
            }
            p.put(i, p.get(i) - lr * d);
        }
    }

    @Override
    public void linfPgdStep(Tensor xAdv, Tensor grad, Tensor xNat, float step, float eps) {
        requireSize(grad, xAdv.size(), "linfPgdStep");
        requireSize(xNat, xAdv.size(), "linfPgdStep");
        FloatBuffer a = buf(xAdv), g = buf(grad), x0 = buf(xNat);
        for (int i = 0; i < xAdv.size(); i++) {
            float v = a.get(i) + step * Math.signum(g.get(i));
            v = Math.min(Math.max(v, x0.get(i) - eps), x0.get(i) + eps);
            a.put(i, Math.min(Math.max(v, 0f), 1f));
        }
    }

    @Override
    public void l2PgdStep(Tensor xAdv, Tensor grad, Tensor xNat, float step, float eps) {
        requireSize(grad, xAdv.size(), "l2PgdStep");
        requireSize(xNat, xAdv.size(), "l2PgdStep");
        int n = xAdv.dim(0), row = xAdv.size() / n;
        FloatBuffer a = buf(xAdv), g = buf(grad), x0 = buf(xNat);
        for (int r = 0; r < n; r++) {
            double gn = 0;
            for (int j = 0; j < row; j++) gn += (double) g.get(r * row + j) * g.get(r * row + j);
            double scale = gn > 0 ? step / Math.sqrt(gn) : 0;
            double dn = 0;
            for (int j = 0; j < row; j++) {
                int i = r * row + j;
                double d = a.get(i) + scale * g.get(i) - x0.get(i);
                dn += d * d;
            }
            double shrink = Math.sqrt(dn) > eps ? eps / Math.sqrt(dn) : 1;
            for (int j = 0; j < row; j++) {
                int i = r * row + j;
                double d = (a.get(i) + scale * g.get(i) - x0.get(i)) * shrink;
                a.put(i, (float) Math.min(Math.max(x0.get(i) + d, 0), 1));
            }
        }
    }

    @Override
    public void linfPgdStepRows(Tensor xAdv, Tensor grad, Tensor xNat, Tensor stepPerRow, Tensor epsPerRow) {
        requireSize(grad, xAdv.size(), "linfPgdStepRows");
        requireSize(xNat, xAdv.size(), "linfPgdStepRows");
        requireSize(epsPerRow, stepPerRow.size(), "linfPgdStepRows");
        int n = stepPerRow.size(), row = xAdv.size() / n;
        FloatBuffer a = buf(xAdv), g = buf(grad), x0 = buf(xNat), st = buf(stepPerRow), ep = buf(epsPerRow);
        for (int r = 0; r < n; r++) {
            float step = st.get(r), eps = ep.get(r);
            for (int j = 0; j < row; j++) {
                int i = r * row + j;
                float v = a.get(i) + step * Math.signum(g.get(i));
                v = Math.min(Math.max(v, x0.get(i) - eps), x0.get(i) + eps);
                a.put(i, Math.min(Math.max(v, 0f), 1f));
            }
        }
    }

    @Override
    public void linfPgdStepPerRow(Tensor xAdv, Tensor grad, Tensor xNat, Tensor stepPerRow, float eps) {
        requireSize(grad, xAdv.size(), "linfPgdStepPerRow");
        requireSize(xNat, xAdv.size(), "linfPgdStepPerRow");
        int n = stepPerRow.size(), row = xAdv.size() / n;
        FloatBuffer a = buf(xAdv), g = buf(grad), x0 = buf(xNat), st = buf(stepPerRow);
        for (int r = 0; r < n; r++) {
            float step = st.get(r);
            for (int j = 0; j < row; j++) {
                int i = r * row + j;
                float v = a.get(i) + step * Math.signum(g.get(i));
                v = Math.min(Math.max(v, x0.get(i) - eps), x0.get(i) + eps);
                a.put(i, Math.min(Math.max(v, 0f), 1f));
            }
        }
    }

    @Override
    public void dlrLoss(Tensor logits, Tensor labels, Tensor loss, Tensor dLogits, float gradScale) {
        int N = logits.dim(0), K = logits.size() / N;
        Backend.requireClasses(K, 3, "the DLR loss");
        FloatBuffer z = buf(logits), lb = buf(labels), lo = buf(loss);
        for (int i = 0; i < N; i++) {
            int y = label(lb, i, K);
            int p1 = -1, p2 = -1, p3 = -1, m = -1;
            for (int j = 0; j < K; j++) {
                float v = z.get(i * K + j);
                if (p1 < 0 || v > z.get(i * K + p1)) { p3 = p2; p2 = p1; p1 = j; }
                else if (p2 < 0 || v > z.get(i * K + p2)) { p3 = p2; p2 = j; }
                else if (p3 < 0 || v > z.get(i * K + p3)) { p3 = j; }
                if (j != y && (m < 0 || v > z.get(i * K + m))) m = j;
            }
            double a = z.get(i * K + y) - z.get(i * K + m);
            double d = z.get(i * K + p1) - z.get(i * K + p3) + 1e-12;
            lo.put(i, (float) (-a / d));
            if (dLogits != null) {
                FloatBuffer g = buf(dLogits);
                for (int j = 0; j < K; j++) g.put(i * K + j, 0f);
                // ∂(−a/d)/∂z_j = −(∂a/∂z_j)/d + a·(∂d/∂z_j)/d²
                g.put(i * K + y, g.get(i * K + y) + (float) (-gradScale / d));
                g.put(i * K + m, g.get(i * K + m) + (float) (gradScale / d));
                g.put(i * K + p1, g.get(i * K + p1) + (float) (gradScale * a / (d * d)));
                g.put(i * K + p3, g.get(i * K + p3) - (float) (gradScale * a / (d * d)));
            }
        }
    }

    @Override
    public void scaleRows(Tensor x, Tensor scale) {
        int n = scale.size(), row = x.size() / n;
        FloatBuffer xb = buf(x), sb = buf(scale);
        for (int i = 0; i < n; i++) for (int j = 0; j < row; j++) xb.put(i * row + j, xb.get(i * row + j) * sb.get(i));
    }

    @Override
    public void addAtLabels(Tensor logits, Tensor labels, float value, Tensor out) {
        int N = logits.dim(0), K = logits.size() / N;
        if (out != logits) copy(logits, out);
        FloatBuffer o = buf(out), lb = buf(labels);
        for (int i = 0; i < N; i++) {
            int y = label(lb, i, K);
            o.put(i * K + y, o.get(i * K + y) + value);
        }
    }

    @Override
    public void copyRowsWhere(Tensor src, Tensor dst, Tensor mask) {
        requireSize(dst, src.size(), "copyRowsWhere");
        int n = mask.size(), row = src.size() / n;
        FloatBuffer s = buf(src), d = buf(dst), m = buf(mask);
        for (int i = 0; i < n; i++) if (m.get(i) != 0f) for (int j = 0; j < row; j++) d.put(i * row + j, s.get(i * row + j));
    }

    @Override
    public void momentumAccumulate(Tensor grad, Tensor buf, float mu) {
        requireSize(buf, grad.size(), "momentumAccumulate");
        int n = grad.dim(0), row = grad.size() / n;
        FloatBuffer g = buf(grad), b = buf(buf);
        for (int i = 0; i < n; i++) {
            double l1 = 0;
            for (int j = 0; j < row; j++) l1 += Math.abs(g.get(i * row + j));
            double inv = l1 > 0 ? 1.0 / l1 : 0;
            for (int j = 0; j < row; j++) b.put(i * row + j, (float) (mu * b.get(i * row + j) + g.get(i * row + j) * inv));
        }
    }

    @Override
    public String toString() { return name(); }
}
