package io.classwise.tensor;

import io.classwise.tensor.cpu.CpuBackend;

/**
 * The GPU parity cases with the CPU backend standing in for CUDA, on every machine: they must pass
 * for a correct backend, and every comparison must compare something (assertClose rejects all-zero
 * expectations). Without this, a case that can never pass would first show up on a GPU machine.
 */
class ParityCasesOnCpuTest extends BackendParityCases {
    @Override
    protected Backend openDevice() { return new CpuBackend(); }

    @Override
    protected void unavailable() { throw new IllegalStateException("the CPU backend is always available"); }
}
