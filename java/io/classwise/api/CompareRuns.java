package io.classwise.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.analysis.FlipMatrix;
import io.classwise.analysis.RobustFairness;
import io.classwise.analysis.RunComparison;
import io.classwise.attack.Attack;
import io.classwise.attack.AutoAttack;
import io.classwise.attack.Pgd;
import io.classwise.data.DataDirs;
import io.classwise.data.DatasetId;
import io.classwise.data.Datasets;
import io.classwise.data.ImageDataset;
import io.classwise.data.Split;
import io.classwise.data.SubsetDataset;
import io.classwise.data.pipeline.Transforms;
import io.classwise.nn.Model;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.nn.checkpoint.Safetensors;
import io.classwise.report.ComparisonReport;
import io.classwise.tensor.Backend;
import io.classwise.train.Evaluation;
import io.classwise.train.RemovedClasses;
import io.classwise.train.RunDirectory;
import io.classwise.train.TrainConfig;
import io.classwise.util.OutputPaths;
import io.classwise.util.Rng;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code compare}: evaluates the final model of each run on one common balanced test subset under PGD-20
 * (and AutoAttack when asked), with the same ε and seeds for all, and writes the comparison (JSON, CSV,
 * report.html) into the output directory.
 */
public final class CompareRuns {
    private CompareRuns() {}

    /**
     * runs: run directories (their last.safetensors is the model compared; CFA's is its FAWA average);
     * baseline: one of them, or null for the first; eps null: the first run's training ε; examples: the
     * balanced test subset (0 = all); autoAttack: add the standard AutoAttack (costly: minutes per 1,000
     * CIFAR-10 examples on a GPU, far more on a CPU).
     */
    public record Request(List<Path> runs, Path out, Path baseline, Float eps, int steps, int examples, boolean autoAttack, int batchSize,
                          String dataDir, long seed, boolean overwrite) {}

    /**
     * Runs trained on different classes (TrainConfig.removeClasses) cannot be compared class by class: a run trained
     * without Shirt has no Shirt output, and its per-class numbers are over other classes. Thrown before anything is
     * written; a sweep catches it and skips its comparison.
     */
    public static final class DifferentClassSets extends IllegalArgumentException {
        DifferentClassSets(String message) { super(message); }
    }

    private static void requireOneClassSet(List<Path> runs, List<Map<String, String>> metas) {
        Set<Integer> first = RemovedClasses.of(metas.get(0));
        for (int i = 1; i < runs.size(); i++) {
            Set<Integer> other = RemovedClasses.of(metas.get(i));
            if (!other.equals(first)) {
                throw new DifferentClassSets(runs.get(0) + " was trained without classes " + first + ", " + runs.get(i) + " without " + other
                        + ": compare runs trained on the same classes (the class-removal experiment itself: diagnose or remove-class)");
            }
        }
    }

    public static RunComparison run(Request r, Backend b, PrintStream log) throws IOException {
        if (r.runs().size() < 2) throw new IllegalArgumentException("compare needs at least two run directories, got " + r.runs().size());
        OutputPaths.checkDirectory(r.out(), "--out", r.overwrite(), RunDirectory::holdsComparison, "a Classwise comparison (comparison.json)",
                r.runs());
        ObjectMapper json = new ObjectMapper();
        List<TrainConfig> configs = new ArrayList<>();
        List<Map<String, String>> metas = new ArrayList<>();
        for (Path p : r.runs()) {
            RunDirectory run = new RunDirectory(p);
            if (!RunDirectory.holdsRun(p)) throw new IllegalArgumentException(p + " is not a run directory (no config.json of a run)");
            configs.add(json.readValue(run.config().toFile(), TrainConfig.class));
            metas.add(Safetensors.read(run.finalWeights()).metadata());
        }
        requireOneClassSet(r.runs(), metas);
        TrainConfig first = configs.get(0);
        for (int i = 1; i < configs.size(); i++) {
            if (!configs.get(i).dataset.equals(first.dataset)) {
                throw new IllegalArgumentException(r.runs().get(i) + " was trained on " + configs.get(i).dataset + " but " + r.runs().get(0)
                        + " on " + first.dataset + ": runs are compared on one test set");
            }
        }
        int baseline = 0;
        if (r.baseline() != null) {
            baseline = -1;
            for (int i = 0; i < r.runs().size(); i++) {
                if (r.runs().get(i).toAbsolutePath().normalize().equals(r.baseline().toAbsolutePath().normalize())) baseline = i;
            }
            if (baseline < 0) throw new IllegalArgumentException("--baseline " + r.baseline() + " is not one of the runs compared");
        }
        float eps = r.eps() != null ? r.eps() : Float.parseFloat(metas.get(0).getOrDefault("classwise.eps", Double.toString(first.eps)));
        if (!(eps > 0 && eps <= 1)) throw new IllegalArgumentException("--eps must be in (0, 1], got " + eps);
        if (r.steps() < 1) throw new IllegalArgumentException("--steps must be >= 1, got " + r.steps());
        if (r.examples() < 0) throw new IllegalArgumentException("--examples must be >= 0 (0 = all), got " + r.examples());
        DatasetId id = DatasetId.parse(first.dataset);
        // The first run's data source (the files, the embedded subset, or synthetic data) gives the test set.
        ImageDataset test = Datasets.load(id, Split.TEST, first.source, first.seed, DataDirs.resolve(r.dataDir()));
        if (r.examples() > 0) test = SubsetDataset.balanced(test, Math.max(1, r.examples() / test.numClasses()), r.seed(), "--examples");
        // Runs trained without some classes are evaluated without them too (their models know only the others).
        Set<Integer> removed = RemovedClasses.of(metas.get(0));
        if (!removed.isEmpty()) log.println("compare: classes " + removed + " are left out of the test set (the runs were trained without them)");
        test = RemovedClasses.apply(test, removed);
        List<Attack> attacks = new ArrayList<>(List.of(Pgd.pgd(eps, eps / 4, r.steps(), 1)));
        if (r.autoAttack()) attacks.add(AutoAttack.standard(eps));
        List<String> attackNames = attacks.stream().map(Attack::name).toList();
        List<RunComparison.Run> results = new ArrayList<>();
        for (int i = 0; i < r.runs().size(); i++) {
            Path p = r.runs().get(i);
            Model model = Checkpoint.load(b, new RunDirectory(p).finalWeights());
            if (model.numClasses() != test.numClasses()) throw new IllegalArgumentException(p + ": " + model.numClasses() + " classes, the test set has "
                    + test.numClasses());
            List<RobustFairness> robust = new ArrayList<>();
            double[] clean = null;
            double[][] flips = null;
            for (Attack a : attacks) {
                long t0 = System.nanoTime();
                // The same seed for every run: each model meets the same random starts.
                Evaluation.Predictions pr = Evaluation.predict(model, test, Transforms.forEvaluation(id), a, r.batchSize(), new Rng(r.seed() + 17));
                RobustFairness rf = RobustFairness.of(pr.labels(), pr.robustMask(), test.numClasses(), r.seed() + 29);
                robust.add(rf);
                if (clean == null) {
                    clean = pr.cleanAccuracy().perClass();
                    FlipMatrix f = new FlipMatrix(test.numClasses());
                    f.add(pr.labels(), pr.clean(), pr.adversarial());
                    flips = f.rowNormalized();
                }
                log.printf(Locale.ROOT, "%-28s %-14s average %.3f [%.3f, %.3f]  worst %.3f (%s)  gap %.3f  (%.0f s)%n", p.getFileName(), a.name(),
                        rf.average(), rf.interval()[0][0], rf.interval()[0][1], rf.worst(), test.classNames().get(rf.worstClass()), rf.gap(),
                        (System.nanoTime() - t0) / 1e9);
            }
            model.release();
            results.add(new RunComparison.Run(p.getFileName().toString(), p.toString(), configs.get(i).method, clean, robust, flips,
                    RunComparison.readPlans(new RunDirectory(p).metrics())));
        }
        RunComparison c = new RunComparison(test.classNames(), attackNames, eps, test.size(), baseline, results);
        ComparisonReport.write(r.out(), c);
        return c;
    }
}
