package io.classwise;

import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;

import static org.junit.jupiter.api.Assertions.fail;

/** Random tensors and tolerance-aware comparisons shared by the tests. */
public final class TestUtil {
    private TestUtil() {}

    public static float[] randn(Rng rng, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rng.nextGaussian() * std);
        return v;
    }

    public static float[] uniform(Rng rng, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.uniform(lo, hi);
        return v;
    }

    public static Tensor randn(Backend b, Rng rng, double std, int... shape) {
        return b.allocate(shape).copyFrom(randn(rng, Tensor.sizeOf(shape), std));
    }

    /** The numbers of several tensors, one after another (e.g. every parameter's value or gradient). */
    public static float[] concat(java.util.List<Tensor> tensors) {
        int total = tensors.stream().mapToInt(Tensor::size).sum(), at = 0;
        float[] all = new float[total];
        for (Tensor t : tensors) {
            float[] v = t.toArray();
            System.arraycopy(v, 0, all, at, v.length);
            at += v.length;
        }
        return all;
    }

    /** Moves a tensor's numbers to another backend (same shape). */
    public static Tensor to(Backend b, Tensor t) { return b.allocate(t.shape()).copyFrom(t.toArray()); }

    /**
     * |a − e| ≤ atol + rtol·|e| elementwise; the message names the first offending index.
     * Also fails when the expected values are all zero, so a comparison cannot pass vacuously.
     */
    public static void assertClose(float[] expected, float[] actual, double atol, double rtol, String what) {
        if (expected.length != actual.length) fail(what + ": length " + actual.length + " != " + expected.length);
        boolean anyNonZero = false;
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != 0) anyNonZero = true;
            double err = Math.abs((double) actual[i] - expected[i]);
            double allowed = atol + rtol * Math.abs(expected[i]);
            if (!(err <= allowed) && (worstAt < 0 || err / allowed > worst)) { worst = err / allowed; worstAt = i; }
        }
        if (!anyNonZero && expected.length > 0) fail(what + ": expected values are all zero; the check would prove nothing");
        ParityReport.record(what, expected, actual, atol, rtol, worstAt < 0);
        if (worstAt >= 0) {
            fail(what + ": at [" + worstAt + "] expected " + expected[worstAt] + " got " + actual[worstAt]
                    + " (error " + String.format("%.3g", worst) + "× the tolerance atol=" + atol + " rtol=" + rtol + ")");
        }
    }

    public static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}
