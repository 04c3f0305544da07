package io.classwise.tensor.cpu;

import io.classwise.tensor.ConvGeometry;
import io.classwise.tensor.Precision;
import io.classwise.tensor.Tensor;
import io.classwise.tensor.reference.ReferenceBackend;
import io.classwise.util.Rng;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;

import static io.classwise.TestUtil.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native bf16 kernels (native/cpu/classwise_bf16.h) against the emulation they replace: the fp32 kernels on
 * bf16-rounded operands ({@link Bf16Kernel#EMULATED}). Both compute the same exact products and differ only in the
 * order of the fp32 sums, so: bit for bit equal where every sum is exact (integer operands), and otherwise within
 * the bound of two such summations, |Δ| ≤ 2·γ(K)·Σ|a·b| with γ(K) = K·2⁻²⁴ / (1 − K·2⁻²⁴), K the terms per output.
 * Kernels this CPU lacks are skipped, and say so; the C reference kernel (PORTABLE) runs everywhere.
 */
class Bf16KernelsTest {
    private static final int THREADS = 2;

    private static void assumeRuns(Bf16Kernel k) {
        String why = k.unavailabilityCause();
        Assumptions.assumeTrue(why == null, () -> k.flag() + " does not run here: " + why);
    }

    private static CpuBackend backend(Bf16Kernel k) {
        return new CpuBackend(THREADS, true, CpuConvolution.best()).precision(Precision.BF16, k);
    }

    /** Values with few significant bits (integers in [-range, range]): bf16 holds them exactly, and every partial sum is exact. */
    private static float[] integers(Rng rng, int n, int range) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) Math.floor(rng.uniform(0, 2 * range + 1)) - range;
        return v;
    }

    private static float[] rounded(float[] v) {
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) r[i] = Math.abs(Precision.roundToBf16(v[i]));
        return r;
    }

    private static void assertWithinSummationBound(float[] expected, float[] actual, float[] absSums, int terms, String what) {
        double u = 0x1p-24, gamma = terms * u / (1 - terms * u);
        for (int i = 0; i < expected.length; i++) {
            double bound = 2 * gamma * absSums[i] + 1e-30;
            assertTrue(Math.abs(expected[i] - actual[i]) <= bound,
                    what + "[" + i + "]: " + actual[i] + " vs emulated " + expected[i] + ", bound " + bound);
        }
    }

    /** The convolutions of one network's layers: odd depths, 1 input channel, stride 2, 1×1, more channels than one panel. */
    private static final ConvGeometry[] GEOMETRIES = {
            new ConvGeometry(3, 1, 28, 28, 32, 5, 5, 1, 2),    // Madry CNN conv1: depth 25
            new ConvGeometry(2, 32, 14, 14, 64, 5, 5, 1, 2),   // Madry CNN conv2: depth 800 (blocks of 256)
            new ConvGeometry(4, 3, 9, 11, 16, 3, 3, 2, 1),     // stride 2, 16 output channels (half a panel); input gradients of two images side by side
            new ConvGeometry(2, 20, 18, 37, 24, 3, 3, 2, 1),   // stride 2, output rows longer than a 16-pixel run
            new ConvGeometry(4, 24, 8, 8, 40, 1, 1, 1, 0),     // 1×1; weight gradients of two images side by side per thread
            new ConvGeometry(4, 32, 8, 8, 48, 1, 1, 2, 0),     // 1×1, stride 2 (a downsampling shortcut): stride 1 on the subsampled input
            new ConvGeometry(1, 9, 7, 5, 70, 3, 3, 1, 0),      // no padding, odd sizes
            new ConvGeometry(3, 40, 4, 4, 48, 3, 3, 1, 1),     // AMX: shifted copies (a 4×4 map is one tile), an odd tile count; grouped weight gradients
            new ConvGeometry(2, 48, 8, 8, 32, 3, 3, 1, 1),     // AMX: shifted copies, two output rows per tile, two channel blocks
            new ConvGeometry(2, 32, 5, 5, 24, 5, 5, 1, 2),     // AMX: shifted copies of a 5×5 kernel, a part-filled last tile
            new ConvGeometry(2, 16, 6, 6, 20, 3, 3, 1, 1),     // AMX: tiles along the padded width (short rows)
            new ConvGeometry(2, 33, 5, 37, 20, 3, 3, 1, 1),    // AMX: row tiles, two channel blocks, rows longer than a tile
    };

    @Test
    void theGeometriesCoverEveryAmxTileLayout() {
        Assumptions.assumeTrue(NativeCpuKernels.AVAILABLE, "native CPU kernels not built for this platform");
        Set<Integer> layouts = new TreeSet<>();
        for (ConvGeometry g : GEOMETRIES)
            if (g.stride() == 1) layouts.add(NativeCpuKernels.amxConvLayout(g.h(), g.w(), g.r(), g.s(), g.pad()));
        assertEquals(Set.of(0, 1, 2), layouts, "row, wrapped and shifted tiles (classwise_amx_conv.h)");
    }

    @ParameterizedTest
    @EnumSource(value = Bf16Kernel.class, names = {"PORTABLE", "AVX512_BF16", "AMX"})
    void convolutionsEqualTheEmulationBitForBitOnExactSumsAndWithinTheBoundOtherwise(Bf16Kernel kernel) {
        assumeRuns(kernel);
        ReferenceBackend ref = new ReferenceBackend();
        try (CpuBackend fast = backend(kernel); CpuBackend emulated = backend(Bf16Kernel.EMULATED)) {
            Rng rng = new Rng(7);
            for (ConvGeometry g : GEOMETRIES) {
                int[] wShape = {g.k(), g.c(), g.r(), g.s()};
                int wSize = Tensor.sizeOf(wShape);
                for (boolean exact : new boolean[] {true, false}) {
                    float[] x = exact ? integers(rng, Tensor.sizeOf(g.inputShape()), 8) : randn(rng, Tensor.sizeOf(g.inputShape()), 1);
                    float[] w = exact ? integers(rng, wSize, 4) : randn(rng, wSize, 0.2);
                    float[] dy = exact ? integers(rng, Tensor.sizeOf(g.outputShape()), 8) : randn(rng, Tensor.sizeOf(g.outputShape()), 1);
                    float[] bias = exact ? integers(rng, g.k(), 8) : randn(rng, g.k(), 1);
                    float[][] forward = new float[2][], backward = new float[2][], weights = new float[2][], biases = new float[2][];
                    float[][] pluses = new float[2][], unbiased = new float[2][], unbiasedPluses = new float[2][];
                    CpuBackend[] both = {fast, emulated};
                    for (int i = 0; i < 2; i++) {
                        CpuBackend b = both[i];
                        Tensor y = b.allocate(g.outputShape()), dx = b.allocate(g.inputShape()), dw = b.allocate(wShape), db = b.allocate(g.k());
                        Tensor wt = b.allocate(wShape).copyFrom(w), xt = b.allocate(g.inputShape()).copyFrom(x);
                        Tensor dyt = b.allocate(g.outputShape()).copyFrom(dy);
                        b.conv2dForward(xt, wt, b.allocate(g.k()).copyFrom(bias), y, g);
                        // a residual block's sum added as y is stored (dy as the residual), with the bias and without
                        Tensor plus = b.allocate(g.outputShape()), residual = b.allocate(g.outputShape()).copyFrom(dy);
                        b.conv2dForwardPlus(xt, wt, b.allocate(g.k()).copyFrom(bias), residual, plus, g);
                        pluses[i] = plus.toArray();
                        Tensor noBias = b.allocate(g.outputShape());
                        b.conv2dForward(xt, wt, null, noBias, g);
                        b.conv2dForwardPlus(xt, wt, null, residual, plus, g);
                        unbiased[i] = noBias.toArray();
                        unbiasedPluses[i] = plus.toArray();
                        b.conv2dBackwardData(dyt, wt, dx, g);
                        b.conv2dBackwardFilter(xt, dyt, dw, db, g);
                        forward[i] = y.toArray();
                        backward[i] = dx.toArray();
                        weights[i] = dw.toArray();
                        biases[i] = db.toArray();
                    }
                    String what = kernel.flag() + " " + g + (exact ? " (integers)" : "");
                    assertArrayEquals(biases[1], biases[0], what + " bias gradient (an fp32 sum of dy in both)");
                    // fused: y + residual, the sum in another order (the residual may start the accumulator)
                    float[] sum = forward[0].clone(), unbiasedSum = unbiased[0].clone();
                    for (int j = 0; j < sum.length; j++) { sum[j] += dy[j]; unbiasedSum[j] += dy[j]; }
                    if (exact) {
                        assertArrayEquals(sum, pluses[0], what + " forward plus a residual");
                        assertArrayEquals(unbiasedSum, unbiasedPluses[0], what + " forward without bias plus a residual");
                        assertArrayEquals(forward[1], forward[0], what + " forward");
                        assertArrayEquals(backward[1], backward[0], what + " input gradient");
                        assertArrayEquals(weights[1], weights[0], what + " weight gradient");
                        continue;
                    }
                    // Σ|x·w| per output (bias included) and Σ|dy·w| per input element, from the reference loops on |rounded operands|
                    Tensor absY = ref.allocate(g.outputShape()), absDx = ref.allocate(g.inputShape());
                    Tensor absW = ref.allocate(wShape).copyFrom(rounded(w));
                    ref.conv2dForward(ref.allocate(g.inputShape()).copyFrom(rounded(x)), absW, ref.allocate(g.k()).copyFrom(rounded(bias)), absY, g);
                    ref.conv2dBackwardData(ref.allocate(g.outputShape()).copyFrom(rounded(dy)), absW, absDx, g);
                    int depth = g.c() * g.r() * g.s();
                    assertWithinSummationBound(forward[1], forward[0], absY.toArray(), depth + 1, what + " forward");
                    float[] absPlus = absY.toArray();
                    for (int j = 0; j < absPlus.length; j++) absPlus[j] += Math.abs(dy[j]);
                    assertWithinSummationBound(sum, pluses[0], absPlus, depth + 2, what + " forward plus a residual");
                    assertWithinSummationBound(unbiasedSum, unbiasedPluses[0], absPlus, depth + 2, what + " forward without bias plus a residual");
                    assertWithinSummationBound(backward[1], backward[0], absDx.toArray(), g.k() * g.r() * g.s(), what + " input gradient");
                    Tensor absDw = ref.allocate(wShape);
                    ref.conv2dBackwardFilter(ref.allocate(g.inputShape()).copyFrom(rounded(x)), ref.allocate(g.outputShape()).copyFrom(rounded(dy)),
                            absDw, null, g);
                    assertWithinSummationBound(weights[1], weights[0], absDw.toArray(), g.n() * g.p() * g.q() + THREADS, what + " weight gradient");
                    assertTrue(!Arrays.equals(forward[0], new float[forward[0].length]), what + ": not all zero");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Bf16Kernel.class, names = {"PORTABLE", "AVX512_BF16", "AMX"})
    void matrixProductsInEveryLayoutEqualTheEmulation(Bf16Kernel kernel) {
        assumeRuns(kernel);
        ReferenceBackend ref = new ReferenceBackend();
        // (m, n, k): a linear layer's three products, a wide-and-short one (Cᵀ is cheaper), sizes off every block
        int[][] shapes = {{128, 100, 300}, {70, 33, 1}, {5, 257, 45}, {300, 7, 513}, {64, 64, 64}};
        try (CpuBackend fast = backend(kernel); CpuBackend emulated = backend(Bf16Kernel.EMULATED)) {
            Rng rng = new Rng(11);
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                for (int layout = 0; layout < 4; layout++) {
                    boolean transA = (layout & 1) != 0, transB = (layout & 2) != 0;
                    for (boolean exact : new boolean[] {true, false}) {
                        float[] a = exact ? integers(rng, m * k, 6) : randn(rng, m * k, 1);
                        float[] b = exact ? integers(rng, k * n, 6) : randn(rng, k * n, 1);
                        float[] c0 = exact ? integers(rng, m * n, 6) : randn(rng, m * n, 1);
                        float alpha = exact ? 1f : 0.75f, beta = exact ? 1f : 0.5f;
                        float[][] out = new float[2][];
                        CpuBackend[] both = {fast, emulated};
                        for (int i = 0; i < 2; i++) {
                            Tensor c = both[i].allocate(m, n).copyFrom(c0);
                            both[i].gemm(transA, transB, m, n, k, alpha, both[i].allocate(a.length).copyFrom(a),
                                    both[i].allocate(b.length).copyFrom(b), beta, c);
                            out[i] = c.toArray();
                        }
                        String what = kernel.flag() + " gemm " + (transA ? "T" : "N") + (transB ? "T" : "N") + " " + Arrays.toString(s);
                        if (exact) { assertArrayEquals(out[1], out[0], what + " (integers)"); continue; }
                        Tensor abs = ref.allocate(m, n).copyFrom(rounded(c0));
                        ref.gemm(transA, transB, m, n, k, Math.abs(alpha), ref.allocate(a.length).copyFrom(rounded(a)),
                                ref.allocate(b.length).copyFrom(rounded(b)), Math.abs(beta), abs);
                        assertWithinSummationBound(out[1], out[0], abs.toArray(), k + 2, what);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Bf16Kernel.class, names = {"AVX512_BF16", "AMX"})
    void everyVectorKernelEqualsTheCReferenceKernelOnExactSums(Bf16Kernel kernel) {
        assumeRuns(kernel);
        ConvGeometry g = GEOMETRIES[1];
        Rng rng = new Rng(3);
        float[] x = integers(rng, Tensor.sizeOf(g.inputShape()), 8), w = integers(rng, g.k() * g.c() * g.r() * g.s(), 4);
        float[][] out = new float[2][];
        Bf16Kernel[] kernels = {kernel, Bf16Kernel.PORTABLE};
        for (int i = 0; i < 2; i++) {
            try (CpuBackend b = backend(kernels[i])) {
                Tensor y = b.allocate(g.outputShape());
                b.conv2dForward(b.allocate(g.inputShape()).copyFrom(x), b.allocate(g.k(), g.c(), g.r(), g.s()).copyFrom(w), null, y, g);
                out[i] = y.toArray();
            }
        }
        assertArrayEquals(out[1], out[0]);
    }

    @Test
    void theEmulationRunsOnEveryCpuAndAnUnavailableKernelIsRefusedByName() {
        assertNull(Bf16Kernel.EMULATED.unavailabilityCause(), "the fallback needs no CPU feature");
        assertNull(Bf16Kernel.best().unavailabilityCause(), "auto picks a kernel this CPU runs");
        assertTrue(Bf16Kernel.choiceReason().startsWith(Bf16Kernel.best().flag()), Bf16Kernel.choiceReason());
        assertEquals(Bf16Kernel.AMX, Bf16Kernel.parse("amx"));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Bf16Kernel.parse("avx9"));
        assertTrue(bad.getMessage().contains("--bf16-kernel") && bad.getMessage().contains("avx9"), bad.getMessage());
        for (Bf16Kernel k : Bf16Kernel.values()) {
            String why = k.unavailabilityCause();
            if (why == null) continue;
            try (CpuBackend b = new CpuBackend(1)) {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.precision(Precision.BF16, k));
                assertTrue(e.getMessage().contains(k.flag()) && e.getMessage().contains(why), e.getMessage());
            }
        }
    }
}
