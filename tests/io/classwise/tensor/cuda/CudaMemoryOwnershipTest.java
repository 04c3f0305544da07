package io.classwise.tensor.cuda;

import org.junit.jupiter.api.Tag;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link CudaMemoryOwnershipCases} on the GPU (tagged "gpu"; skipped without one unless -Dclasswise.requireGpu=true). */
@Tag("gpu")
class CudaMemoryOwnershipTest extends CudaMemoryOwnershipCases {
    @Override
    protected CudaBackend open() { return new CudaBackend(0, false); }

    @Override
    protected void requireDevice() {
        String why = CudaProbe.reasonUnusable();
        if (why != null && Boolean.getBoolean(CudaBackendParityTest.REQUIRE_GPU)) fail("no usable GPU: " + why);
        assumeTrue(why == null, "no usable GPU: " + why);
    }
}
