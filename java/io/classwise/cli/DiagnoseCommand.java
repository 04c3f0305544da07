package io.classwise.cli;

import io.classwise.analysis.Diagnosis;
import io.classwise.analysis.FlipMatrix;
import io.classwise.analysis.WeightNorms;
import io.classwise.data.DataDirs;
import io.classwise.data.DatasetId;
import io.classwise.data.Datasets;
import io.classwise.data.ImageDataset;
import io.classwise.data.Split;
import io.classwise.data.SubsetDataset;
import io.classwise.nn.Model;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.nn.checkpoint.Safetensors;
import io.classwise.tensor.Backend;
import io.classwise.train.Presets;
import io.classwise.train.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code diagnose}: the class-wise analyses of a trained run, written to RUN/analysis/. */
@Command(name = "diagnose", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run the class-wise analyses (robustness over epochs, flip matrix, reachable classes, weight norms, "
                + "attack ladder, Temperature-PGD sweep) on RUN's last checkpoint; JSON and CSV go to RUN/analysis/.")
final class DiagnoseCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, description = "A run directory written by train.") Path runDir;
    @Option(names = "--examples", defaultValue = "1000", description = "Balanced test subset (0 = all; default: ${DEFAULT-VALUE}).") int examples;
    @Option(names = "--eps", description = "Budget (default: the training ε).") Float eps;
    @Option(names = "--step", description = "Step (default: ε/4).") Float step;
    @Option(names = "--steps", defaultValue = "20", description = "PGD steps of the flip matrix, reachability and Temperature-PGD (default: ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--reachable-examples", defaultValue = "200", description = "Balanced test subset for the reachable classes (K − 1 targeted attacks each; default: ${DEFAULT-VALUE}).") int reachable;
    @Option(names = "--square-queries", defaultValue = "300", description = "Query budget of the Square rung of the ladder (default: ${DEFAULT-VALUE}).") int squareQueries;
    @Option(names = "--temperatures", split = ",", defaultValue = "0.5,1,2,5,10,20", description = "Temperatures of the Temperature-PGD sweep (default: ${DEFAULT-VALUE}).") float[] temperatures;
    @Option(names = "--no-pgd100", description = "Leave PGD-100 out of the ladder.") boolean noPgd100;
    @Option(names = "--surrogate", description = "Checkpoint of a surrogate model for the transfer rung.") Path surrogate;
    @Option(names = "--removal-source", split = ",", description = "Source classes (ids) of the class-removal experiment "
            + "(default: the class most concentrated on its dominant flip targets).") List<Integer> removalSources;
    @Option(names = "--no-removal", description = "Skip the class-removal experiment (it retrains the model twice per source class).") boolean noRemoval;
    @Option(names = "--data-dir", description = "Data directory (default: $CLASSWISE_DATA, else ~/.cache/classwise/datasets).") String dataDir;
    @Option(names = "--seed", defaultValue = "0", description = "Seed of subsets and attack starts (default: ${DEFAULT-VALUE}).") long seed;
    @picocli.CommandLine.Mixin BackendOptions backend;

    @Override
    public Integer call() throws Exception {
        RunDirectory run = new RunDirectory(runDir);
        if (!Files.exists(run.lastWeights())) throw new IllegalArgumentException("--run: " + run.lastWeights() + " does not exist (train first)");
        Diagnosis.Settings s = new Diagnosis.Settings();
        Map<String, String> meta = Safetensors.read(run.lastWeights()).metadata();
        String ds = meta.get("classwise.dataset");
        s.eps = Presets.attackEps(eps, false, meta.get("classwise.eps"), ds == null ? null : DatasetId.parse(ds));
        if (!(s.eps > 0 && s.eps <= 1)) throw new IllegalArgumentException("--eps must be in (0, 1] (pixel units), got " + s.eps);
        if (examples < 0) throw new IllegalArgumentException("--examples must be >= 0 (0 = all), got " + examples);
        if (steps < 1) throw new IllegalArgumentException("--steps must be >= 1, got " + steps);
        s.step = step != null ? step : s.eps / 4;
        s.steps = steps;
        s.reachableExamples = reachable;
        s.squareQueries = squareQueries;
        s.temperatures = temperatures;
        s.ladderPgd100 = !noPgd100;
        s.seed = seed;
        try (Backend b = backend.create()) {
            run(b, run, meta, s, examples, surrogate == null ? null : Checkpoint.load(b, surrogate), dataDir,
                    noRemoval ? null : (removalSources == null ? List.of() : removalSources), System.out);
        }
        return 0;
    }

    /** Shared with demo: loads the test set and the model, runs every analysis, prints a per-class table. */
    static void run(Backend b, RunDirectory run, Map<String, String> meta, Diagnosis.Settings s, int examples, Model surrogate,
                    String dataDir, List<Integer> removalSources, PrintStream out) throws Exception {
        String ds = meta.get("classwise.dataset");
        if (ds == null) throw new IllegalArgumentException(run.lastWeights() + " does not record its dataset (classwise.dataset); it was not written by train");
        DatasetId id = DatasetId.parse(ds);
        boolean embedded = "embedded".equals(meta.get("classwise.source"));
        ImageDataset test = Datasets.load(id, Split.TEST, embedded, DataDirs.resolve(dataDir));
        if (examples > 0) test = SubsetDataset.balanced(test, Math.max(1, examples / test.numClasses()), s.seed, "--examples");
        Model model = Checkpoint.load(b, run.lastWeights());
        Files.createDirectories(run.analysis());
        Diagnosis d = new Diagnosis(model, test, id, s, new io.classwise.report.AnalysisFiles(run.analysis()), out);
        out.println("diagnosing " + run.lastWeights() + " on " + test.size() + " test images (ε = " + s.eps + ")");
        if (Files.exists(run.metrics())) d.robustnessOverEpochs(run.metrics());
        out.println("flip matrix ...");
        FlipMatrix flips = d.flipMatrix();
        if (d.examples() != null) {
            io.classwise.report.ExampleGallery.write(run.examples().resolve("pgd-" + s.steps), d.examples(), test.classNames(), "PGD-" + s.steps, s.eps);
        }
        out.println("reachable classes (targeted PGD towards every class) ...");
        io.classwise.analysis.Reachability reach = d.reachableClasses();
        if (removalSources != null && Files.exists(run.config())) {
            io.classwise.train.TrainConfig recipe = new com.fasterxml.jackson.databind.ObjectMapper().readValue(run.config().toFile(), io.classwise.train.TrainConfig.class);
            ImageDataset train = Datasets.load(id, Split.TRAIN, embedded, DataDirs.resolve(dataDir));
            d.classRemoval(reach, train, recipe, removalSources, run.root().resolve("class-removal"));
        }
        out.println("attack ladder ...");
        List<io.classwise.analysis.Diagnosis.Rung> ladder = d.attackLadder(surrogate);
        out.println("Temperature-PGD sweep ...");
        List<io.classwise.analysis.Diagnosis.Rung> sweep = d.temperatureSweep();
        double[] pgd20 = Diagnosis.rung(ladder, Diagnosis.REFERENCE_RUNG).perClass();
        WeightNorms wn = d.weightNorms(pgd20, run.checkpoints(), run.metrics());
        out.printf(Locale.ROOT, "%n%-14s %7s %7s %7s %7s %7s  %s%n", "class", "FGSM", "PGD-20", "worst", "TPGD-5", "|w_c|", "top flip target");
        double[] tp5 = sweep.stream().filter(r -> r.attack().contains("T=5)")).findFirst().map(io.classwise.analysis.Diagnosis.Rung::perClass).orElse(pgd20);
        for (int c = 0; c < test.numClasses(); c++) {
            double strongest = Double.POSITIVE_INFINITY;
            for (io.classwise.analysis.Diagnosis.Rung r : ladder) strongest = Math.min(strongest, r.perClass()[c]);
            List<Integer> top = flips.topTargets(c);
            out.printf(Locale.ROOT, "%-14s %7.3f %7.3f %7.3f %7.3f %7.3f  %s%n", shorten(test.classNames().get(c)), ladder.get(0).perClass()[c], pgd20[c],
                    strongest, tp5[c], wn.weightNorm()[c], top.isEmpty() ? "-" : test.classNames().get(top.get(0))
                            + String.format(Locale.ROOT, " (%.0f%%)", 100 * flips.topShare(c, 1)));
        }
        out.printf(Locale.ROOT, "(worst = the lowest robust accuracy over all rungs of the ladder)  weight norm vs PGD-20 robustness: Pearson r = %.3f, Spearman ρ = %.3f%n",
                wn.pearson(), wn.spearman());
        out.println("analysis files: " + run.analysis() + " " + Arrays.toString(Files.list(run.analysis()).map(p -> p.getFileName().toString()).sorted().toArray()));
        out.println("report: " + new io.classwise.report.ReportWriter(run).write().toAbsolutePath());
    }

    private static String shorten(String s) { return s.length() <= 14 ? s : s.substring(0, 13) + "…"; }
}
