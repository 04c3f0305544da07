package io.classwise.tensor.cuda;

import io.classwise.tensor.Backend;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The CUDA parity cases — with their GPU tolerances — on the emulated device, in every build: CudaBackend's own
 * launch code, argument order, launch shapes, per-row ε, allocator reuse and tape release, with native/cuda's kernels
 * run by cuda_emu under a random thread schedule. The emulation library is built into the jar, so it must load.
 */
class EmulatedCudaParityTest extends CudaParityCases {
    @Override
    protected Backend openDevice() { return CudaBackend.emulated(2, 2, 17); }

    @Override
    protected void unavailable() { fail("the emulated CUDA device did not open: " + CudaBackend.emulatedUnavailabilityCause()); }
}
