package io.classwise.tensor.cpu;

import io.classwise.tensor.ConvGeometry;
import io.classwise.tensor.PoolGeometry;
import io.classwise.tensor.Tensor;
import io.classwise.tensor.reference.ReferenceBackend;
import io.classwise.util.Rng;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static io.classwise.TestUtil.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.classwise.TestUtil.randn;
import static io.classwise.TestUtil.to;
import java.util.ArrayList;

/**
 * The OpenBLAS backend against the plain-loop oracle, with its native kernels (native/cpu) and
 * without them (its Java im2col/col2im, reference loops for the rest). float32 sums of K terms differ by reordering only: tolerance atol 1e-4 + rtol 1e-4,
 * with K at most a few hundred and O(1) inputs; ReLU and pooling must match exactly.
 */
class CpuBackendParityTest {
    static final ReferenceBackend REF = new ReferenceBackend();
    static final CpuBackend CPU = new CpuBackend(2);
    static final CpuBackend CPU_JAVA = new CpuBackend(2, false);
    static final List<CpuBackend> BOTH = List.of(CPU, CPU_JAVA);
    /** Every convolution algorithm this machine can run (the vector kernels only where the CPU has them). */
    static final List<CpuBackend> CONVOLUTIONS = convolutionBackends();

    private static List<CpuBackend> convolutionBackends() {
        List<CpuBackend> all = new ArrayList<>(List.of(CPU_JAVA));
        if (!CPU.usesNativeKernels()) return all;
        for (CpuConvolution c : CpuConvolution.values()) if (c.unavailabilityCause() == null) all.add(new CpuBackend(2, true, c));
        return all;
    }

    @AfterAll
    static void close() { for (CpuBackend b : CONVOLUTIONS) b.close(); CPU.close(); }

    @Test
    void nativeKernelsAreBuiltIntoThisPlatformsJar() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("os.name").equals("Linux")
                && System.getProperty("os.arch").equals("amd64"),
                "the build compiles native/cpu for the platform it runs on; this check is for linux-x86_64");
        assertTrue(CPU.usesNativeKernels(), "native CPU kernels did not load on linux-x86_64");
    }

    /** Values on a coarse grid so that windows contain ties (first maximum wins) and non-positive maxima. */
    private static Tensor gridValues(Rng rng, int... shape) {
        Tensor t = REF.allocate(shape);
        float[] v = new float[t.size()];
        for (int i = 0; i < v.length; i++) v[i] = rng.nextInt(7) - 4;
        return t.copyFrom(v);
    }

    @ParameterizedTest(name = "N={0} C={1} H={2} W={3} kernel={4} stride={5} pad={6}")
    @CsvSource({"2, 3, 8, 8, 2, 2, 0", "3, 2, 7, 9, 2, 2, 0", "2, 3, 9, 9, 3, 2, 1", "1, 2, 6, 6, 3, 1, 1", "130, 3, 4, 4, 2, 2, 0"})
    void reluAndMaxPoolingMatchReferenceExactly(int n, int c, int h, int w, int kernel, int stride, int pad) {
        Rng rng = new Rng(n * 131L + c * 17 + h * 5 + kernel);
        PoolGeometry g = new PoolGeometry(n, c, h, w, kernel, stride, pad);
        Tensor x = gridValues(rng, n, c, h, w), dy = randn(REF, rng, 1, g.outputShape()), dyFull = randn(REF, rng, 1, n, c, h, w);
        for (boolean relu : new boolean[] {false, true}) {
            Tensor yRef = REF.allocate(g.outputShape()), dxRef = REF.allocate(x.shape());
            if (relu) { REF.reluMaxPoolForward(x, yRef, g); REF.reluMaxPoolBackward(x, dy, dxRef, g); }
            else { REF.maxPoolForward(x, yRef, g); REF.maxPoolBackward(x, dy, dxRef, g); }
            for (CpuBackend cpu : BOTH) {
                Tensor y = cpu.allocate(g.outputShape()), dx = cpu.allocate(x.shape()).copyFrom(dyFull.toArray()); // dx must be overwritten
                if (relu) { cpu.reluMaxPoolForward(to(cpu, x), y, g); cpu.reluMaxPoolBackward(to(cpu, x), to(cpu, dy), dx, g); }
                else { cpu.maxPoolForward(to(cpu, x), y, g); cpu.maxPoolBackward(to(cpu, x), to(cpu, dy), dx, g); }
                String what = (relu ? "relu+maxpool" : "maxpool") + (cpu.usesNativeKernels() ? " native" : " java");
                assertArrayEquals(yRef.toArray(), y.toArray(), what + " forward");
                assertArrayEquals(dxRef.toArray(), dx.toArray(), what + " backward");
            }
        }
        Tensor yRef = REF.allocate(x.shape()), dxRef = REF.allocate(x.shape());
        REF.relu(x, yRef);
        REF.reluBackward(yRef, dyFull, dxRef);
        for (CpuBackend cpu : BOTH) {
            Tensor y = cpu.allocate(x.shape()), dx = cpu.allocate(x.shape());
            cpu.relu(to(cpu, x), y);
            cpu.reluBackward(to(cpu, yRef), to(cpu, dyFull), dx);
            assertArrayEquals(yRef.toArray(), y.toArray(), "relu");
            assertArrayEquals(dxRef.toArray(), dx.toArray(), "relu backward");
        }
    }

    @ParameterizedTest(name = "N={0} C={1} HW={2}")
    @CsvSource({"4, 3, 25", "2, 7, 1", "16, 64, 64", "1, 5, 9"})
    void batchNormMatchesReference(int n, int c, int hw) {
        Rng rng = new Rng(n * 17L + c * 3 + hw);
        Tensor x = randn(REF, rng, 2, n, c, hw), dy = randn(REF, rng, 1, n, c, hw);
        Tensor gamma = randn(REF, rng, 1, c), beta = randn(REF, rng, 1, c);
        float[] mean0 = randn(rng, c, 0.1), var0 = new float[c];
        for (int i = 0; i < c; i++) var0[i] = 0.5f + (float) rng.nextDouble();
        for (CpuBackend cpu : BOTH) {
            String what = cpu.usesNativeKernels() ? " native" : " java";
            Tensor rm = REF.allocate(c).copyFrom(mean0), rv = REF.allocate(c).copyFrom(var0), y = REF.allocate(x.shape()), sm = REF.allocate(c), si = REF.allocate(c);
            Tensor crm = cpu.allocate(c).copyFrom(mean0), crv = cpu.allocate(c).copyFrom(var0), cy = cpu.allocate(x.shape()), csm = cpu.allocate(c), csi = cpu.allocate(c);
            Tensor cx = to(cpu, x), cdy = to(cpu, dy), cg = to(cpu, gamma), cb = to(cpu, beta);
            REF.batchNormTrainForward(x, gamma, beta, rm, rv, 0.1f, 1e-5f, y, sm, si);
            cpu.batchNormTrainForward(cx, cg, cb, crm, crv, 0.1f, 1e-5f, cy, csm, csi);
            assertClose(y.toArray(), cy.toArray(), 1e-5, 1e-5, "bn train forward" + what);
            assertClose(rm.toArray(), crm.toArray(), 1e-6, 1e-6, "running mean" + what);
            assertClose(rv.toArray(), crv.toArray(), 1e-6, 1e-6, "running var" + what);
            Tensor dx = REF.allocate(x.shape()), cdx = cpu.allocate(x.shape()), dg = REF.allocate(c), db = REF.allocate(c), cdg = cpu.allocate(c), cdb = cpu.allocate(c);
            REF.batchNormTrainBackward(x, dy, gamma, sm, si, dx, dg, db);
            cpu.batchNormTrainBackward(cx, cdy, cg, csm, csi, cdx, cdg, cdb);
            assertClose(dx.toArray(), cdx.toArray(), 1e-5, 1e-4, "bn train backward" + what);
            assertClose(dg.toArray(), cdg.toArray(), 1e-4, 1e-5, "dgamma" + what);
            assertClose(db.toArray(), cdb.toArray(), 1e-4, 1e-5, "dbeta" + what);
            REF.batchNormInferenceForward(x, gamma, beta, rm, rv, 1e-5f, y);
            cpu.batchNormInferenceForward(cx, cg, cb, crm, crv, 1e-5f, cy);
            assertClose(y.toArray(), cy.toArray(), 1e-5, 1e-5, "bn inference forward" + what);
            REF.batchNormInferenceBackward(x, dy, gamma, rm, rv, 1e-5f, dx, dg, null);
            cpu.batchNormInferenceBackward(cx, cdy, cg, crm, crv, 1e-5f, cdx, cdg, null);
            assertClose(dx.toArray(), cdx.toArray(), 1e-5, 1e-5, "bn inference backward" + what);
            assertClose(dg.toArray(), cdg.toArray(), 1e-4, 1e-5, "bn inference dgamma" + what);
        }
    }

    @Test
    void addMatchesReferenceExactly() {
        Rng rng = new Rng(41);
        Tensor a = randn(REF, rng, 1, 3, 1001), b = randn(REF, rng, 1, 3, 1001), sum = REF.allocate(3, 1001);
        REF.add(a, b, sum);
        for (CpuBackend cpu : BOTH) {
            Tensor out = cpu.allocate(3, 1001), ca = to(cpu, a);
            cpu.add(ca, to(cpu, b), out);
            assertArrayEquals(sum.toArray(), out.toArray(), "add");
            cpu.add(ca, to(cpu, b), ca);
            assertArrayEquals(sum.toArray(), ca.toArray(), "add into its first operand");
        }
    }

    /** Batch norm with its ReLU fused (native: one kernel each way) against the reference's two operations. */
    @ParameterizedTest(name = "N={0} C={1} HW={2}")
    @CsvSource({"4, 3, 25", "16, 64, 64"})
    void fusedBatchNormReluMatchesReference(int n, int c, int hw) {
        Rng rng = new Rng(n * 31L + c);
        Tensor x = randn(REF, rng, 2, n, c, hw), dy = randn(REF, rng, 1, n, c, hw);
        Tensor gamma = randn(REF, rng, 1, c), beta = randn(REF, rng, 1, c);
        for (CpuBackend cpu : BOTH) {
            String what = cpu.usesNativeKernels() ? " native" : " java";
            Tensor rm = REF.allocate(c), rv = REF.allocate(c), y = REF.allocate(x.shape()), sm = REF.allocate(c), si = REF.allocate(c);
            Tensor crm = cpu.allocate(c), crv = cpu.allocate(c), cy = cpu.allocate(x.shape()), csm = cpu.allocate(c), csi = cpu.allocate(c);
            REF.batchNormReluTrainForward(x, gamma, beta, rm, rv, 0.1f, 1e-5f, y, sm, si);
            cpu.batchNormReluTrainForward(to(cpu, x), to(cpu, gamma), to(cpu, beta), crm, crv, 0.1f, 1e-5f, cy, csm, csi);
            assertClose(y.toArray(), cy.toArray(), 1e-5, 1e-5, "bn+relu train forward" + what);
            int zeros = 0;
            for (float v : cy.toArray()) if (v == 0f) zeros++;
            assertTrue(zeros > x.size() / 4 && zeros < 3 * x.size() / 4, "the ReLU clips about half: " + zeros + " of " + x.size());
            Tensor dx = REF.allocate(x.shape()), cdx = cpu.allocate(x.shape()), dg = REF.allocate(c), db = REF.allocate(c), cdg = cpu.allocate(c),
                    cdb = cpu.allocate(c);
            REF.batchNormReluTrainBackward(x, y, dy, gamma, beta, sm, si, dx, dg, db);
            cpu.batchNormReluTrainBackward(to(cpu, x), cy, to(cpu, dy), to(cpu, gamma), to(cpu, beta), csm, csi, cdx, cdg, cdb);
            assertClose(dx.toArray(), cdx.toArray(), 1e-5, 1e-4, "bn+relu train backward" + what);
            assertClose(dg.toArray(), cdg.toArray(), 1e-4, 1e-5, "bn+relu dgamma" + what);
            assertClose(db.toArray(), cdb.toArray(), 1e-4, 1e-5, "bn+relu dbeta" + what);
            // the native kernel recomputes where the ReLU passed from x and β instead of reading y: it must agree with y on
            // every element, so the result equals the plain batch norm's backward of dy masked by y, bit for bit
            Tensor masked = cpu.allocate(x.shape()), cdxPlain = cpu.allocate(x.shape()), cdg3 = cpu.allocate(c), cdb3 = cpu.allocate(c);
            cpu.reluBackward(cy, to(cpu, dy), masked);
            cpu.batchNormTrainBackward(to(cpu, x), masked, to(cpu, gamma), csm, csi, cdxPlain, cdg3, cdb3);
            assertArrayEquals(cdxPlain.toArray(), cdx.toArray(), "bn+relu backward = bn backward of the ReLU-masked dy" + what);
            assertArrayEquals(cdg3.toArray(), cdg.toArray(), "bn+relu dgamma = bn dgamma of the ReLU-masked dy" + what);
            // with a residual block's shortcut gradient added as dx is stored: dx + plus up to one rounding (the compiler may
            // fuse the last multiply with the add), dγ and dβ as before
            Tensor plus = randn(REF, rng, 1, n, c, hw), cdxPlus = cpu.allocate(x.shape()), cdg2 = cpu.allocate(c), cdb2 = cpu.allocate(c);
            cpu.batchNormReluTrainBackwardPlus(to(cpu, x), cy, to(cpu, dy), to(cpu, gamma), to(cpu, beta), csm, csi, to(cpu, plus), cdxPlus,
                    cdg2, cdb2);
            float[] expected = cdx.toArray(), p = plus.toArray();
            for (int i = 0; i < expected.length; i++) expected[i] += p[i];
            assertClose(expected, cdxPlus.toArray(), 1e-7, 1e-6, "bn+relu backward plus" + what);
            assertArrayEquals(cdg.toArray(), cdg2.toArray(), "bn+relu backward plus dgamma" + what);
        }
    }

    @Test
    void fusedAttackUpdateMatchesReferenceExactly() {
        Rng rng = new Rng(21);
        int n = 3 * 1000 + 7;
        float[] nat = new float[n], adv = new float[n], g = new float[n];
        for (int i = 0; i < n; i++) {
            nat[i] = (float) rng.nextDouble();
            adv[i] = Math.min(1f, Math.max(0f, nat[i] + (float) rng.uniform(-0.05, 0.05)));
            g[i] = i % 11 == 0 ? 0f : (float) rng.nextGaussian(); // sign(0) = 0 must hold
        }
        Tensor x = REF.allocate(n).copyFrom(nat), a = REF.allocate(n).copyFrom(adv), grad = REF.allocate(n).copyFrom(g);
        REF.linfPgdStep(a, grad, x, 0.01f, 0.03f);
        for (CpuBackend cpu : BOTH) {
            Tensor ca = cpu.allocate(n).copyFrom(adv);
            cpu.linfPgdStep(ca, to(cpu, grad), to(cpu, x), 0.01f, 0.03f);
            assertArrayEquals(a.toArray(), ca.toArray(), "linf PGD step" + (cpu.usesNativeKernels() ? " native" : " java"));
        }
    }

    /** The fused layer is the composition it replaces: ReLU, then max pooling (forward and gradient). */
    @Test
    void reluMaxPoolEqualsReluThenMaxPool() {
        Rng rng = new Rng(77);
        PoolGeometry g = new PoolGeometry(4, 3, 10, 10, 2, 2, 0);
        Tensor x = gridValues(rng, 4, 3, 10, 10), dy = randn(REF, rng, 1, g.outputShape());
        Tensor r = REF.allocate(x.shape()), yComposed = REF.allocate(g.outputShape()), yFused = REF.allocate(g.outputShape());
        REF.relu(x, r);
        REF.maxPoolForward(r, yComposed, g);
        REF.reluMaxPoolForward(x, yFused, g);
        assertArrayEquals(yComposed.toArray(), yFused.toArray());
        Tensor dr = REF.allocate(x.shape()), dxComposed = REF.allocate(x.shape()), dxFused = REF.allocate(x.shape());
        REF.maxPoolBackward(r, dy, dr, g);
        REF.reluBackward(r, dr, dxComposed);
        REF.reluMaxPoolBackward(x, dy, dxFused, g);
        assertArrayEquals(dxComposed.toArray(), dxFused.toArray());
    }

    @ParameterizedTest(name = "N={0} C={1} H={2} W={3} K={4} k={5} stride={6} pad={7} bias={8}")
    @CsvSource({
            "2, 3, 7, 7, 4, 3, 1, 1, true",
            "3, 1, 28, 28, 8, 5, 1, 2, true",
            "2, 5, 9, 11, 6, 3, 2, 1, false",
            "1, 4, 8, 8, 7, 1, 1, 0, false",
            "3, 6, 8, 8, 5, 1, 2, 0, false",
            "5, 2, 13, 13, 3, 7, 2, 3, true",
            "1, 3, 6, 6, 2, 3, 1, 0, true",
            // the direct input gradient (stride 1, C < 8): rows of 37 (three vectors), pad beyond R − 1, an even kernel
            "2, 1, 9, 37, 3, 5, 1, 2, false",
            "2, 2, 5, 5, 3, 3, 1, 3, false",
            "1, 7, 6, 17, 5, 4, 1, 1, true",
            // implicit GEMM: several 256-row and 384-pixel blocks, K not a multiple of 8, panels across images
            "3, 32, 14, 14, 64, 5, 1, 2, true",
            "2, 9, 5, 7, 13, 3, 1, 1, false",
            "1, 8, 3, 3, 10, 3, 1, 2, true",
            "2, 16, 6, 6, 8, 3, 1, 0, false",
            "2, 8, 9, 9, 16, 3, 2, 1, true",
            "2, 16, 5, 5, 24, 1, 1, 0, true",
            "4, 12, 4, 4, 9, 3, 1, 1, true",
    })
    void convolutionMatchesReference(int n, int c, int h, int w, int k, int r, int stride, int pad, boolean bias) {
        Rng rng = new Rng(n * 31L + c * 7 + k + r);
        ConvGeometry g = new ConvGeometry(n, c, h, w, k, r, r, stride, pad);
        Tensor x = randn(REF, rng, 1, g.inputShape()), wt = randn(REF, rng, 0.3, g.weightShape());
        Tensor b = bias ? randn(REF, rng, 1, k) : null, dy = randn(REF, rng, 1, g.outputShape());

        for (CpuBackend cpu : CONVOLUTIONS) convolutionMatchesReference(cpu, g, x, wt, b, dy, bias, k);
    }

    @Test
    void theWidestVectorConvolutionIsChosenWhereTheCpuHasIt() {
        org.junit.jupiter.api.Assumptions.assumeTrue(CpuConvolution.IMPLICIT_GEMM_AVX2.unavailabilityCause() == null,
                "this CPU has no AVX2: " + CpuConvolution.IMPLICIT_GEMM_AVX2.unavailabilityCause());
        CpuConvolution widest = CpuConvolution.IMPLICIT_GEMM_AVX512.unavailabilityCause() == null
                ? CpuConvolution.IMPLICIT_GEMM_AVX512 : CpuConvolution.IMPLICIT_GEMM_AVX2;
        assertTrue(CPU.convolution() == widest, "default backend: " + CPU.convolution() + ", expected " + widest);
        assertTrue(CONVOLUTIONS.stream().anyMatch(b -> b.convolution() == CpuConvolution.IMPLICIT_GEMM_AVX2),
                "the AVX2 kernel is tested too");
    }

    @Test
    void implicitConvolutionDoesNotDependOnTheThreadCount() {
        // 3·14·14 = 588 pixels: two threads split them at a panel boundary inside image 1.
        ConvGeometry g = new ConvGeometry(3, 32, 14, 14, 64, 5, 5, 1, 2);
        Rng rng = new Rng(17);
        Tensor x = randn(REF, rng, 1, g.inputShape()), wt = randn(REF, rng, 0.3, g.weightShape()), dy = randn(REF, rng, 1, g.outputShape());
        for (CpuBackend two : CONVOLUTIONS) {
            if (two.convolution() == CpuConvolution.IM2COL_SGEMM) continue;
            try (CpuBackend one = new CpuBackend(1, true, two.convolution())) {
                Tensor y1 = one.allocate(g.outputShape()), y2 = two.allocate(g.outputShape());
                one.conv2dForward(to(one, x), to(one, wt), null, y1, g);
                two.conv2dForward(to(two, x), to(two, wt), null, y2, g);
                assertArrayEquals(y1.toArray(), y2.toArray(), two.convolution() + " forward");
                Tensor dx1 = one.allocate(g.inputShape()), dx2 = two.allocate(g.inputShape());
                one.conv2dBackwardData(to(one, dy), to(one, wt), dx1, g);
                two.conv2dBackwardData(to(two, dy), to(two, wt), dx2, g);
                assertArrayEquals(dx1.toArray(), dx2.toArray(), two.convolution() + " input gradient");
            }
        }
    }

    private static void convolutionMatchesReference(CpuBackend CPU, ConvGeometry g, Tensor x, Tensor wt, Tensor b, Tensor dy,
            boolean bias, int k) {
        Tensor yRef = REF.allocate(g.outputShape()), yCpu = CPU.allocate(g.outputShape());
        REF.conv2dForward(x, wt, b, yRef, g);
        CPU.conv2dForward(to(CPU, x), to(CPU, wt), b == null ? null : to(CPU, b), yCpu, g);
        assertClose(yRef.toArray(), yCpu.toArray(), 1e-4, 1e-4, "forward");

        Tensor dxRef = REF.allocate(g.inputShape()), dxCpu = CPU.allocate(g.inputShape());
        REF.conv2dBackwardData(dy, wt, dxRef, g);
        CPU.conv2dBackwardData(to(CPU, dy), to(CPU, wt), dxCpu, g);
        assertClose(dxRef.toArray(), dxCpu.toArray(), 1e-4, 1e-4, "backward data");

        // Accumulation: start both from the same non-zero gradient.
        Tensor dwRef = randn(REF, new Rng(5), 1, g.weightShape()), dwCpu = to(CPU, dwRef);
        Tensor dbRef = bias ? randn(REF, new Rng(6), 1, k) : null, dbCpu = bias ? to(CPU, dbRef) : null;
        REF.conv2dBackwardFilter(x, dy, dwRef, dbRef, g);
        CPU.conv2dBackwardFilter(to(CPU, x), to(CPU, dy), dwCpu, dbCpu, g);
        assertClose(dwRef.toArray(), dwCpu.toArray(), 1e-4, 1e-4, "backward filter");
        if (bias) assertClose(dbRef.toArray(), dbCpu.toArray(), 1e-4, 1e-4, "backward bias");
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} transB={4}")
    @CsvSource({
            "1, 1, 1, false, false", "7, 5, 3, false, false", "13, 9, 17, true, false",
            "5, 13, 11, false, true", "9, 7, 13, true, true", "64, 33, 129, false, true", "3, 207, 2, true, false",
            // more columns than rows: threads split C's columns, in every layout
            "4, 19, 6, false, false", "6, 21, 5, true, true", "16, 300, 40, false, true", "16, 300, 40, true, false",
    })
    void gemmMatchesReference(int m, int n, int k, boolean ta, boolean tb) {
        Rng rng = new Rng(m * 1000L + n * 10 + k);
        Tensor a = randn(REF, rng, 1, ta ? k : m, ta ? m : k), b = randn(REF, rng, 1, tb ? n : k, tb ? k : n);
        Tensor cRef = randn(REF, rng, 1, m, n), cCpu = to(CPU, cRef);
        REF.gemm(ta, tb, m, n, k, 0.7f, a, b, 0.5f, cRef);
        CPU.gemm(ta, tb, m, n, k, 0.7f, to(CPU, a), to(CPU, b), 0.5f, cCpu);
        assertClose(cRef.toArray(), cCpu.toArray(), 1e-4, 1e-4, "gemm");
    }

    /**
     * Products the micro-kernel GEMM takes (RowsTimesWideGemm: plain A, B plain or transposed, α = 1, β 0 or 1, few rows,
     * wide C, ≥ 64 deep), with every micro-kernel this CPU runs: row tiles that overhang m, a last panel narrower than 32
     * columns, several blocks of 384 columns and of 256 rows of depth, depths that are not a multiple of 16.
     */
    @ParameterizedTest(name = "m={0} n={1} k={2} beta={3} transB={4}")
    @CsvSource({"1, 33, 64, 0, false", "13, 52, 70, 0, false", "8, 416, 300, 1, false", "128, 800, 520, 0, false",
            "21, 1000, 257, 1, false", "256, 1024, 64, 0, false",
            "1, 33, 64, 0, true", "13, 52, 70, 1, true", "8, 416, 300, 0, true", "21, 1000, 257, 1, true", "128, 1030, 77, 0, true"})
    void rowsTimesWideProductMatchesReference(int m, int n, int k, float beta, boolean transB) {
        assertTrue(RowsTimesWideGemm.handles(false, transB, m, n, k, 1f, beta), "this case should take the micro-kernel GEMM");
        Rng rng = new Rng(m * 1000L + n * 10 + k);
        Tensor a = randn(REF, rng, 1, m, k), b = transB ? randn(REF, rng, 1, n, k) : randn(REF, rng, 1, k, n), c0 = randn(REF, rng, 1, m, n);
        Tensor cRef = to(REF, c0);
        REF.gemm(false, transB, m, n, k, 1f, a, b, beta, cRef);
        for (CpuBackend backend : CONVOLUTIONS) {
            Tensor c = to(backend, c0);
            backend.gemm(false, transB, m, n, k, 1f, to(backend, a), to(backend, b), beta, c);
            assertClose(cRef.toArray(), c.toArray(), 1e-4, 1e-4, "gemm with " + backend.convolution());
        }
        // the same FMA sequence for every element whatever the split of the columns: 1 thread = 2 threads, bit for bit
        try (CpuBackend one = new CpuBackend(1)) {
            Tensor c1 = to(one, c0), c2 = to(CPU, c0);
            one.gemm(false, transB, m, n, k, 1f, to(one, a), to(one, b), beta, c1);
            CPU.gemm(false, transB, m, n, k, 1f, to(CPU, a), to(CPU, b), beta, c2);
            assertArrayEquals(c1.toArray(), c2.toArray());
        }
    }

    @Test
    void convolutionIsDeterministicForAFixedThreadCount() {
        ConvGeometry g = new ConvGeometry(7, 3, 10, 10, 4, 3, 3, 1, 1);
        Rng rng = new Rng(9);
        Tensor x = randn(CPU, rng, 1, g.inputShape()), dy = randn(CPU, rng, 1, g.outputShape());
        Tensor dw1 = CPU.allocate(g.weightShape()), dw2 = CPU.allocate(g.weightShape());
        CPU.conv2dBackwardFilter(x, dy, dw1, null, g);
        CPU.conv2dBackwardFilter(x, dy, dw2, null, g);
        org.junit.jupiter.api.Assertions.assertArrayEquals(dw1.toArray(), dw2.toArray());
    }
}
