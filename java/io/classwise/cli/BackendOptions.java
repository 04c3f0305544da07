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

    @Option(names = "--precision", description = "fp32, or bf16: convolutions and GEMMs on bf16 operands with fp32 "
            + "accumulation, fp32 master weights, the attack's sign step in fp32 (CPU: AMX tiles or vdpbf16ps where the CPU has "
            + "them, else emulated; not yet on CUDA) (default: fp32).")
    String precision;

    @Option(names = "--bf16-kernel", defaultValue = "auto", description = "With --precision bf16 on the CPU: auto (the fastest this "
            + "CPU runs; `info` says which and why), amx, avx512-bf16, portable (the C reference kernel) or emulated "
            + "(bf16-rounded operands through the fp32 kernels, any CPU) (default: ${DEFAULT-VALUE}).")
    String bf16Kernel;

    Backend create() { return create(Precision.parse(precision)); }

    /** The backend in the given precision (bench runs fp32 and bf16 side by side). */
    Backend create(Precision p) { return Backends.create(device, threads, tf32, p, bf16Kernel); }

    /** Whether --precision was given (bench then runs only that one). */
    boolean precisionGiven() { return precision != null; }
}
