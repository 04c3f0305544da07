package io.classwise.tensor;

import io.classwise.TestUtil;
import io.classwise.attack.Pgd;
import io.classwise.nn.Grad;
import io.classwise.nn.Losses;
import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.nn.Parameter;
import io.classwise.nn.Sgd;
import io.classwise.nn.Tape;
import io.classwise.tensor.cpu.CpuBackend;
import io.classwise.tensor.reference.ReferenceBackend;
import io.classwise.util.Rng;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;


import static io.classwise.TestUtil.assertClose;
import static io.classwise.TestUtil.randn;
import static io.classwise.TestUtil.to;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every operation of a device backend against the plain-loop oracle, forward and backward, and one
 * full PGD-AT training step of PreActResNet-18 and WRN-16-4 on random data against the CPU backend.
 * The CUDA parity test runs these cases on the GPU; {@code ParityCasesOnCpuTest} runs them with the
 * CPU backend standing in, so that on every machine the cases are shown to pass for a correct backend
 * and to compare something (no expectation that is all zeros, no clamped-away gradient).
 *
 * <p>Tolerances: elementwise ops atol 1e-4 + rtol 1e-3; reductions of L terms of size m widen the
 * absolute part by 4·ε·L·m (float32 sums in another order); the whole training step 2e-3 relative.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendParityCases {
    static final ReferenceBackend REF = new ReferenceBackend();
    /** float32 machine epsilon (2^-23). */
    static final double FLOAT_EPS = 0x1p-23;
    protected Backend device;

    /** The backend under test, or null when this machine cannot run it (then {@link #unavailable} decides). */
    protected abstract Backend openDevice();

    /** Called before each case when {@link #openDevice()} gave null: skip with the reason, or fail. */
    protected abstract void unavailable();

    @BeforeAll
    void open() { device = openDevice(); }

    @BeforeEach
    void requireDevice() { if (device == null) unavailable(); }

    @AfterAll
    void close() { if (device != null) device.close(); }

    /** Elementwise results (no reduction): float32 rounding of one operation. */
    private static void same(Tensor expected, Tensor actual, String what) { same(expected, actual, what, 1, 1); }

    /**
     * A result that sums {@code length} terms of typical size {@code magnitude}: float32 summation in
     * another order errs by up to a few ε·length·magnitude, so the absolute tolerance grows with both
     * (1e-4 plus 4·ε·L·m); the relative tolerance stays 1e-3.
     */
    private static void same(Tensor expected, Tensor actual, String what, long length, double magnitude) {
        assertClose(expected.toArray(), actual.toArray(), 1e-4 + 4 * FLOAT_EPS * length * magnitude, 1e-3, what);
    }

    private static Tensor labels(Backend b, Rng rng, int n, int k) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rng.nextInt(k);
        return b.allocate(n).copyFrom(v);
    }

    @Test
    void memoryRoundTripsAndElementwiseOps() {
        Rng rng = new Rng(1);
        Tensor x = randn(REF, rng, 1, 3, 5, 7), y = randn(REF, rng, 1, 3, 5, 7);
        Tensor gx = to(device, x), gy = to(device, y);
        assertArrayEquals(x.toArray(), gx.toArray());
        REF.axpy(0.7f, x, y);
        device.axpy(0.7f, gx, gy);
        same(y, gy, "axpy");
        REF.scale(y, -1.5f);
        device.scale(gy, -1.5f);
        same(y, gy, "scale");
        Tensor out = REF.allocate(x.shape()), gout = device.allocate(x.shape());
        REF.add(x, y, out);
        device.add(gx, gy, gout);
        same(out, gout, "add");
        REF.relu(x, out);
        device.relu(gx, gout);
        assertArrayEquals(out.toArray(), gout.toArray(), "relu");
        Tensor dx = REF.allocate(x.shape()), gdx = device.allocate(x.shape());
        REF.reluBackward(out, y, dx);
        device.reluBackward(gout, gy, gdx);
        assertArrayEquals(dx.toArray(), gdx.toArray(), "relu backward");
        REF.swish(x, out);
        device.swish(gx, gout);
        same(out, gout, "swish");
        REF.swishBackward(x, y, dx);
        device.swishBackward(gx, gy, gdx);
        same(dx, gdx, "swish backward");
        device.fill(gout, 2.5f);
        for (float v : gout.toArray()) assertEquals(2.5f, v);
        assertEquals(REF.sum(x), device.sum(gx), 1e-4 + 4 * FLOAT_EPS * x.size(), "sum");
        Tensor copy = device.allocate(x.shape());
        device.copy(gx, copy);
        assertArrayEquals(x.toArray(), copy.toArray(), "copy");
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} transB={4}")
    @CsvSource({"7, 5, 3, false, false", "13, 9, 17, true, false", "5, 13, 11, false, true", "9, 7, 13, true, true", "128, 1024, 3136, false, true"})
    void gemm(int m, int n, int k, boolean ta, boolean tb) {
        Rng rng = new Rng(m + n + k);
        Tensor a = randn(REF, rng, 1, ta ? k : m, ta ? m : k), b = randn(REF, rng, 1, tb ? n : k, tb ? k : n), c = randn(REF, rng, 1, m, n);
        Tensor gc = to(device, c);
        REF.gemm(ta, tb, m, n, k, 0.7f, a, b, 0.5f, c);
        device.gemm(ta, tb, m, n, k, 0.7f, to(device, a), to(device, b), 0.5f, gc);
        same(c, gc, "gemm " + m + "x" + n + "x" + k, k, 1);
        Tensor bias = randn(REF, rng, 1, n), gbias = to(device, bias), y = randn(REF, rng, 1, m, n), gy = to(device, y);
        REF.addRowVector(y, bias);
        device.addRowVector(gy, gbias);
        same(y, gy, "addRowVector");
        REF.sumRows(y, bias);
        device.sumRows(gy, gbias);
        same(bias, gbias, "sumRows", m, 1);
    }

    @ParameterizedTest(name = "N={0} C={1} H={2} W={3} K={4} k={5} stride={6} pad={7} bias={8}")
    @CsvSource({"2, 3, 7, 7, 4, 3, 1, 1, true", "3, 1, 28, 28, 8, 5, 1, 2, true", "2, 5, 9, 11, 6, 3, 2, 1, false", "4, 16, 8, 8, 32, 1, 2, 0, false"})
    void convolution(int n, int c, int h, int w, int k, int r, int stride, int pad, boolean bias) {
        Rng rng = new Rng(n * 31L + c + k);
        ConvGeometry g = new ConvGeometry(n, c, h, w, k, r, r, stride, pad);
        Tensor x = randn(REF, rng, 1, g.inputShape()), wt = randn(REF, rng, 0.3, g.weightShape()), dy = randn(REF, rng, 1, g.outputShape());
        Tensor b = bias ? randn(REF, rng, 1, k) : null;
        Tensor y = REF.allocate(g.outputShape()), gyOut = device.allocate(g.outputShape());
        REF.conv2dForward(x, wt, b, y, g);
        device.conv2dForward(to(device, x), to(device, wt), b == null ? null : to(device, b), gyOut, g);
        same(y, gyOut, "conv forward " + g, (long) c * r * r, 0.3);
        Tensor dx = REF.allocate(g.inputShape()), gdx = device.allocate(g.inputShape());
        REF.conv2dBackwardData(dy, wt, dx, g);
        device.conv2dBackwardData(to(device, dy), to(device, wt), gdx, g);
        same(dx, gdx, "conv backward data " + g, (long) k * r * r, 0.3);
        Tensor dw = randn(REF, new Rng(5), 1, g.weightShape()), gdw = to(device, dw);
        Tensor db = bias ? randn(REF, new Rng(6), 1, k) : null, gdb = bias ? to(device, db) : null;
        REF.conv2dBackwardFilter(x, dy, dw, db, g);
        device.conv2dBackwardFilter(to(device, x), to(device, dy), gdw, gdb, g);
        same(dw, gdw, "conv backward filter " + g, (long) n * g.p() * g.q(), 1);
        if (bias) same(db, gdb, "conv backward bias " + g, (long) n * g.p() * g.q(), 1);
    }

    @Test
    void batchNormTrainingAndInference() {
        Rng rng = new Rng(7);
        int n = 4, c = 3, h = 5, w = 5;
        Tensor x = randn(REF, rng, 2, n, c, h, w), dy = randn(REF, rng, 1, n, c, h, w);
        Tensor gamma = randn(REF, rng, 1, c), beta = randn(REF, rng, 1, c), mean = randn(REF, rng, 0.1,
                c), var = REF.allocate(c).copyFrom(new float[] {1.5f, 0.7f, 1f});
        Tensor gMean = to(device, mean), gVar = to(device, var), gx = to(device, x), gdy = to(device, dy), gGamma = to(device,
                gamma), gBeta = to(device, beta);
        Tensor y = REF.allocate(x.shape()), gy = device.allocate(x.shape());
        Tensor sm = REF.allocate(c), si = REF.allocate(c), gsm = device.allocate(c), gsi = device.allocate(c);
        REF.batchNormTrainForward(x, gamma, beta, mean, var, 0.1f, 1e-5f, y, sm, si);
        device.batchNormTrainForward(gx, gGamma, gBeta, gMean, gVar, 0.1f, 1e-5f, gy, gsm, gsi);
        same(y, gy, "bn train forward", (long) n * h * w, 2);
        same(mean, gMean, "bn running mean", (long) n * h * w, 2);
        same(var, gVar, "bn running var", (long) n * h * w, 2);
        Tensor dx = REF.allocate(x.shape()), gdx = device.allocate(x.shape());
        Tensor dg = REF.allocate(c), dbt = REF.allocate(c), gdg = device.allocate(c), gdbt = device.allocate(c);
        REF.batchNormTrainBackward(x, dy, gamma, sm, si, dx, dg, dbt);
        device.batchNormTrainBackward(gx, gdy, gGamma, gsm, gsi, gdx, gdg, gdbt);
        same(dx, gdx, "bn train backward dx", (long) n * h * w, 2);
        same(dg, gdg, "bn dgamma", (long) n * h * w, 2);
        same(dbt, gdbt, "bn dbeta", (long) n * h * w, 2);
        REF.batchNormInferenceForward(x, gamma, beta, mean, var, 1e-5f, y);
        device.batchNormInferenceForward(gx, gGamma, gBeta, gMean, gVar, 1e-5f, gy);
        same(y, gy, "bn inference forward", (long) n * h * w, 2);
        REF.batchNormInferenceBackward(x, dy, gamma, mean, var, 1e-5f, dx, dg, dbt);
        device.batchNormInferenceBackward(gx, gdy, gGamma, gMean, gVar, 1e-5f, gdx, gdg, gdbt);
        same(dx, gdx, "bn inference backward dx", (long) n * h * w, 2);
        same(dg, gdg, "bn inference dgamma", (long) n * h * w, 2);
        same(dbt, gdbt, "bn inference dbeta", (long) n * h * w, 2);
    }

    @ParameterizedTest(name = "pool {0}x{0} k={1} s={2} p={3}")
    @CsvSource({"8, 2, 2, 0", "7, 2, 2, 0", "9, 3, 2, 1", "4, 4, 4, 0"})
    void pooling(int hw, int k, int s, int p) {
        Rng rng = new Rng(hw * 7L + k);
        PoolGeometry g = new PoolGeometry(3, 2, hw, hw, k, s, p);
        float[] grid = new float[3 * 2 * hw * hw];
        for (int i = 0; i < grid.length; i++) grid[i] = rng.nextInt(7) - 4; // ties and non-positive windows
        Tensor x = REF.allocate(3, 2, hw, hw).copyFrom(grid), dy = randn(REF, rng, 1, g.outputShape()), gx = to(device,
                x), gdy = to(device, dy);
        Tensor y = REF.allocate(g.outputShape()), gyOut = device.allocate(g.outputShape()), dx = REF.allocate(x.shape()), gdx = device.allocate(x.shape());
        REF.maxPoolForward(x, y, g); device.maxPoolForward(gx, gyOut, g);
        assertArrayEquals(y.toArray(), gyOut.toArray(), "max pool");
        REF.maxPoolBackward(x, dy, dx, g); device.maxPoolBackward(gx, gdy, gdx, g);
        same(dx, gdx, "max pool backward");
        REF.reluMaxPoolForward(x, y, g); device.reluMaxPoolForward(gx, gyOut, g);
        assertArrayEquals(y.toArray(), gyOut.toArray(), "relu+max pool");
        REF.reluMaxPoolBackward(x, dy, dx, g); device.reluMaxPoolBackward(gx, gdy, gdx, g);
        same(dx, gdx, "relu+max pool backward");
        REF.avgPoolForward(x, y, g); device.avgPoolForward(gx, gyOut, g);
        same(y, gyOut, "avg pool");
        REF.avgPoolBackward(dy, dx, g); device.avgPoolBackward(gdy, gdx, g);
        same(dx, gdx, "avg pool backward");
    }

    @ParameterizedTest(name = "zero pad top={0} left={1} bottom={2} right={3}")
    @CsvSource({"1, 1, 1, 1", "0, 0, 1, 1", "2, 0, 0, 3"})
    void zeroPadding(int top, int left, int bottom, int right) {
        Rng rng = new Rng(41);
        Tensor x = randn(REF, rng, 1, 2, 3, 5, 6);
        int[] padded = {2, 3, 5 + top + bottom, 6 + left + right};
        Tensor y = REF.allocate(padded), gy = device.allocate(padded);
        device.fill(gy, 9f); // every element must be written, the border with zeros
        REF.zeroPad2d(x, y, top, left);
        device.zeroPad2d(to(device, x), gy, top, left);
        assertArrayEquals(y.toArray(), gy.toArray(), "zero pad");
        Tensor dy = randn(REF, rng, 1, padded), dx = REF.allocate(x.shape()), gdx = device.allocate(x.shape());
        REF.zeroPad2dBackward(dy, dx, top, left);
        device.zeroPad2dBackward(to(device, dy), gdx, top, left);
        assertArrayEquals(dx.toArray(), gdx.toArray(), "zero pad backward");
    }

    @Test
    void normalisationLayers() {
        Rng rng = new Rng(9);
        Tensor x = randn(REF, rng, 1, 2, 3, 4, 4), mean = randn(REF, rng, 0.2,
                3), std = REF.allocate(3).copyFrom(new float[] {0.3f, 0.5f, 2f});
        Tensor y = REF.allocate(x.shape()), gy = device.allocate(x.shape());
        REF.normalizeChannels(x, mean, std, y);
        device.normalizeChannels(to(device, x), to(device, mean), to(device, std), gy);
        same(y, gy, "normalize channels");
        REF.normalizeChannelsBackward(x, std, y);
        device.normalizeChannelsBackward(to(device, x), to(device, std), gy);
        same(y, gy, "normalize channels backward");
        Tensor rows = randn(REF, rng, 1, 5, 33), out = REF.allocate(5, 33), gout = device.allocate(5,
                33), norms = REF.allocate(5), gnorms = device.allocate(5);
        REF.l2NormalizeRows(rows, out, norms, 1e-12f);
        device.l2NormalizeRows(to(device, rows), gout, gnorms, 1e-12f);
        same(out, gout, "l2 normalize");
        same(norms, gnorms, "l2 norms");
        Tensor dy = randn(REF, rng, 1, 5, 33), dx = REF.allocate(5, 33), gdx = device.allocate(5, 33);
        REF.l2NormalizeRowsBackward(out, norms, dy, dx);
        device.l2NormalizeRowsBackward(gout, gnorms, to(device, dy), gdx);
        same(dx, gdx, "l2 normalize backward");
    }

    @ParameterizedTest(name = "classes={0}")
    @ValueSource(ints = {3, 10, 100, 1000})
    void lossesAndArgmax(int k) {
        Rng rng = new Rng(k);
        int n = 37;
        Tensor z = randn(REF, rng, 3, n, k), z2 = randn(REF, rng, 3, n, k), y = labels(REF, rng, n, k);
        Tensor gz = to(device, z), gz2 = to(device, z2), gyl = to(device, y);
        Tensor loss = REF.allocate(n), gloss = device.allocate(n), d = REF.allocate(n, k), gd = device.allocate(n,
                k), d2 = REF.allocate(n, k), gd2 = device.allocate(n, k);
        for (float t : new float[] {0.5f, 1f, 5f}) {
            REF.softmaxCrossEntropy(z, y, t, loss, d, 0.25f);
            device.softmaxCrossEntropy(gz, gyl, t, gloss, gd, 0.25f);
            same(loss, gloss, "cross-entropy T=" + t, k, 3);
            same(d, gd, "cross-entropy gradient T=" + t, k, 3);
        }
        REF.softmax(z, 2f, d); device.softmax(gz, 2f, gd);
        same(d, gd, "softmax", k, 3);
        REF.klDivergence(z, z2, loss, d, d2, 0.5f); device.klDivergence(gz, gz2, gloss, gd, gd2, 0.5f);
        same(loss, gloss, "kl", k, 3); same(d, gd, "kl dP", k, 3); same(d2, gd2, "kl dQ", k, 3);
        REF.boostedCrossEntropy(z, y, loss, d, 1f); device.boostedCrossEntropy(gz, gyl, gloss, gd, 1f);
        same(loss, gloss, "boosted ce", k, 3); same(d, gd, "boosted ce gradient", k, 3);
        // κ above every row's margin (logits of std 3: margins stay within ±30), so no row is clamped and the
        // expected gradient is not all zeros at any k; κ = 0 clamps some rows, checking the clamped branch too.
        REF.marginLoss(z, y, 100f, loss, d, 1f); device.marginLoss(gz, gyl, 100f, gloss, gd, 1f);
        same(loss, gloss, "margin, no row clamped", k, 3); same(d, gd, "margin gradient, no row clamped", k, 3);
        // κ = 0 clamps the misclassified rows (at k = 1000 nearly all): the values are exact (κ, or one float
        // difference) and the gradient is exactly 0 or ±1, so compare exactly rather than with a tolerance.
        REF.marginLoss(z, y, 0f, loss, d, 1f); device.marginLoss(gz, gyl, 0f, gloss, gd, 1f);
        assertArrayEquals(loss.toArray(), gloss.toArray(), "margin, κ = 0"); assertArrayEquals(d.toArray(), gd.toArray(),
                "margin gradient, κ = 0");
        REF.dlrLoss(z, y, loss, d, 1f); device.dlrLoss(gz, gyl, gloss, gd, 1f);
        same(loss, gloss, "dlr", k, 3); same(d, gd, "dlr gradient", k, 3);
        assertArrayEquals(REF.argmaxRows(z), device.argmaxRows(gz), "argmax");
    }

    /** Losses that compare the label with other classes refuse too few classes on every backend (the CUDA kernels read z[−1] at k = 1). */
    @Test
    void lossesRefuseTooFewClasses() {
        for (int k : new int[] {1, 2}) {
            Tensor z = device.allocate(3, k), y = device.allocate(3), loss = device.allocate(3), d = device.allocate(3, k);
            IllegalArgumentException dlr = assertThrows(IllegalArgumentException.class, () -> device.dlrLoss(z, y, loss, d, 1f));
            assertTrue(dlr.getMessage().contains("needs at least 3 classes, got " + k), dlr.getMessage());
            if (k == 1) {
                IllegalArgumentException boosted = assertThrows(IllegalArgumentException.class, () -> device.boostedCrossEntropy(z, y, loss, d, 1f));
                assertTrue(boosted.getMessage().contains("needs at least 2 classes, got 1"), boosted.getMessage());
                assertThrows(IllegalArgumentException.class, () -> device.marginLoss(z, y, 1f, loss, d, 1f));
            }
        }
    }

    @Test
    void optimiserAndAttackUpdates() {
        Rng rng = new Rng(11);
        Tensor p = randn(REF, rng, 1, 1000), g = randn(REF, rng, 1, 1000), m = randn(REF, rng, 1, 1000);
        Tensor gp = to(device, p), gg = to(device, g), gm = to(device, m);
        for (boolean first : new boolean[] {true, false}) {
            REF.sgdStep(p, g, m, 0.1f, 0.9f, 0f, 5e-4f, false, first);
            device.sgdStep(gp, gg, gm, 0.1f, 0.9f, 0f, 5e-4f, false, first);
        }
        same(p, gp, "sgd param"); same(m, gm, "sgd momentum");
        float[] nat = new float[4 * 3 * 8 * 8];
        for (int i = 0; i < nat.length; i++) nat[i] = (float) rng.nextDouble();
        Tensor x = REF.allocate(4, 3, 8, 8).copyFrom(nat), adv = REF.allocate(4, 3, 8, 8).copyFrom(nat), grad = randn(REF, rng, 1,
                4, 3, 8, 8);
        Tensor gxn = to(device, x), gadv = to(device, adv), ggrad = to(device, grad);
        REF.linfPgdStep(adv, grad, x, 0.01f, 0.03f); device.linfPgdStep(gadv, ggrad, gxn, 0.01f, 0.03f);
        same(adv, gadv, "linf step");
        REF.l2PgdStep(adv, grad, x, 0.2f, 0.5f); device.l2PgdStep(gadv, ggrad, gxn, 0.2f, 0.5f);
        same(adv, gadv, "l2 step");
        Tensor steps = REF.allocate(4).copyFrom(new float[] {0.01f, 0.02f, 0f, 0.05f});
        REF.linfPgdStepPerRow(adv, grad, x, steps, 0.03f); device.linfPgdStepPerRow(gadv, ggrad, gxn, to(device, steps), 0.03f);
        same(adv, gadv, "per-row step");
        Tensor epsRows = REF.allocate(4).copyFrom(new float[] {0.01f, 0.2f, 0f, 0.05f}), stepRows = REF.allocate(4).copyFrom(new float[] {0.02f, 0.05f, 0.1f, 0f});
        REF.linfPgdStepRows(adv, grad, x, stepRows, epsRows); device.linfPgdStepRows(gadv, ggrad, gxn, to(device, stepRows), to(device, epsRows));
        same(adv, gadv, "per-row step and budget");
        Tensor buf = randn(REF, rng, 1, 4, 3, 8, 8), gbuf = to(device, buf);
        REF.momentumAccumulate(grad, buf, 0.9f); device.momentumAccumulate(ggrad, gbuf, 0.9f);
        same(buf, gbuf, "momentum");
        Tensor rows = REF.allocate(4).copyFrom(new float[] {2f, 0f, -1f, 0.5f});
        REF.scaleRows(buf, rows); device.scaleRows(gbuf, to(device, rows));
        same(buf, gbuf, "scale rows");
        Tensor mask = REF.allocate(4).copyFrom(new float[] {1f, 0f, 1f, 0f});
        REF.copyRowsWhere(grad, buf, mask); device.copyRowsWhere(ggrad, gbuf, to(device, mask));
        same(buf, gbuf, "copy rows where");
        Tensor z = randn(REF, rng, 1, 4, 10), yl = labels(REF, rng, 4, 10), out = REF.allocate(4, 10), gout = device.allocate(4, 10);
        REF.addAtLabels(z, yl, -3f, out); device.addAtLabels(to(device, z), to(device, yl), -3f, gout);
        same(out, gout, "add at labels");
    }

    /**
     * One PGD-AT step (PGD-3 on the training-mode network, forward, backward, SGD) from the same weights and data on
     * both backends. The adversarial examples must agree but for a few pixels: PGD steps by sign(∇), and where a pixel's
     * gradient is within float rounding of zero, a different summation order flips it (seen on the emulated device for
     * wrn-16-4: 1 pixel of 24,576, which a batch of 8 in training-mode batch norm turns into weight updates 20 % apart).
     * The updated weights are then compared from one adversarial batch (the CPU's), so they must agree to rounding.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"preact-resnet18", "wrn-16-4"})
    void adversarialTrainingStep(String architecture) {
        int batch = 8;
        // The CPU side runs the OpenBLAS backend (itself parity-tested against the reference) for speed.
        CpuBackend cpu = new CpuBackend();
        Model cpuModel = Models.create(cpu, Models.spec(architecture, 10, 3, 32, 32), 1);
        Model gpuModel = Models.create(device, Models.spec(architecture, 10, 3, 32, 32), 1);
        Rng rng = new Rng(12);
        float[] images = new float[batch * 3 * 32 * 32];
        for (int i = 0; i < images.length; i++) images[i] = (float) rng.nextDouble();
        Tensor y = labels(REF, rng, batch, 10);
        float[] cpuAdv = attack(cpu, cpuModel, images, y.toArray()), gpuAdv = attack(device, gpuModel, images, y.toArray());
        int differ = 0;
        for (int i = 0; i < cpuAdv.length; i++) if (Math.abs(cpuAdv[i] - gpuAdv[i]) > 1e-6) differ++;
        assertTrue(differ <= cpuAdv.length / 1000, architecture + ": the adversarial examples differ in " + differ + " of " + cpuAdv.length
                + " pixels (more than sign flips of near-zero gradients)");
        float[] cpuWeights = trainStep(cpu, cpuModel, cpuAdv, y.toArray());
        cpu.close();
        float[] gpuWeights = trainStep(device, gpuModel, cpuAdv, y.toArray());
        assertClose(cpuWeights, gpuWeights, 1e-4, 2e-3, architecture + " weights after one PGD-AT step");
    }

    /** PGD-3 (ε = 8/255, step 2/255) on the training-mode network. */
    private static float[] attack(Backend b, Model model, float[] images, float[] labels) {
        int n = labels.length;
        Tensor x = b.allocate(n, 3, 32, 32).copyFrom(images), y = b.allocate(n).copyFrom(labels);
        Tape tape = new Tape(b).training(true);
        return Pgd.pgd(8 / 255f, 2 / 255f, 3, 1).perturb(model, tape, x, y, new Rng(13)).toArray();
    }

    /** Forward, backward and SGD (momentum 0.9, weight decay 5e-4, lr 0.1) on a given adversarial batch; the weights after. */
    private static float[] trainStep(Backend b, Model model, float[] adversarial, float[] labels) {
        int n = labels.length;
        Tensor xAdv = b.allocate(n, 3, 32, 32).copyFrom(adversarial), y = b.allocate(n).copyFrom(labels);
        Tape tape = new Tape(b).training(true);
        Sgd sgd = new Sgd(model.parameters(), 0.9f, 0f, 5e-4f, false);
        sgd.zeroGrad();
        Tensor logits = model.forward(tape, xAdv);
        Tensor d = b.allocate(n, 10);
        Losses.crossEntropy(logits, y, 1f, b.allocate(n), d);
        model.backward(tape, d, Grad.PARAMS);
        sgd.step(0.1f);
        return TestUtil.concat(model.parameters().stream().map(Parameter::value).toList());
    }
}
