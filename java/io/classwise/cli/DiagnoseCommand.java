package io.classwise.cli;

import io.classwise.api.ImportModel;
import io.classwise.api.RunDiagnosis;
import io.classwise.tensor.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code diagnose}: the class-wise analyses of a trained run, written to RUN/analysis/. */
@Command(name = "diagnose", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run the class-wise analyses (robustness over epochs, flip matrix, reachable classes, weight norms, "
                + "attack ladder, Temperature-PGD sweep) on RUN's last checkpoint; JSON and CSV go to RUN/analysis/.")
final class DiagnoseCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, description = "A run directory written by train (or convert --run); with --checkpoint, the "
            + "directory to make from it.") Path runDir;
    @Option(names = "--checkpoint", description = "Weights trained elsewhere (a torch.save file or a bare safetensors file, read without "
            + "executing anything): made into the run directory --run first, as convert --run does; needs --arch and --dataset.") Path checkpoint;
    @Option(names = "--arch", description = "With --checkpoint: the architecture.") String arch;
    @Option(names = "--dataset", description = "With --checkpoint: the dataset.") String dataset;
    @Mixin NormalizeOption normalization = new NormalizeOption();
    @Option(names = "--train-eps", description = "With --checkpoint: the ℓ∞ budget the model was trained for (default: the dataset's preset).")
    Float trainEps;
    @Option(names = "--examples", defaultValue = "1000", description = "Balanced test subset (0 = all; default: ${DEFAULT-VALUE}).") int examples;
    @picocli.CommandLine.Mixin AttackBudgetOptions budget = new AttackBudgetOptions();
    @Option(names = "--reachable-examples", defaultValue = "200", description = "Balanced test subset for the reachable classes (K − 1 targeted attacks each; default: ${DEFAULT-VALUE}).") int reachable;
    @Option(names = "--square-queries", defaultValue = "300", description = "Query budget of the Square rung of the ladder (default: ${DEFAULT-VALUE}).") int squareQueries;
    @Option(names = "--temperatures", split = ",", defaultValue = "0.5,1,2,5,10,20", description = "Temperatures of the Temperature-PGD sweep (default: ${DEFAULT-VALUE}).") float[] temperatures;
    @Option(names = "--no-pgd100", description = "Leave PGD-100 out of the ladder.") boolean noPgd100;
    @Option(names = "--autoattack", description = "Add the standard AutoAttack (APGD-CE, APGD-T, FAB-T, Square-5000) as the ladder's last rung "
            + "(slow on a CPU).") boolean autoAttack;
    @Option(names = "--surrogate", description = "Checkpoint of a surrogate model for the transfer rung.") Path surrogate;
    @Option(names = "--removal-source", split = ",", description = "Source classes (ids) of the class-removal experiment "
            + "(default: the class most concentrated on its dominant flip targets).") List<Integer> removalSources;
    @Option(names = "--no-removal", description = "Skip the class-removal experiment (it retrains the model twice per source class).") boolean noRemoval;
    @picocli.CommandLine.Mixin DataDirOption data = new DataDirOption();
    @Option(names = "--seed", defaultValue = "0", description = "Seed of subsets and attack starts (default: ${DEFAULT-VALUE}).") long seed;
    @picocli.CommandLine.Mixin BackendOptions backend;

    @Override
    public Integer call() throws Exception {
        if (checkpoint == null && (arch != null || dataset != null || trainEps != null)) {
            throw new IllegalArgumentException("--arch, --dataset and --train-eps describe a --checkpoint; a run directory records them");
        }
        try (Backend b = backend.create()) {
            if (checkpoint != null) {
                ImportModel.Result r = ImportModel.run(new ImportModel.Request(checkpoint, null, runDir, arch, dataset, normalization.normalize,
                        trainEps, false), b);
                System.out.println(checkpoint + " → run directory " + runDir + " (" + arch + ", " + r.spec().numClasses() + " classes)");
            }
            RunDiagnosis.run(new RunDiagnosis.Request(runDir, examples, budget.eps, budget.step, budget.steps, reachable, squareQueries, temperatures,
                    !noPgd100, autoAttack, surrogate, noRemoval ? null : (removalSources == null ? List.of() : removalSources), data.dataDir, seed),
                    b, System.out);
        }
        return 0;
    }
}
