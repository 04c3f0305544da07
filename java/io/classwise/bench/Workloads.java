package io.classwise.bench;

import io.classwise.attack.Pgd;
import io.classwise.nn.Grad;
import io.classwise.nn.Losses;
import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.nn.Sgd;
import io.classwise.nn.Tape;
import io.classwise.tensor.Backend;
import io.classwise.tensor.ConvGeometry;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;
import java.util.List;

/**
 * The workloads shared by {@code engine.jar bench} and the JMH benchmarks, so both measure the same
 * code: the Madry CNN's second convolution (the dominant layer), its input gradient, and one PGD
 * step (forward, input-only backward, fused ℓ∞ update), one PGD-10 adversarial training step and a
 * PGD-20 evaluation. benchmarks/pytorch_reference.py defines the same workloads in PyTorch.
 *
 * <p>Inputs per architecture: madry-cnn and small-cnn see 1×28×28 with ε = 0.3, step 0.01 (Madry's
 * MNIST setting); the CIFAR networks see 3×32×32 with ε = 8/255, step 2/255.
 */
public final class Workloads {
    private Workloads() {}

    /** conv 32→64, 5×5, pad 2 on (N, 32, 14, 14): Madry CNN's conv2. */
    public static ConvGeometry madryConv2(int batch) { return new ConvGeometry(batch, 32, 14, 14, 64, 5, 5, 1, 2); }

    /**
     * Benchmark convolution geometries by name: madry-conv2 (above), madry-conv1 (1→32, 5×5, pad 2 on 28×28),
     * resnet-stem (3→64, 3×3, pad 1 on 32×32: the image's layer, whose input gradient has 3 output channels), resnet-3x3
     * (64→64, 3×3, pad 1 on 32×32: a CIFAR ResNet's first stage), resnet-down (64→128, 3×3, stride 2 on 32×32).
     */
    public static ConvGeometry conv(String name, int batch) {
        return switch (name) {
            case "madry-conv2" -> madryConv2(batch);
            case "madry-conv1" -> new ConvGeometry(batch, 1, 28, 28, 32, 5, 5, 1, 2);
            case "resnet-stem" -> new ConvGeometry(batch, 3, 32, 32, 64, 3, 3, 1, 1);
            case "resnet-3x3" -> new ConvGeometry(batch, 64, 32, 32, 64, 3, 3, 1, 1);
            case "resnet-down" -> new ConvGeometry(batch, 64, 32, 32, 128, 3, 3, 2, 1);
            default -> throw new IllegalArgumentException("unknown convolution geometry '" + name
                    + "' (madry-conv2, madry-conv1, resnet-stem, resnet-3x3, resnet-down)");
        };
    }

    /**
     * Runs {@code w} once and compares its output with the same workload on the reference loops
     * (|a − e| ≤ atol + rtol·|e|); a benchmark whose answer is wrong is not worth timing.
     */
    public static void verify(Workload w, Workload reference, double atol, double rtol) {
        w.run();
        reference.run();
        float[] got = w.output(), want = reference.output();
        if (got.length != want.length) throw new IllegalStateException(w.name() + ": output has " + got.length
                + " values, the reference " + want.length);
        for (int i = 0; i < got.length; i++) {
            if (!(Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]))) {
                throw new IllegalStateException(w.name() + ": output[" + i + "] = " + got[i] + " but the reference loops give " + want[i]);
            }
        }
    }

    /**
     * Checks a backend's convolution of a named geometry (forward and input gradient, batch 2) against another's, before
     * a benchmark times it; atol = rtol = 1e-3.
     */
    public static void verifyConvolution(Backend backend, Backend reference, String geometry) {
        verify(convForward(backend, conv(geometry, 2)), convForward(reference, conv(geometry, 2)), 1e-3, 1e-3);
        verify(convInputGradient(backend, conv(geometry, 2)), convInputGradient(reference, conv(geometry, 2)), 1e-3, 1e-3);
    }

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
            public String name() { return "conv2d forward " + g.c() + "→" + g.k() + " " + g.r() + "x" + g.s() + " on " + g.h()
                    + "x" + g.w(); }
            public int images() { return g.n(); }
            public double flops() { return g.flops(); }
            public double run() { b.conv2dForward(x, w, bias, y, g); return 1; }
            public float[] output() { return y.toArray(); }
        };
    }

    public static Workload convInputGradient(Backend b, ConvGeometry g) {
        Rng rng = new Rng(2);
        Tensor dy = b.allocate(g.outputShape()).copyFrom(random(rng, Tensor.sizeOf(g.outputShape()), -1, 1));
        Tensor w = b.allocate(g.weightShape()).copyFrom(random(rng, Tensor.sizeOf(g.weightShape()), -0.1, 0.1));
        Tensor dx = b.allocate(g.inputShape());
        return new Workload() {
            public String name() { return "conv2d input-gradient " + g.c() + "→" + g.k() + " " + g.r() + "x" + g.s() + " on "
                    + g.h() + "x" + g.w(); }
            public int images() { return g.n(); }
            public double flops() { return g.flops(); }
            public double run() { b.conv2dBackwardData(dy, w, dx, g); return 1; }
            public float[] output() { return dx.toArray(); }
        };
    }

    /** (C, H, W), ε and step of an architecture's benchmark input. */
    record Setting(int c, int h, int w, float eps, float step) {
        static Setting of(String architecture) {
            return architecture.equals("madry-cnn") || architecture.equals("small-cnn")
                    ? new Setting(1, 28, 28, 0.3f, 0.01f) : new Setting(3, 32, 32, 8 / 255f, 2 / 255f);
        }
    }

    /** A model and a random labelled batch for it (weights seeded, so every run times the same numbers). */
    private record Problem(Model model, Tensor x, Tensor y, Setting setting) {
        static Problem of(Backend b, String architecture, int batch) {
            Setting s = Setting.of(architecture);
            Model m = Models.create(b, Models.spec(architecture, 10, s.c(), s.h(), s.w()), 3);
            Rng rng = new Rng(4);
            Tensor x = b.allocate(batch, s.c(), s.h(), s.w()).copyFrom(random(rng, batch * s.c() * s.h() * s.w(), 0, 1));
            float[] labels = new float[batch];
            for (int i = 0; i < batch; i++) labels[i] = rng.nextInt(10);
            return new Problem(m, x, b.allocate(batch).copyFrom(labels), s);
        }
    }

    /**
     * One PGD-10 adversarial training step (Madry et al.): random start, 10 steps on the training-mode
     * network, forward and full backward on the adversarial batch, SGD with momentum 0.9 and weight
     * decay 5e-4: what {@code Trainer} does per batch for {@code --method pgd-at}, less its bookkeeping.
     */
    public static Workload adversarialTrainingStep(Backend b, String architecture, int batch, int steps) {
        Problem p = Problem.of(b, architecture, batch);
        Pgd attack = Pgd.pgd(p.setting().eps(), p.setting().step(), steps, 1);
        Sgd sgd = new Sgd(p.model().parameters(), 0.9f, 0f, 5e-4f, false);
        Tape tape = new Tape(b).training(true);
        Tensor perExample = b.allocate(batch), dLogits = b.allocate(batch, 10);
        Rng rng = new Rng(6);
        return new Workload() {
            public String name() { return "PGD-" + steps + " training step " + architecture; }
            public int images() { return batch; }
            public double flops() { return 0; }
            public double run() {
                Tensor xAdv = attack.perturb(p.model(), tape, p.x(), p.y(), rng);
                sgd.zeroGrad();
                Tensor logits = p.model().forward(tape, xAdv);
                double loss = Losses.crossEntropy(logits, p.y(), 1f, perExample, dLogits);
                p.model().backward(tape, dLogits, Grad.PARAMS);
                sgd.step(0.01f);
                return loss;
            }
        };
    }

    /** PGD-{@code steps} evaluation: the attack on the evaluation-mode network, then the predictions. */
    public static Workload pgdEvaluation(Backend b, String architecture, int batch, int steps) {
        Problem p = Problem.of(b, architecture, batch);
        Pgd attack = Pgd.pgd(p.setting().eps(), p.setting().step(), steps, 1);
        Tape tape = new Tape(b);
        Rng rng = new Rng(7);
        return new Workload() {
            public String name() { return "PGD-" + steps + " evaluation " + architecture; }
            public int images() { return batch; }
            public double flops() { return 0; }
            public double run() { return attack.run(p.model(), tape, p.x(), p.y(), rng).successCount(); }
        };
    }

    /**
     * One ℓ∞ PGD step on a batch: forward, cross-entropy gradient, input-only backward, fused update
     * (ε = 0.3, step 0.01 as in Madry's MNIST setting).
     */
    public static Workload pgdStep(Backend b, String architecture, int batch) {
        Problem p = Problem.of(b, architecture, batch);
        Tensor xAdv = b.allocate(p.x().shape()), loss = b.allocate(batch), dLogits = b.allocate(batch, 10);
        b.copy(p.x(), xAdv);
        Tape tape = new Tape(b).training(true);
        return new Workload() {
            public String name() { return "PGD step " + architecture; }
            public int images() { return batch; }
            public double flops() { return 0; }
            public double run() {
                Tensor logits = p.model().forward(tape, xAdv);
                b.softmaxCrossEntropy(logits, p.y(), 1f, loss, dLogits, 1f / batch);
                Tensor g = p.model().backward(tape, dLogits, Grad.INPUT);
                b.linfPgdStep(xAdv, g, p.x(), p.setting().step(), p.setting().eps());
                return 1;
            }
        };
    }

    /** C (m × n) = A (m × k) · B (k × n), all row-major ("MxNxK"): e.g. 128x3136x1024, Madry CNN's linear1 input gradient. */
    public static Workload gemm(Backend b, String shape) {
        String[] d = shape.split("x");
        if (d.length != 3) throw new IllegalArgumentException("gemm shape " + shape + ": expected MxNxK, e.g. 128x3136x1024");
        int m = Integer.parseInt(d[0]), n = Integer.parseInt(d[1]), k = Integer.parseInt(d[2]);
        Rng rng = new Rng(10);
        Tensor a = b.allocate(m, k).copyFrom(random(rng, m * k, -1, 1)), bm = b.allocate(k, n).copyFrom(random(rng, k * n, -0.05, 0.05));
        Tensor c = b.allocate(m, n);
        return new Workload() {
            public String name() { return "gemm NN " + shape; }
            public int images() { return m; }
            public double flops() { return 2.0 * m * n * k; }
            public double run() { b.gemm(false, false, m, n, k, 1f, a, bm, 0f, c); return 1; }
            @Override public float[] output() { return c.toArray(); }
        };
    }

    /** Madry CNN's linear1 (3136 → 1024): forward y = x·Wᵀ and the input gradient dx = dy·W. */
    public static Workload linear(Backend b, int batch) {
        int in = 3136, out = 1024;
        Rng rng = new Rng(8);
        Tensor x = b.allocate(batch, in).copyFrom(random(rng, batch * in, -1, 1)), w = b.allocate(out, in).copyFrom(random(rng,
                out * in, -0.02, 0.02));
        Tensor y = b.allocate(batch, out), dx = b.allocate(batch, in);
        return new Workload() {
            public String name() { return "linear 3136→1024 forward + input-gradient"; }
            public int images() { return batch; }
            public double flops() { return 4.0 * batch * in * out; }
            public double run() {
                b.gemm(false, true, batch, out, in, 1f, x, w, 0f, y);
                b.gemm(false, false, batch, in, out, 1f, y, w, 0f, dx);
                return 1;
            }
            @Override public float[] output() { return dx.toArray(); }
        };
    }

    /** Training-mode batch norm over (N, 64, 32, 32) (PreActResNet-18's first stage): forward and backward. */
    public static Workload batchNorm(Backend b, int batch) {
        int c = 64, hw = 32;
        Rng rng = new Rng(9);
        Tensor x = b.allocate(batch, c, hw, hw).copyFrom(random(rng, batch * c * hw * hw, -1, 1));
        Tensor dy = b.allocate(batch, c, hw, hw).copyFrom(random(rng, batch * c * hw * hw, -1, 1));
        Tensor gamma = b.allocate(c), beta = b.allocate(c), mean = b.allocate(c), var = b.allocate(c), saveMean = b.allocate(c), saveInv = b.allocate(c);
        b.fill(gamma, 1f);
        b.fill(var, 1f);
        Tensor y = b.allocate(x.shape()), dx = b.allocate(x.shape()), dGamma = b.allocate(c), dBeta = b.allocate(c);
        return new Workload() {
            public String name() { return "batch norm (train) 64x32x32 forward + backward"; }
            public int images() { return batch; }
            public double flops() { return 0; }
            public double run() {
                b.batchNormTrainForward(x, gamma, beta, mean, var, 0.1f, 1e-5f, y, saveMean, saveInv);
                b.batchNormTrainBackward(x, dy, gamma, saveMean, saveInv, dx, dGamma, dBeta);
                return 1;
            }
        };
    }

    /** The fused ℓ∞ attack update (sign step, projection onto the ε-ball, clamp to [0, 1]) on (N, 3, 32, 32). */
    public static Workload pgdUpdate(Backend b, int batch) {
        int n = batch * 3 * 32 * 32;
        Rng rng = new Rng(10);
        Tensor x = b.allocate(batch, 3, 32, 32).copyFrom(random(rng, n, 0, 1)), g = b.allocate(x.shape()).copyFrom(random(rng, n, -1, 1));
        Tensor xAdv = b.allocate(x.shape());
        b.copy(x, xAdv);
        return new Workload() {
            public String name() { return "fused PGD update 3x32x32"; }
            public int images() { return batch; }
            public double flops() { return 0; }
            public double run() { b.linfPgdStep(xAdv, g, x, 2 / 255f, 8 / 255f); return 1; }
        };
    }

    /** The workload kinds shared with benchmarks/pytorch_reference.py. */
    public static final List<String> KINDS = List.of("pgd-step", "pgd10-train", "pgd20-eval");

    /** A workload named as on the command line, KIND:ARCH (e.g. pgd10-train:madry-cnn); checked when parsed. */
    public record Spec(String kind, String architecture) {
        public static Spec parse(String text) {
            int colon = text.indexOf(':');
            if (colon < 0) throw new IllegalArgumentException("--workload " + text + ": expected KIND:ARCH, e.g. pgd10-train:madry-cnn");
            String kind = text.substring(0, colon), architecture = text.substring(colon + 1);
            if (!KINDS.contains(kind)) {
                throw new IllegalArgumentException("--workload " + text + ": unknown kind (expected one of " + String.join(", ",
                        KINDS) + ")");
            }
            if (!Models.ARCHITECTURES.contains(architecture)) {
                throw new IllegalArgumentException("--workload " + text + ": unknown architecture (expected one of "
                        + String.join(", ", Models.ARCHITECTURES) + ")");
            }
            return new Spec(kind, architecture);
        }

        @Override
        public String toString() { return kind + ":" + architecture; }
    }

    /** The workload {@code spec} at {@code batch}. */
    public static Workload create(Backend b, Spec spec, int batch) {
        return switch (spec.kind()) {
            case "pgd-step" -> pgdStep(b, spec.architecture(), batch);
            case "pgd10-train" -> adversarialTrainingStep(b, spec.architecture(), batch, 10);
            case "pgd20-eval" -> pgdEvaluation(b, spec.architecture(), batch, 20);
            default -> throw new IllegalStateException("no workload " + spec); // Spec.parse admits only KINDS
        };
    }
}
