package io.classwise.tensor.cuda;

import io.classwise.tensor.Backend;
import io.classwise.tensor.BackendParityCases;
import io.classwise.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import java.util.Arrays;

/**
 * {@link BackendParityCases} plus what only the CUDA backend does, on a device the subclass opens: the GPU
 * ({@link CudaBackendParityTest}) or the emulated device ({@link EmulatedCudaParityTest}), which runs the same
 * backend code and kernels on the CPU in every build.
 */
abstract class CudaParityCases extends BackendParityCases {

    /** An out-of-range label is not read out of bounds: the row's loss and gradient become NaN (the reference throws). */
    @Test
    void labelsOutsideTheClassesGiveNaNRows() {
        int n = 3, k = 5;
        Tensor z = device.allocate(n, k).copyFrom(new float[] {1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 0, 0, 1, 0, 0});
        Tensor y = device.allocate(n).copyFrom(new float[] {1, 7, -1});
        Tensor loss = device.allocate(n), d = device.allocate(n, k);
        device.softmaxCrossEntropy(z, y, 1f, loss, d, 1f);
        float[] l = loss.toArray(), g = d.toArray();
        assertTrue(Float.isFinite(l[0]) && Float.isNaN(l[1]) && Float.isNaN(l[2]), "losses " + Arrays.toString(l));
        for (int j = 0; j < k; j++) assertTrue(Float.isFinite(g[j]) && Float.isNaN(g[k + j]) && Float.isNaN(g[2 * k + j]),
                "gradient column " + j);
    }

    @Test
    void lossGradientMustNotAliasTheLogits() {
        Tensor z = device.allocate(2, 3), y = device.allocate(2), loss = device.allocate(2);
        assertThrows(IllegalArgumentException.class, () -> device.softmaxCrossEntropy(z, y, 1f, loss, z, 1f));
    }

    @Test
    void gemmWithAnEmptyInnerDimensionScalesC() {
        Tensor a = device.allocate(3, 0), b = device.allocate(0, 2), c = device.allocate(3, 2).copyFrom(new float[] {1, 2, 3, 4, 5, 6});
        device.gemm(false, false, 3, 2, 0, 1f, a, b, 0.5f, c);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {0.5f, 1, 1.5f, 2, 2.5f, 3}, c.toArray());
    }
}
