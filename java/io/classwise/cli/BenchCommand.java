package io.classwise.cli;

import io.classwise.bench.BenchRunner;
import io.classwise.tensor.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** Prints images/second for the hot-path workloads (JMH in benchmarks/ is the careful version). */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time conv2d forward / input-gradient and one PGD step of the Madry CNN and small CNN; print a table.")
final class BenchCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin BackendOptions backend;

    @Option(names = "--batch", defaultValue = "128", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;


    @Option(names = "--reps", defaultValue = "7", description = "Timed runs per workload; the median is shown (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed runs first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Override
    public Integer call() {
        if (batch < 1) throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
        if (reps < 1) throw new IllegalArgumentException("--reps must be >= 1, got " + reps);
        BenchRunner runner = new BenchRunner(Math.max(0, warmup), reps, System.out);
        try (Backend b = backend.create()) {
            runner.runAll(b, batch);
            if (b.name().equals("cpu")) runner.convVersusSgemm(batch);
        }
        return 0;
    }
}
