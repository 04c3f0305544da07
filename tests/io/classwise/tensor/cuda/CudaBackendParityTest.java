package io.classwise.tensor.cuda;

import io.classwise.tensor.Backend;
import org.junit.jupiter.api.Tag;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CUDA parity cases on the GPU. Tagged "gpu": where no usable GPU exists the cases skip with the probe's
 * reason, unless {@code -Dclasswise.requireGpu=true} (set by benchmarks/gpu/check.sh on the GPU machine): then they
 * fail, so a broken library path cannot give a green run that tested nothing.
 */
@Tag("gpu")
class CudaBackendParityTest extends CudaParityCases {
    static final String REQUIRE_GPU = "classwise.requireGpu";

    @Override
    protected Backend openDevice() { return CudaProbe.reasonUnusable() == null ? new CudaBackend(0, false) : null; }

    @Override
    protected void unavailable() {
        String why = "no usable GPU: " + CudaProbe.reasonUnusable();
        if (Boolean.getBoolean(REQUIRE_GPU)) fail(why + " (-D" + REQUIRE_GPU + "=true)");
        assumeTrue(false, why);
    }
}
