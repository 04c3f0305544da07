package io.classwise.nn;

import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;
import io.classwise.tensor.reference.ReferenceBackend;
import io.classwise.util.Rng;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static io.classwise.TestUtil.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import java.util.Arrays;

/** Per-example losses against closed forms, and their gradients against finite differences. */
class LossGradientTest {
    static final Backend B = new ReferenceBackend();
    static final int N = 4, K = 5;
    static final float[] LABELS = {0, 3, 4, 1};

    private interface LossFn { double sum(float[] z); }

    /** Central differences of Σ_i loss_i with h = 1e-2 (smooth losses: tolerance 2e-3 + 1e-2 rel). */
    private static void checkGradient(String what, float[] z, float[] analytic, LossFn f) {
        double h = 1e-2;
        boolean nonZero = false;
        for (int i = 0; i < z.length; i++) {
            float old = z[i];
            z[i] = (float) (old + h);
            double p = f.sum(z);
            z[i] = (float) (old - h);
            double m = f.sum(z);
            z[i] = old;
            double num = (p - m) / (2 * h);
            nonZero |= num != 0;
            if (Math.abs(num - analytic[i]) > 2e-3 + 1e-2 * Math.abs(num)) fail(what + " at [" + i + "]: analytic " + analytic[i]
                    + " vs " + num);
        }
        assertTrue(nonZero, what + ": all-zero gradient proves nothing");
    }

    private static Tensor t(float[] v, int... shape) { return B.allocate(shape).copyFrom(v); }

    @ParameterizedTest(name = "T = {0}")
    @ValueSource(floats = {0.5f, 1f, 2f, 5f})
    void crossEntropyWithTemperature(float temp) {
        float[] z = randn(new Rng(1), N * K, 2);
        Tensor labels = t(LABELS, N), loss = B.allocate(N), grad = B.allocate(N, K);
        B.softmaxCrossEntropy(t(z, N, K), labels, temp, loss, grad, 1f);
        // Closed form for row 0: log Σ exp(z/T) − z_y/T.
        double lse = 0;
        for (int j = 0; j < K; j++) lse += Math.exp(z[j] / temp);
        assertEquals(Math.log(lse) - z[0] / temp, loss.toArray()[0], 1e-5);
        checkGradient("CE T=" + temp, z, grad.toArray(), v -> {
            Tensor l = B.allocate(N);
            B.softmaxCrossEntropy(t(v, N, K), labels, temp, l, null, 1f);
            return B.sum(l);
        });
    }

    @Test
    void temperatureOneIsPlainCrossEntropyAndScaleApplies() {
        float[] z = randn(new Rng(2), N * K, 2);
        Tensor labels = t(LABELS, N), l1 = B.allocate(N), g1 = B.allocate(N, K), g2 = B.allocate(N, K), probs = B.allocate(N, K);
        B.softmaxCrossEntropy(t(z, N, K), labels, 1f, l1, g1, 1f);
        B.softmaxCrossEntropy(t(z, N, K), labels, 1f, B.allocate(N), g2, 0.25f);
        B.softmax(t(z, N, K), 1f, probs);
        float[] p = probs.toArray(), a = g1.toArray(), b = g2.toArray();
        for (int i = 0; i < N; i++) for (int j = 0; j < K; j++) {
            assertEquals(p[i * K + j] - (j == (int) LABELS[i] ? 1 : 0), a[i * K + j], 1e-6);
            assertEquals(a[i * K + j] * 0.25f, b[i * K + j], 1e-7);
        }
        assertEquals(-Math.log(p[K + 3]), l1.toArray()[1], 1e-5);
    }

    @Test
    void klDivergenceGradientsBothArguments() {
        float[] zp = randn(new Rng(3), N * K, 1.5), zq = randn(new Rng(4), N * K, 1.5);
        Tensor loss = B.allocate(N), dp = B.allocate(N, K), dq = B.allocate(N, K);
        B.klDivergence(t(zp, N, K), t(zq, N, K), loss, dp, dq, 1f);
        for (float v : loss.toArray()) assertTrue(v > 0, "KL of different distributions is positive");
        checkGradient("KL ∂/∂p", zp, dp.toArray(), v -> { Tensor l = B.allocate(N); B.klDivergence(t(v, N, K), t(zq, N, K), l,
                null, null, 1f); return B.sum(l); });
        checkGradient("KL ∂/∂q", zq, dq.toArray(), v -> { Tensor l = B.allocate(N); B.klDivergence(t(zp, N, K), t(v, N, K), l,
                null, null, 1f); return B.sum(l); });
        Tensor self = B.allocate(N);
        B.klDivergence(t(zp, N, K), t(zp, N, K), self, null, null, 1f);
        for (float v : self.toArray()) assertEquals(0, v, 1e-6);
    }

    @Test
    void boostedCrossEntropy() {
        float[] z = randn(new Rng(5), N * K, 1.5);
        Tensor labels = t(LABELS, N), loss = B.allocate(N), grad = B.allocate(N, K), probs = B.allocate(N, K);
        B.boostedCrossEntropy(t(z, N, K), labels, loss, grad, 1f);
        B.softmax(t(z, N, K), 1f, probs);
        float[] p = probs.toArray();
        double maxOther = 0;
        for (int j = 1; j < K; j++) maxOther = Math.max(maxOther, p[j]);
        assertEquals(-Math.log(p[0]) - Math.log(1.0001 - maxOther), loss.toArray()[0], 1e-5);
        checkGradient("boosted CE", z, grad.toArray(), v -> { Tensor l = B.allocate(N); B.boostedCrossEntropy(t(v, N, K), labels,
                l, null, 1f); return B.sum(l); });
    }

    @Test
    void meanLossesScaleGradientsByBatch() {
        float[] z = randn(new Rng(6), N * K, 1);
        Tensor per = B.allocate(N), g = B.allocate(N, K), gSum = B.allocate(N, K);
        double mean = Losses.crossEntropy(t(z, N, K), t(LABELS, N), 1f, per, g);
        B.softmaxCrossEntropy(t(z, N, K), t(LABELS, N), 1f, B.allocate(N), gSum, 1f);
        assertEquals(B.sum(per) / N, mean, 1e-9);
        float[] a = g.toArray(), s = gSum.toArray();
        for (int i = 0; i < a.length; i++) assertEquals(s[i] / N, a[i], 1e-7);
    }

    @Test
    void carliniWagnerMarginAndItsCap() {
        // Row 0: y = 0, best other = class 2 (margin 3 − 1 = 2); row 1: y = 1, margin 0.5 − 4 = −3.5.
        float[] z = {1, 0, 3, -1, 0.5f, 4, 0, 0};
        Tensor loss = B.allocate(2), g = B.allocate(2, 4);
        B.marginLoss(t(z, 2, 4), t(new float[] {0, 1}, 2), 10f, loss, g, 1f);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {2f, -3.5f}, loss.toArray());
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {-1, 0, 1, 0, 1, -1, 0, 0}, g.toArray());
        B.marginLoss(t(z, 2, 4), t(new float[] {0, 1}, 2), 1f, loss, g, 1f);
        assertEquals(1f, loss.toArray()[0]);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {0, 0, 0, 0, 1, -1, 0, 0}, g.toArray(),
                "capped rows have no gradient");
    }

    @Test
    void dlrLossAndGradient() {
        // DLR sorts the logits: keep them ≥ 0.7 apart so no finite-difference step crosses a reordering.
        float[] z = new float[N * K];
        Rng rng = new Rng(9);
        for (int i = 0; i < N; i++) {
            int[] perm = {0, 1, 2, 3, 4};
            rng.shuffle(perm);
            for (int j = 0; j < K; j++) z[i * K + j] = perm[j] * 0.8f + (float) rng.uniform(-0.05, 0.05);
        }
        Tensor labels = t(LABELS, N), loss = B.allocate(N), grad = B.allocate(N, K);
        B.dlrLoss(t(z, N, K), labels, loss, grad, 1f);
        float[] row = Arrays.copyOf(z, K), sorted = row.clone();
        Arrays.sort(sorted);
        float maxOther = Float.NEGATIVE_INFINITY;
        for (int j = 1; j < K; j++) maxOther = Math.max(maxOther, row[j]);
        assertEquals(-(row[0] - maxOther) / (sorted[K - 1] - sorted[K - 3]), loss.toArray()[0], 1e-5);
        checkGradient("DLR", z, grad.toArray(), v -> { Tensor l = B.allocate(N); B.dlrLoss(t(v, N, K), labels, l, null,
                1f); return B.sum(l); });
    }

    @Test
    void rowSelectionAndMomentumAccumulation() {
        Tensor src = t(new float[] {1, 2, 3, 4, 5, 6}, 3, 2), dst = t(new float[] {0, 0, 0, 0, 0, 0}, 3, 2);
        B.copyRowsWhere(src, dst, t(new float[] {1, 0, 1}, 3));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {1, 2, 0, 0, 5, 6}, dst.toArray());
        Tensor buf = t(new float[] {1, 1, 0, 0}, 2, 2);
        B.momentumAccumulate(t(new float[] {3, -1, 0, 0}, 2, 2), buf, 0.5f);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {0.5f + 0.75f, 0.5f - 0.25f, 0, 0}, buf.toArray());
    }

    @Test
    void badLabelsAreRejectedWithTheRow() {
        Tensor z = B.allocate(2, 3);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> B.softmaxCrossEntropy(z, t(new float[] {0, 3}, 2), 1f, B.allocate(2), null, 1f));
        assertTrue(e.getMessage().contains("row 1"), e.getMessage());
    }
}
