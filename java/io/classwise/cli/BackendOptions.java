package io.classwise.cli;

import io.classwise.tensor.Backend;
import io.classwise.tensor.Backends;
import picocli.CommandLine.Option;

/** The --device / --threads pair every computing command takes. */
final class BackendOptions {
    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, cuda or reference (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--threads", defaultValue = "0", description = "CPU threads, 0 = one per core (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--tf32", description = "With --device cuda: TF32 tensor-core math for convolutions and GEMMs (faster; ~1e-3 relative "
            + "difference from fp32). Default: fp32.")
    boolean tf32;

    Backend create() { return Backends.create(device, threads, tf32); }
}
