package io.classwise.api;

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
import io.classwise.train.RunLock;
import io.classwise.train.RunManifest;
import io.classwise.util.CommittedState;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.analysis.Reachability;
import io.classwise.report.AnalysisFiles;
import io.classwise.report.ExampleGallery;
import io.classwise.report.ReportWriter;
import io.classwise.train.TrainConfig;

/**
 * The diagnosis of a trained run, as {@code diagnose}, {@code demo} and {@code reproduce} run it: loads the
 * run's test set and final model, runs every class-wise analysis (its JSON/CSV into RUN/analysis/, a
 * gallery of adversarial examples into RUN/examples/), prints a per-class summary table and writes the report.
 */
public final class RunDiagnosis {
    private RunDiagnosis() {}

    /**
     * What {@code diagnose} asks: eps/step null: the run's training ε (else the preset's) and ε/4; examples: balanced
     * test subset (0 = all); surrogate (nullable): a checkpoint for the transfer rung; removalSources: null skips the
     * class-removal experiment, empty picks the source class.
     */
    public record Request(Path run, int examples, Float eps, Float step, int steps, int reachableExamples, int squareQueries,
                          float[] temperatures, boolean pgd100, boolean autoAttack, Path surrogate, List<Integer> removalSources,
                          String dataDir, long seed) {}

    /** The diagnosis of a run as {@code diagnose} runs it. */
    public static void run(Request r, Backend b, PrintStream out) throws Exception {
        RunDirectory run = new RunDirectory(r.run());
        if (!RunDirectory.holdsRun(r.run())) throw new IllegalArgumentException("--run: " + r.run() + " is not a run directory (no config.json "
                + "of a run; train first)");
        Diagnosis.Settings s = new Diagnosis.Settings();
        Map<String, String> meta = Safetensors.read(run.finalWeights()).metadata();
        String ds = meta.get("classwise.dataset");
        s.eps = Presets.attackEps(r.eps(), false, meta.get("classwise.eps"), ds == null ? null : DatasetId.parse(ds));
        if (!(s.eps > 0 && s.eps <= 1)) throw new IllegalArgumentException("--eps must be in (0, 1] (pixel units), got " + s.eps);
        if (r.examples() < 0) throw new IllegalArgumentException("--examples must be >= 0 (0 = all), got " + r.examples());
        if (r.steps() < 1) throw new IllegalArgumentException("--steps must be >= 1, got " + r.steps());
        s.step = r.step() != null ? r.step() : s.eps / 4;
        s.steps = r.steps();
        s.reachableExamples = r.reachableExamples();
        s.squareQueries = r.squareQueries();
        s.temperatures = r.temperatures();
        s.ladderPgd100 = r.pgd100();
        s.ladderAutoAttack = r.autoAttack();
        s.seed = r.seed();
        run(b, run, s, r.examples(), r.surrogate() == null ? null : Checkpoint.load(b, r.surrogate()), r.dataDir(), r.removalSources(), out);
    }

    /**
     * Shared with demo: loads the test set and the run's final model, runs every analysis, prints a per-class table.
     * Holds the run's lock throughout (a run still training is refused, and two diagnoses never interleave) and
     * writes the diagnosis as one transaction ({@link DiagnosisStaging}).
     */
    public static void run(Backend b, RunDirectory run, Diagnosis.Settings s, int examples, Model surrogate,
                    String dataDir, List<Integer> removalSources, PrintStream out) throws Exception {
        try (RunLock lock = RunLock.acquire(run.root(), "diagnose")) {
            runLocked(b, run, s, examples, surrogate, dataDir, removalSources, out);
        }
    }

    /** The model and its metadata are read under the lock: what is diagnosed is the final model at that moment. */
    private static void runLocked(Backend b, RunDirectory run, Diagnosis.Settings s, int examples, Model surrogate,
                    String dataDir, List<Integer> removalSources, PrintStream out) throws Exception {
        RunManifest.FinalModel fin = run.finalModel();
        Path modelFile = fin.file();
        Map<String, String> meta = Safetensors.read(modelFile).metadata();
        String ds = meta.get("classwise.dataset");
        if (ds == null) throw new IllegalArgumentException(modelFile
                + " does not record its dataset (classwise.dataset); it was not written by train");
        DatasetId id = DatasetId.parse(ds);
        String source = meta.getOrDefault("classwise.source", "files");
        long seed = Long.parseLong(meta.getOrDefault("classwise.seed", "0"));
        ImageDataset test = Datasets.load(id, Split.TEST, source, seed, DataDirs.resolve(dataDir));
        if (examples > 0) test = SubsetDataset.balanced(test, Math.max(1, examples / test.numClasses()), s.seed, "--examples");
        Model model = Checkpoint.load(b, modelFile);
        DiagnosisStaging staging = DiagnosisStaging.begin(run);
        CommittedState.set("the diagnosis of " + run.root() + " was not finished; its previous diagnosis (if any) is unchanged. Run "
                + "engine.jar diagnose --run " + run.root() + " again");
        Diagnosis d = new Diagnosis(model, test, id, s, new AnalysisFiles(staging.analysis()), out);
        out.println("diagnosing " + modelFile + " on " + test.size() + " test images (ε = " + s.eps + ")");
        if (Files.exists(run.metrics())) d.robustnessOverEpochs(run.metrics());
        out.println("flip matrix ...");
        FlipMatrix flips = d.flipMatrix();
        if (d.examples() != null) {
            ExampleGallery.write(staging.examples().resolve("pgd-" + s.steps), d.examples(), test.classNames(), "PGD-" + s.steps, s.eps);
        }
        out.println("reachable classes (targeted PGD towards every class) ...");
        Reachability reach = d.reachableClasses();
        if (removalSources != null && Files.exists(run.config())) {
            TrainConfig recipe = new ObjectMapper().readValue(run.config().toFile(), TrainConfig.class);
            if (recipe.method.equals(ImportModel.IMPORTED)) {
                // The experiment retrains the run's recipe, which an imported model does not come with.
                out.println("class removal skipped: " + run.root() + " holds an imported model, whose training recipe is unknown");
            } else {
                ImageDataset train = Datasets.load(id, Split.TRAIN, source, seed, DataDirs.resolve(dataDir));
                d.classRemoval(reach, train, recipe, removalSources, run.root().resolve("class-removal"));
            }
        }
        out.println("attack ladder ...");
        List<Diagnosis.Rung> ladder = d.attackLadder(surrogate);
        out.println("Temperature-PGD sweep ...");
        List<Diagnosis.Rung> sweep = d.temperatureSweep();
        double[] pgd20 = Diagnosis.rung(ladder, Diagnosis.REFERENCE_RUNG).perClass();
        WeightNorms wn = d.weightNorms(pgd20, run.checkpoints(), run.metrics());
        out.printf(Locale.ROOT, "%n%-14s %7s %7s %7s %7s %7s  %s%n", "class", "FGSM", "PGD-20", "worst", "TPGD-5", "|w_c|",
                "top flip target");
        double[] tp5 = sweep.stream().filter(r -> r.attack().contains("T=5)")).findFirst().map(Diagnosis.Rung::perClass).orElse(pgd20);
        for (int c = 0; c < test.numClasses(); c++) {
            double strongest = Double.POSITIVE_INFINITY;
            for (Diagnosis.Rung r : ladder) strongest = Math.min(strongest, r.perClass()[c]);
            List<Integer> top = flips.topTargets(c);
            out.printf(Locale.ROOT, "%-14s %7.3f %7.3f %7.3f %7.3f %7.3f  %s%n", shorten(test.classNames().get(c)),
                    ladder.get(0).perClass()[c], pgd20[c],
                    strongest, tp5[c], wn.weightNorm()[c], top.isEmpty() ? "-" : test.classNames().get(top.get(0))
                            + String.format(Locale.ROOT, " (%.0f%%)", 100 * flips.topShare(c, 1)));
        }
        out.printf(Locale.ROOT, "(worst = the lowest robust accuracy over all rungs of the ladder)  weight norm vs PGD-20 robustness: Pearson r = %.3f, Spearman ρ = %.3f%n",
                wn.pearson(), wn.spearman());
        ObjectNode settings = new ObjectMapper().valueToTree(s);
        settings.put("examples", test.size());
        staging.commit(settings, fin);
        CommittedState.set("the diagnosis of " + run.root() + " is complete (analysis/); its report was being written: engine.jar report --run "
                + run.root() + " writes it");
        out.println("analysis files: " + run.analysis() + " "
                + Arrays.toString(Files.list(run.analysis()).map(p -> p.getFileName().toString()).sorted().toArray()));
        out.println("report: " + new ReportWriter(run).write().toAbsolutePath());
    }

    private static String shorten(String s) { return s.length() <= 14 ? s : s.substring(0, 13) + "…"; }
}
