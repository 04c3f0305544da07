package io.classwise.nn.layers;

import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;

/** Weight initialisers with PyTorch's distributions (drawn from our own seeded generator). */
public final class Init {
    private Init() {}

    /** U(−bound, bound). */
    public static void uniform(Tensor t, Rng rng, double bound) {
        float[] v = new float[t.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) rng.uniform(-bound, bound);
        t.copyFrom(v);
    }

    /** N(0, std²). */
    public static void normal(Tensor t, Rng rng, double std) {
        float[] v = new float[t.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * std);
        t.copyFrom(v);
    }

    public static void constant(Tensor t, float value) { t.backend().fill(t, value); }

    /** kaiming_normal_(mode='fan_out', nonlinearity='relu') for a conv weight (out, in, k, k). */
    public static void kaimingNormalFanOut(Tensor w, Rng rng) {
        int fanOut = w.dim(0) * w.dim(2) * w.dim(3);
        normal(w, rng, Math.sqrt(2.0 / fanOut));
    }
}
