package io.classwise.cli;

import io.classwise.api.Demo;
import io.classwise.tensor.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code demo}: the class-wise pipeline on the Fashion-MNIST subset inside the jar, sized for a
 * 2-core machine without a GPU: PGD adversarial training of the small CNN, a naturally trained
 * surrogate for the transfer attack, then every analysis.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Adversarially train a small CNN on the embedded real Fashion-MNIST subset and run the class-wise analyses (offline, a few minutes on 2 cores).")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/demo", description = "Run directory (default: ${DEFAULT-VALUE}).") Path out;
    @Option(names = "--epochs", defaultValue = "3", description = "PGD-AT epochs (default: ${DEFAULT-VALUE}).") int epochs;
    @Option(names = "--train-examples", defaultValue = "5000", description = "Balanced training subset per epoch (default: ${DEFAULT-VALUE}).") int trainExamples;
    @Option(names = "--eval-examples", defaultValue = "1000", description = "Balanced test subset evaluated and diagnosed (default: ${DEFAULT-VALUE}).") int evalExamples;
    @Option(names = "--seed", defaultValue = "0", description = "One seed for data order, initialisation and attack starts (default: ${DEFAULT-VALUE}).") long seed;
    @picocli.CommandLine.Mixin BackendOptions backend;
    @Option(names = "--no-progress", description = "No progress bar.") boolean noProgress;
    @Option(names = "--no-removal", description = "Skip the class-removal experiment (two more trainings).") boolean noRemoval;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        try (Backend b = backend.create()) {
            Demo.run(new Demo.Request(out, epochs, trainExamples, evalExamples, seed, !noProgress, !noRemoval), b, System.out);
        }
        System.out.printf(Locale.ROOT, "demo finished in %.0f s; results in %s (metrics.jsonl, checkpoints/, analysis/, plots/, report.html)%n",
                (System.nanoTime() - t0) / 1e9, out.toAbsolutePath());
        return 0;
    }
}
