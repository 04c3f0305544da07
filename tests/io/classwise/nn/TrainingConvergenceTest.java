package io.classwise.nn;

import io.classwise.tensor.Tensor;
import io.classwise.tensor.cpu.CpuBackend;
import io.classwise.util.Rng;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end through every piece of the core: the small CNN (conv, ReLU, max-pool, linear), batch
 * norm inside ResNet blocks is covered elsewhere. Four classes of 8×8 images, each a bright quadrant
 * plus noise, are linearly separable; a few hundred SGD steps must drive the loss near zero.
 */
class TrainingConvergenceTest {

    private static void batch(Rng rng, float[] x, float[] y) {
        int n = y.length;
        for (int i = 0; i < n; i++) {
            int cls = rng.nextInt(4);
            y[i] = cls;
            for (int r = 0; r < 8; r++) for (int c = 0; c < 8; c++) {
                boolean on = (r / 4) * 2 + (c / 4) == cls;
                x[i * 64 + r * 8 + c] = (float) Math.min(1, Math.max(0, (on ? 0.8 : 0.2) + 0.1 * rng.nextGaussian()));
            }
        }
    }

    private static float[] train(CpuBackend b, long seed, double[] finalLoss) {
        Model m = Models.create(b, Models.spec("small-cnn", 4, 1, 8, 8), seed);
        Sgd sgd = new Sgd(m.parameters(), 0.9f, 0, 5e-4f, false);
        Tape tape = new Tape(b).training(true);
        Rng data = new Rng(seed + 1);
        int n = 32;
        float[] xs = new float[n * 64], ys = new float[n];
        Tensor x = b.allocate(n, 1, 8, 8), y = b.allocate(n), per = b.allocate(n), d = b.allocate(n, 4);
        double loss = 0;
        for (int step = 0; step < 300; step++) {
            batch(data, xs, ys);
            x.copyFrom(xs);
            y.copyFrom(ys);
            sgd.zeroGrad();
            Tensor logits = m.forward(tape, x);
            loss = Losses.crossEntropy(logits, y, 1f, per, d);
            m.backward(tape, d, Grad.PARAMS);
            sgd.step(0.05f);
        }
        finalLoss[0] = loss;
        return m.parameters().get(0).value().toArray();
    }

    @Test
    void smallCnnReachesNearZeroLossAndIsReproducible() {
        try (CpuBackend b = new CpuBackend(2)) {
            double[] l1 = new double[1], l2 = new double[1];
            float[] w1 = train(b, 7, l1), w2 = train(b, 7, l2);
            assertTrue(l1[0] < 0.05, "final loss " + l1[0]);
            assertArrayEquals(w1, w2, "same seed, same weights");
        }
    }
}
