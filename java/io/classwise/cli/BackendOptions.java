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

    Backend create() { return Backends.create(device, threads); }
}
