package io.classwise.tensor.cuda;

import io.classwise.attack.Pgd;
import io.classwise.nn.Grad;
import io.classwise.nn.Losses;
import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.nn.Parameter;
import io.classwise.nn.Sgd;
import io.classwise.nn.Tape;
import io.classwise.tensor.Backend;
import io.classwise.tensor.ConvGeometry;
import io.classwise.tensor.PoolGeometry;
import io.classwise.tensor.Tensor;
import io.classwise.tensor.reference.ReferenceBackend;
import io.classwise.util.Rng;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static io.classwise.TestUtil.assertClose;
import static io.classwise.TestUtil.randn;
import static io.classwise.TestUtil.to;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every CUDA operation against the plain-loop oracle, forward and backward, and one full PGD-AT
 * training step of PreActResNet-18 and WRN-16-4 on random data. Tagged "gpu": skipped (with the
 * probe's reason) where no usable GPU exists. Tolerances: float32 reductions in a different order,
 * atol 1e-4 + rtol 1e-3 per op; the whole training step 2e-3 relative.
 */
@Tag("gpu")
class CudaBackendParityTest {
    static final ReferenceBackend REF = new ReferenceBackend();
    static CudaBackend gpu;

    @BeforeAll
    static void open() {
        if (CudaProbe.reasonUnusable() == null) gpu = new CudaBackend(0, false);
    }

    @BeforeEach
    void requireGpu() { assumeTrue(gpu != null, () -> "no usable GPU: " + CudaProbe.reasonUnusable()); }

    @AfterAll
    static void close() { if (gpu != null) gpu.close(); }

    private static void same(Tensor expected, Tensor actual, String what) { assertClose(expected.toArray(), actual.toArray(), 1e-4, 1e-3, what); }

    private static Tensor labels(Backend b, Rng rng, int n, int k) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rng.nextInt(k);
        return b.allocate(n).copyFrom(v);
    }

    @Test
    void memoryRoundTripsAndElementwiseOps() {
        Rng rng = new Rng(1);
        Tensor x = randn(REF, rng, 1, 3, 5, 7), y = randn(REF, rng, 1, 3, 5, 7);
        Tensor gx = to(gpu, x), gy = to(gpu, y);
        assertArrayEquals(x.toArray(), gx.toArray());
        REF.axpy(0.7f, x, y);
        gpu.axpy(0.7f, gx, gy);
        same(y, gy, "axpy");
        REF.scale(y, -1.5f);
        gpu.scale(gy, -1.5f);
        same(y, gy, "scale");
        Tensor out = REF.allocate(x.shape()), gout = gpu.allocate(x.shape());
        REF.add(x, y, out);
        gpu.add(gx, gy, gout);
        same(out, gout, "add");
        REF.relu(x, out);
        gpu.relu(gx, gout);
        assertArrayEquals(out.toArray(), gout.toArray(), "relu");
        Tensor dx = REF.allocate(x.shape()), gdx = gpu.allocate(x.shape());
        REF.reluBackward(out, y, dx);
        gpu.reluBackward(gout, gy, gdx);
        assertArrayEquals(dx.toArray(), gdx.toArray(), "relu backward");
        gpu.fill(gout, 2.5f);
        for (float v : gout.toArray()) org.junit.jupiter.api.Assertions.assertEquals(2.5f, v);
        org.junit.jupiter.api.Assertions.assertEquals(REF.sum(x), gpu.sum(gx), 1e-3);
        Tensor copy = gpu.allocate(x.shape());
        gpu.copy(gx, copy);
        assertArrayEquals(x.toArray(), copy.toArray(), "copy");
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} transB={4}")
    @CsvSource({"7, 5, 3, false, false", "13, 9, 17, true, false", "5, 13, 11, false, true", "9, 7, 13, true, true", "128, 1024, 3136, false, true"})
    void gemm(int m, int n, int k, boolean ta, boolean tb) {
        Rng rng = new Rng(m + n + k);
        Tensor a = randn(REF, rng, 1, ta ? k : m, ta ? m : k), b = randn(REF, rng, 1, tb ? n : k, tb ? k : n), c = randn(REF, rng, 1, m, n);
        Tensor gc = to(gpu, c);
        REF.gemm(ta, tb, m, n, k, 0.7f, a, b, 0.5f, c);
        gpu.gemm(ta, tb, m, n, k, 0.7f, to(gpu, a), to(gpu, b), 0.5f, gc);
        assertClose(c.toArray(), gc.toArray(), 1e-3, 1e-3, "gemm");
        Tensor bias = randn(REF, rng, 1, n), gbias = to(gpu, bias), y = randn(REF, rng, 1, m, n), gy = to(gpu, y);
        REF.addRowVector(y, bias);
        gpu.addRowVector(gy, gbias);
        same(y, gy, "addRowVector");
        REF.sumRows(y, bias);
        gpu.sumRows(gy, gbias);
        assertClose(bias.toArray(), gbias.toArray(), 1e-3, 1e-3, "sumRows");
    }

    @ParameterizedTest(name = "N={0} C={1} H={2} W={3} K={4} k={5} stride={6} pad={7} bias={8}")
    @CsvSource({"2, 3, 7, 7, 4, 3, 1, 1, true", "3, 1, 28, 28, 8, 5, 1, 2, true", "2, 5, 9, 11, 6, 3, 2, 1, false", "4, 16, 8, 8, 32, 1, 2, 0, false"})
    void convolution(int n, int c, int h, int w, int k, int r, int stride, int pad, boolean bias) {
        Rng rng = new Rng(n * 31L + c + k);
        ConvGeometry g = new ConvGeometry(n, c, h, w, k, r, r, stride, pad);
        Tensor x = randn(REF, rng, 1, g.inputShape()), wt = randn(REF, rng, 0.3, g.weightShape()), dy = randn(REF, rng, 1, g.outputShape());
        Tensor b = bias ? randn(REF, rng, 1, k) : null;
        Tensor y = REF.allocate(g.outputShape()), gyOut = gpu.allocate(g.outputShape());
        REF.conv2dForward(x, wt, b, y, g);
        gpu.conv2dForward(to(gpu, x), to(gpu, wt), b == null ? null : to(gpu, b), gyOut, g);
        same(y, gyOut, "conv forward");
        Tensor dx = REF.allocate(g.inputShape()), gdx = gpu.allocate(g.inputShape());
        REF.conv2dBackwardData(dy, wt, dx, g);
        gpu.conv2dBackwardData(to(gpu, dy), to(gpu, wt), gdx, g);
        same(dx, gdx, "conv backward data");
        Tensor dw = randn(REF, new Rng(5), 1, g.weightShape()), gdw = to(gpu, dw);
        Tensor db = bias ? randn(REF, new Rng(6), 1, k) : null, gdb = bias ? to(gpu, db) : null;
        REF.conv2dBackwardFilter(x, dy, dw, db, g);
        gpu.conv2dBackwardFilter(to(gpu, x), to(gpu, dy), gdw, gdb, g);
        same(dw, gdw, "conv backward filter");
        if (bias) same(db, gdb, "conv backward bias");
    }

    @Test
    void batchNormTrainingAndInference() {
        Rng rng = new Rng(7);
        int n = 4, c = 3, h = 5, w = 5;
        Tensor x = randn(REF, rng, 2, n, c, h, w), dy = randn(REF, rng, 1, n, c, h, w);
        Tensor gamma = randn(REF, rng, 1, c), beta = randn(REF, rng, 1, c), mean = randn(REF, rng, 0.1, c), var = REF.allocate(c).copyFrom(new float[] {1.5f, 0.7f, 1f});
        Tensor gMean = to(gpu, mean), gVar = to(gpu, var), gx = to(gpu, x), gdy = to(gpu, dy), gGamma = to(gpu, gamma), gBeta = to(gpu, beta);
        Tensor y = REF.allocate(x.shape()), gy = gpu.allocate(x.shape());
        Tensor sm = REF.allocate(c), si = REF.allocate(c), gsm = gpu.allocate(c), gsi = gpu.allocate(c);
        REF.batchNormTrainForward(x, gamma, beta, mean, var, 0.1f, 1e-5f, y, sm, si);
        gpu.batchNormTrainForward(gx, gGamma, gBeta, gMean, gVar, 0.1f, 1e-5f, gy, gsm, gsi);
        same(y, gy, "bn train forward");
        same(mean, gMean, "bn running mean");
        same(var, gVar, "bn running var");
        Tensor dx = REF.allocate(x.shape()), gdx = gpu.allocate(x.shape());
        Tensor dg = REF.allocate(c), dbt = REF.allocate(c), gdg = gpu.allocate(c), gdbt = gpu.allocate(c);
        REF.batchNormTrainBackward(x, dy, gamma, sm, si, dx, dg, dbt);
        gpu.batchNormTrainBackward(gx, gdy, gGamma, gsm, gsi, gdx, gdg, gdbt);
        same(dx, gdx, "bn train backward dx");
        same(dg, gdg, "bn dgamma");
        same(dbt, gdbt, "bn dbeta");
        REF.batchNormInferenceForward(x, gamma, beta, mean, var, 1e-5f, y);
        gpu.batchNormInferenceForward(gx, gGamma, gBeta, gMean, gVar, 1e-5f, gy);
        same(y, gy, "bn inference forward");
        REF.batchNormInferenceBackward(x, dy, gamma, mean, var, 1e-5f, dx, dg, dbt);
        gpu.batchNormInferenceBackward(gx, gdy, gGamma, gMean, gVar, 1e-5f, gdx, gdg, gdbt);
        same(dx, gdx, "bn inference backward dx");
        same(dg, gdg, "bn inference dgamma");
        same(dbt, gdbt, "bn inference dbeta");
    }

    @ParameterizedTest(name = "pool {0}x{0} k={1} s={2} p={3}")
    @CsvSource({"8, 2, 2, 0", "7, 2, 2, 0", "9, 3, 2, 1", "4, 4, 4, 0"})
    void pooling(int hw, int k, int s, int p) {
        Rng rng = new Rng(hw * 7L + k);
        PoolGeometry g = new PoolGeometry(3, 2, hw, hw, k, s, p);
        float[] grid = new float[3 * 2 * hw * hw];
        for (int i = 0; i < grid.length; i++) grid[i] = rng.nextInt(7) - 4; // ties and non-positive windows
        Tensor x = REF.allocate(3, 2, hw, hw).copyFrom(grid), dy = randn(REF, rng, 1, g.outputShape()), gx = to(gpu, x), gdy = to(gpu, dy);
        Tensor y = REF.allocate(g.outputShape()), gyOut = gpu.allocate(g.outputShape()), dx = REF.allocate(x.shape()), gdx = gpu.allocate(x.shape());
        REF.maxPoolForward(x, y, g); gpu.maxPoolForward(gx, gyOut, g);
        assertArrayEquals(y.toArray(), gyOut.toArray(), "max pool");
        REF.maxPoolBackward(x, dy, dx, g); gpu.maxPoolBackward(gx, gdy, gdx, g);
        same(dx, gdx, "max pool backward");
        REF.reluMaxPoolForward(x, y, g); gpu.reluMaxPoolForward(gx, gyOut, g);
        assertArrayEquals(y.toArray(), gyOut.toArray(), "relu+max pool");
        REF.reluMaxPoolBackward(x, dy, dx, g); gpu.reluMaxPoolBackward(gx, gdy, gdx, g);
        same(dx, gdx, "relu+max pool backward");
        REF.avgPoolForward(x, y, g); gpu.avgPoolForward(gx, gyOut, g);
        same(y, gyOut, "avg pool");
        REF.avgPoolBackward(dy, dx, g); gpu.avgPoolBackward(gdy, gdx, g);
        same(dx, gdx, "avg pool backward");
    }

    @Test
    void normalisationLayers() {
        Rng rng = new Rng(9);
        Tensor x = randn(REF, rng, 1, 2, 3, 4, 4), mean = randn(REF, rng, 0.2, 3), std = REF.allocate(3).copyFrom(new float[] {0.3f, 0.5f, 2f});
        Tensor y = REF.allocate(x.shape()), gy = gpu.allocate(x.shape());
        REF.normalizeChannels(x, mean, std, y);
        gpu.normalizeChannels(to(gpu, x), to(gpu, mean), to(gpu, std), gy);
        same(y, gy, "normalize channels");
        REF.normalizeChannelsBackward(x, std, y);
        gpu.normalizeChannelsBackward(to(gpu, x), to(gpu, std), gy);
        same(y, gy, "normalize channels backward");
        Tensor rows = randn(REF, rng, 1, 5, 33), out = REF.allocate(5, 33), gout = gpu.allocate(5, 33), norms = REF.allocate(5), gnorms = gpu.allocate(5);
        REF.l2NormalizeRows(rows, out, norms, 1e-12f);
        gpu.l2NormalizeRows(to(gpu, rows), gout, gnorms, 1e-12f);
        same(out, gout, "l2 normalize");
        same(norms, gnorms, "l2 norms");
        Tensor dy = randn(REF, rng, 1, 5, 33), dx = REF.allocate(5, 33), gdx = gpu.allocate(5, 33);
        REF.l2NormalizeRowsBackward(out, norms, dy, dx);
        gpu.l2NormalizeRowsBackward(gout, gnorms, to(gpu, dy), gdx);
        same(dx, gdx, "l2 normalize backward");
    }

    @ParameterizedTest(name = "classes={0}")
    @ValueSource(ints = {3, 10, 100, 1000})
    void lossesAndArgmax(int k) {
        Rng rng = new Rng(k);
        int n = 37;
        Tensor z = randn(REF, rng, 3, n, k), z2 = randn(REF, rng, 3, n, k), y = labels(REF, rng, n, k);
        Tensor gz = to(gpu, z), gz2 = to(gpu, z2), gyl = to(gpu, y);
        Tensor loss = REF.allocate(n), gloss = gpu.allocate(n), d = REF.allocate(n, k), gd = gpu.allocate(n, k), d2 = REF.allocate(n, k), gd2 = gpu.allocate(n, k);
        for (float t : new float[] {0.5f, 1f, 5f}) {
            REF.softmaxCrossEntropy(z, y, t, loss, d, 0.25f);
            gpu.softmaxCrossEntropy(gz, gyl, t, gloss, gd, 0.25f);
            same(loss, gloss, "cross-entropy T=" + t);
            same(d, gd, "cross-entropy gradient T=" + t);
        }
        REF.softmax(z, 2f, d); gpu.softmax(gz, 2f, gd);
        same(d, gd, "softmax");
        REF.klDivergence(z, z2, loss, d, d2, 0.5f); gpu.klDivergence(gz, gz2, gloss, gd, gd2, 0.5f);
        same(loss, gloss, "kl"); same(d, gd, "kl dP"); same(d2, gd2, "kl dQ");
        REF.boostedCrossEntropy(z, y, loss, d, 1f); gpu.boostedCrossEntropy(gz, gyl, gloss, gd, 1f);
        same(loss, gloss, "boosted ce"); same(d, gd, "boosted ce gradient");
        REF.marginLoss(z, y, 2f, loss, d, 1f); gpu.marginLoss(gz, gyl, 2f, gloss, gd, 1f);
        same(loss, gloss, "margin"); same(d, gd, "margin gradient");
        REF.dlrLoss(z, y, loss, d, 1f); gpu.dlrLoss(gz, gyl, gloss, gd, 1f);
        same(loss, gloss, "dlr"); same(d, gd, "dlr gradient");
        assertArrayEquals(REF.argmaxRows(z), gpu.argmaxRows(gz), "argmax");
    }

    @Test
    void optimiserAndAttackUpdates() {
        Rng rng = new Rng(11);
        Tensor p = randn(REF, rng, 1, 1000), g = randn(REF, rng, 1, 1000), m = randn(REF, rng, 1, 1000);
        Tensor gp = to(gpu, p), gg = to(gpu, g), gm = to(gpu, m);
        for (boolean first : new boolean[] {true, false}) {
            REF.sgdStep(p, g, m, 0.1f, 0.9f, 0f, 5e-4f, false, first);
            gpu.sgdStep(gp, gg, gm, 0.1f, 0.9f, 0f, 5e-4f, false, first);
        }
        same(p, gp, "sgd param"); same(m, gm, "sgd momentum");
        float[] nat = new float[4 * 3 * 8 * 8];
        for (int i = 0; i < nat.length; i++) nat[i] = (float) rng.nextDouble();
        Tensor x = REF.allocate(4, 3, 8, 8).copyFrom(nat), adv = REF.allocate(4, 3, 8, 8).copyFrom(nat), grad = randn(REF, rng, 1, 4, 3, 8, 8);
        Tensor gxn = to(gpu, x), gadv = to(gpu, adv), ggrad = to(gpu, grad);
        REF.linfPgdStep(adv, grad, x, 0.01f, 0.03f); gpu.linfPgdStep(gadv, ggrad, gxn, 0.01f, 0.03f);
        same(adv, gadv, "linf step");
        REF.l2PgdStep(adv, grad, x, 0.2f, 0.5f); gpu.l2PgdStep(gadv, ggrad, gxn, 0.2f, 0.5f);
        same(adv, gadv, "l2 step");
        Tensor steps = REF.allocate(4).copyFrom(new float[] {0.01f, 0.02f, 0f, 0.05f});
        REF.linfPgdStepPerRow(adv, grad, x, steps, 0.03f); gpu.linfPgdStepPerRow(gadv, ggrad, gxn, to(gpu, steps), 0.03f);
        same(adv, gadv, "per-row step");
        Tensor buf = randn(REF, rng, 1, 4, 3, 8, 8), gbuf = to(gpu, buf);
        REF.momentumAccumulate(grad, buf, 0.9f); gpu.momentumAccumulate(ggrad, gbuf, 0.9f);
        same(buf, gbuf, "momentum");
        Tensor rows = REF.allocate(4).copyFrom(new float[] {2f, 0f, -1f, 0.5f});
        REF.scaleRows(buf, rows); gpu.scaleRows(gbuf, to(gpu, rows));
        same(buf, gbuf, "scale rows");
        Tensor mask = REF.allocate(4).copyFrom(new float[] {1f, 0f, 1f, 0f});
        REF.copyRowsWhere(grad, buf, mask); gpu.copyRowsWhere(ggrad, gbuf, to(gpu, mask));
        same(buf, gbuf, "copy rows where");
        Tensor z = randn(REF, rng, 1, 4, 10), yl = labels(REF, rng, 4, 10), out = REF.allocate(4, 10), gout = gpu.allocate(4, 10);
        REF.addAtLabels(z, yl, -3f, out); gpu.addAtLabels(to(gpu, z), to(gpu, yl), -3f, gout);
        same(out, gout, "add at labels");
    }

    /**
     * One PGD-AT step (PGD-3 on the training-mode network, forward, backward, SGD) from the same
     * weights and data on both backends: the updated weights must agree.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"preact-resnet18", "wrn-16-4"})
    void adversarialTrainingStep(String architecture) {
        int batch = 8;
        // The CPU side runs the OpenBLAS backend (itself parity-tested against the reference) for speed.
        io.classwise.tensor.cpu.CpuBackend cpu = new io.classwise.tensor.cpu.CpuBackend();
        Model cpuModel = Models.create(cpu, Models.spec(architecture, 10, 3, 32, 32), 1);
        Model gpuModel = Models.create(gpu, Models.spec(architecture, 10, 3, 32, 32), 1);
        Rng rng = new Rng(12);
        float[] images = new float[batch * 3 * 32 * 32];
        for (int i = 0; i < images.length; i++) images[i] = (float) rng.nextDouble();
        Tensor y = labels(REF, rng, batch, 10);
        float[] cpuWeights = trainStep(cpu, cpuModel, images, y.toArray());
        cpu.close();
        float[] gpuWeights = trainStep(gpu, gpuModel, images, y.toArray());
        assertClose(cpuWeights, gpuWeights, 1e-4, 2e-3, architecture + " weights after one PGD-AT step");
    }

    private static float[] trainStep(Backend b, Model model, float[] images, float[] labels) {
        int n = labels.length;
        Tensor x = b.allocate(n, 3, 32, 32).copyFrom(images), y = b.allocate(n).copyFrom(labels);
        Tape tape = new Tape(b).training(true);
        Sgd sgd = new Sgd(model.parameters(), 0.9f, 0f, 5e-4f, false);
        Tensor xAdv = Pgd.pgd(8 / 255f, 2 / 255f, 3, 1).perturb(model, tape, x, y, new Rng(13));
        sgd.zeroGrad();
        Tensor logits = model.forward(tape, xAdv);
        Tensor d = b.allocate(n, 10);
        Losses.crossEntropy(logits, y, 1f, b.allocate(n), d);
        model.backward(tape, d, Grad.PARAMS);
        sgd.step(0.1f);
        List<Parameter> ps = model.parameters();
        int total = ps.stream().mapToInt(p -> p.value().size()).sum(), at = 0;
        float[] all = new float[total];
        for (Parameter p : ps) {
            float[] v = p.value().toArray();
            System.arraycopy(v, 0, all, at, v.length);
            at += v.length;
        }
        return all;
    }
}
