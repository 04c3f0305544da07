package io.classwise.cli;

import io.classwise.tensor.Backend;
import io.classwise.tensor.Backends;
import io.classwise.tensor.Precision;
import picocli.CommandLine.Option;

/** The --device / --threads pair every computing command takes. */
final class BackendOptions {
    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, cuda, cuda:N, reference, or cuda-emulated (the CUDA backend's code and kernels run on the CPU: a slow correctness device) (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--threads", defaultValue = "0", description = "CPU threads, 0 = one per core (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--tf32", description = "With --device cuda: TF32 tensor-core math for convolutions and GEMMs (faster; ~1e-3 relative "
            + "difference from fp32). Default: fp32.")
    boolean tf32;

    @Option(names = "--precision", defaultValue = "fp32", description = "fp32, or bf16: convolutions and GEMMs on bf16 operands with fp32 "
            + "accumulation (emulated on the CPU, to measure its accuracy effect; not yet on CUDA) (default: ${DEFAULT-VALUE}).")
    String precision;

    Backend create() { return Backends.create(device, threads, tf32, Precision.parse(precision)); }
}
