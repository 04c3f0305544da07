package io.classwise.tensor.cuda;

import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * {@link CudaMemoryOwnershipCases} on the emulated device, in every build: the device memory the CUDA backend's
 * allocator hands out is owned explicitly (steady state after the first step; a training run gives back all but the
 * model, never through the garbage collector), measured by the same allocator that runs on a GPU.
 */
class EmulatedCudaMemoryOwnershipTest extends CudaMemoryOwnershipCases {
    @Override
    protected CudaBackend open() { return CudaBackend.emulated(2, 0, 1); }

    @Override
    protected void requireDevice() { assertNull(CudaBackend.emulatedUnavailabilityCause(), "the emulated CUDA device must load"); }
}
