package io.classwise.tensor;

import io.classwise.tensor.cpu.CpuBackend;
import io.classwise.tensor.reference.ReferenceBackend;
import io.classwise.util.Rng;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.classwise.TestUtil.assertClose;
import static io.classwise.TestUtil.randn;
import static io.classwise.TestUtil.to;

/**
 * The OpenBLAS backend against the plain-loop oracle. float32 sums of K terms differ by reordering
 * only: tolerance atol 1e-4 + rtol 1e-4, with K at most a few hundred and O(1) inputs.
 */
class CpuBackendParityTest {
    static final ReferenceBackend REF = new ReferenceBackend();
    static final CpuBackend CPU = new CpuBackend(2);

    @AfterAll
    static void close() { CPU.close(); }

    @ParameterizedTest(name = "N={0} C={1} H={2} W={3} K={4} k={5} stride={6} pad={7} bias={8}")
    @CsvSource({
            "2, 3, 7, 7, 4, 3, 1, 1, true",
            "3, 1, 28, 28, 8, 5, 1, 2, true",
            "2, 5, 9, 11, 6, 3, 2, 1, false",
            "1, 4, 8, 8, 7, 1, 1, 0, false",
            "3, 6, 8, 8, 5, 1, 2, 0, false",
            "5, 2, 13, 13, 3, 7, 2, 3, true",
            "1, 3, 6, 6, 2, 3, 1, 0, true",
    })
    void convolutionMatchesReference(int n, int c, int h, int w, int k, int r, int stride, int pad, boolean bias) {
        Rng rng = new Rng(n * 31L + c * 7 + k + r);
        ConvGeometry g = new ConvGeometry(n, c, h, w, k, r, r, stride, pad);
        Tensor x = randn(REF, rng, 1, g.inputShape()), wt = randn(REF, rng, 0.3, g.weightShape());
        Tensor b = bias ? randn(REF, rng, 1, k) : null, dy = randn(REF, rng, 1, g.outputShape());

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
    })
    void gemmMatchesReference(int m, int n, int k, boolean ta, boolean tb) {
        Rng rng = new Rng(m * 1000L + n * 10 + k);
        Tensor a = randn(REF, rng, 1, ta ? k : m, ta ? m : k), b = randn(REF, rng, 1, tb ? n : k, tb ? k : n);
        Tensor cRef = randn(REF, rng, 1, m, n), cCpu = to(CPU, cRef);
        REF.gemm(ta, tb, m, n, k, 0.7f, a, b, 0.5f, cRef);
        CPU.gemm(ta, tb, m, n, k, 0.7f, to(CPU, a), to(CPU, b), 0.5f, cCpu);
        assertClose(cRef.toArray(), cCpu.toArray(), 1e-4, 1e-4, "gemm");
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
