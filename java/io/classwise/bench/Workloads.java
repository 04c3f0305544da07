package io.classwise.bench;

import io.classwise.nn.Grad;
import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.nn.Tape;
import io.classwise.tensor.Backend;
import io.classwise.tensor.ConvGeometry;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;

/**
 * The workloads shared by {@code engine.jar bench} and the JMH benchmarks, so both measure the same
 * code: the Madry CNN's second convolution (the dominant layer), its input gradient, and one PGD
 * step (forward, input-only backward, fused ℓ∞ update) of the Madry CNN and the small CNN on 28×28.
 */
public final class Workloads {
    private Workloads() {}

    /** conv 32→64, 5×5, pad 2 on (N, 32, 14, 14): Madry CNN's conv2. */
    public static ConvGeometry madryConv2(int batch) { return new ConvGeometry(batch, 32, 14, 14, 64, 5, 5, 1, 2); }

    private static float[] random(Rng rng, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.uniform(lo, hi);
        return v;
    }

    public static Workload convForward(Backend b, ConvGeometry g) {
        Rng rng = new Rng(1);
        Tensor x = b.allocate(g.inputShape()).copyFrom(random(rng, Tensor.sizeOf(g.inputShape()), -1, 1));
        Tensor w = b.allocate(g.weightShape()).copyFrom(random(rng, Tensor.sizeOf(g.weightShape()), -0.1, 0.1));
        Tensor bias = b.allocate(g.k()), y = b.allocate(g.outputShape());
        return new Workload() {
            public String name() { return "conv2d forward " + g.c() + "→" + g.k() + " " + g.r() + "x" + g.s() + " on " + g.h() + "x" + g.w(); }
            public int images() { return g.n(); }
            public double flops() { return g.flops(); }
            public double run() { b.conv2dForward(x, w, bias, y, g); return 1; }
        };
    }

    public static Workload convInputGradient(Backend b, ConvGeometry g) {
        Rng rng = new Rng(2);
        Tensor dy = b.allocate(g.outputShape()).copyFrom(random(rng, Tensor.sizeOf(g.outputShape()), -1, 1));
        Tensor w = b.allocate(g.weightShape()).copyFrom(random(rng, Tensor.sizeOf(g.weightShape()), -0.1, 0.1));
        Tensor dx = b.allocate(g.inputShape());
        return new Workload() {
            public String name() { return "conv2d input-gradient " + g.c() + "→" + g.k() + " " + g.r() + "x" + g.s() + " on " + g.h() + "x" + g.w(); }
            public int images() { return g.n(); }
            public double flops() { return g.flops(); }
            public double run() { b.conv2dBackwardData(dy, w, dx, g); return 1; }
        };
    }

    /**
     * One ℓ∞ PGD step on a batch: forward, cross-entropy gradient, input-only backward, fused update
     * (ε = 0.3, step 0.01 as in Madry's MNIST setting).
     */
    public static Workload pgdStep(Backend b, String architecture, int batch) {
        Model m = Models.create(b, Models.spec(architecture, 10, 1, 28, 28), 3);
        Rng rng = new Rng(4);
        Tensor xNat = b.allocate(batch, 1, 28, 28).copyFrom(random(rng, batch * 784, 0, 1));
        Tensor xAdv = b.allocate(batch, 1, 28, 28);
        b.copy(xNat, xAdv);
        float[] labels = new float[batch];
        for (int i = 0; i < batch; i++) labels[i] = rng.nextInt(10);
        Tensor y = b.allocate(batch).copyFrom(labels), loss = b.allocate(batch), dLogits = b.allocate(batch, 10);
        Tape tape = new Tape(b);
        return new Workload() {
            public String name() { return "PGD step " + architecture + " 1x28x28"; }
            public int images() { return batch; }
            public double flops() { return 0; }
            public double run() {
                Tensor logits = m.forward(tape, xAdv);
                b.softmaxCrossEntropy(logits, y, 1f, loss, dLogits, 1f / batch);
                Tensor g = m.backward(tape, dLogits, Grad.INPUT);
                b.linfPgdStep(xAdv, g, xNat, 0.01f, 0.3f);
                return 1;
            }
        };
    }
}
