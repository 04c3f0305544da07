package io.classwise.cli;

import io.classwise.api.CompareRuns;
import io.classwise.tensor.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code compare}: runs side by side, class by class. */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate the final model of each RUN on one balanced test subset under PGD-k (and AutoAttack with --autoattack), "
                + "with the same ε and seeds; write OUT/report.html, comparison.json, summary.csv (average / worst class / gap / std with "
                + "95 %% bootstrap intervals) and per_class.csv (per-class robust accuracy, interval, change against the baseline)."})
final class CompareCommand implements Callable<Integer> {
    @Parameters(arity = "2..*", paramLabel = "RUN", description = "Run directories written by train (the same dataset).") List<Path> runs;
    @Option(names = "--out", required = true, description = "Output directory (created).") Path out;
    @Option(names = "--baseline", description = "The run the others are compared with (default: the first).") Path baseline;
    @Option(names = "--eps", description = "ℓ∞ budget (default: the first run's training ε).") Float eps;
    @Option(names = "--steps", defaultValue = "20", description = "PGD steps, step ε/4 (default: ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--examples", defaultValue = "1000", description = "Balanced test subset (0 = all; default: ${DEFAULT-VALUE}).") int examples;
    @Option(names = "--autoattack", description = "Also the standard AutoAttack (APGD-CE, APGD-T, FAB-T, Square-5000): the reference "
            + "worst case, and far slower than PGD.") boolean autoAttack;
    @Option(names = "--batch-size", defaultValue = "128", description = "Images per attacked batch (default: ${DEFAULT-VALUE}).") int batchSize;
    @Mixin DataDirOption data = new DataDirOption();
    @Option(names = "--seed", defaultValue = "0", description = "Seed of the subset, the attacks' starts and the bootstrap (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--overwrite", description = "Replace a previous comparison in --out (never anything else).") boolean overwrite;
    @Mixin BackendOptions backend;

    @Override
    public Integer call() throws Exception {
        try (Backend b = backend.create()) {
            CompareRuns.run(new CompareRuns.Request(runs, out, baseline, eps, steps, examples, autoAttack, batchSize, data.dataDir, seed, overwrite), b,
                    System.out);
        }
        System.out.println("comparison: " + out.resolve("report.html") + " (comparison.json, summary.csv, per_class.csv, plots/)");
        return 0;
    }
}
