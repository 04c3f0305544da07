package io.classwise.cli;

import io.classwise.api.Reproduction;
import io.classwise.data.DatasetId;
import io.classwise.tensor.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code reproduce <dataset>}: the study's recipe for a dataset. PGD-AT with the preset, a naturally
 * trained surrogate, every analysis and the report; then TRADES, MART and HE with the same preset and
 * the Temperature-PGD sweep on each, compared in analysis/temperature_pgd_by_method.json|csv; last, every run
 * side by side class by class ({@code compare}) in OUT/comparison/.
 */
@Command(name = "reproduce", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run the study on a dataset with its preset: PGD-AT + every analysis + report, then the --methods (TRADES, MART, HE; "
                + "or e.g. trades,frl,cfa,dafa) with the Temperature-PGD sweep, and a class-wise comparison of all runs in OUT/comparison/.")
final class ReproduceCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "mnist, fashion-mnist, cifar10, cifar100, svhn, stl10, imagenet.") String dataset;
    @Option(names = "--out", description = "Run directory (default: runs/reproduce-DATASET).") Path out;
    @Mixin DataDirOption data = new DataDirOption();
    @Option(names = "--embedded", description = "fashion-mnist only: the subset inside the jar.") boolean embedded;
    @Option(names = "--epochs", description = "Override the preset's epochs (e.g. for a quick look).") Integer epochs;
    @Option(names = "--train-examples", description = "Balanced training subset (default: all).") Integer trainExamples;
    @Option(names = "--eval-examples", defaultValue = "1000", description = "Balanced test subset for evaluation and analyses (default: ${DEFAULT-VALUE}).") int evalExamples;
    @Option(names = "--methods", split = ",", defaultValue = "trades,mart,he", description = "Methods trained and compared besides PGD-AT "
            + "(which always runs first), e.g. trades,frl,cfa,dafa (default: ${DEFAULT-VALUE}).") List<String> methods;
    @Option(names = "--autoattack", description = "The final comparison also under the standard AutoAttack (slow on a CPU).") boolean autoAttack;
    @Option(names = "--seed", defaultValue = "0", description = "One seed for data order, initialisation and attack starts (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--no-progress", description = "No progress bar.") boolean noProgress;
    @Option(names = "--overwrite", description = "Replace the runs already in the output directory (default: refuse to mix two runs).") boolean overwrite;
    @Option(names = "--no-removal", description = "Skip the class-removal experiment (it retrains the model twice per source class).") boolean noRemoval;
    @Mixin BackendOptions backend;

    @Override
    public Integer call() throws Exception {
        DatasetId id = DatasetId.parse(dataset);
        Path root = out != null ? out : Path.of("runs", "reproduce-" + id.cliName);
        try (Backend b = backend.create()) {
            Reproduction.run(new Reproduction.Request(id, root, data.dataDir, embedded, epochs, trainExamples, evalExamples, methods, autoAttack,
                    seed, !noProgress, overwrite, !noRemoval), b, System.out);
        }
        return 0;
    }
}
