package io.classwise.analysis;

import io.classwise.attack.Attack;
import io.classwise.attack.Pgd;
import io.classwise.data.DatasetId;
import io.classwise.data.ImageDataset;
import io.classwise.data.SubsetDataset;
import io.classwise.data.pipeline.Transforms;
import io.classwise.nn.Model;
import io.classwise.tensor.Backend;
import io.classwise.train.Evaluation;
import io.classwise.train.RunDirectory;
import io.classwise.train.TrainConfig;
import io.classwise.train.Trainer;
import io.classwise.util.Rng;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.io.OutputStream;
import java.util.Locale;

/**
 * The class-removal experiment (the study's first finding): take the examples of a source class i
 * that can be attacked only into a set S of classes, retrain the same recipe without S's training
 * data (labels renumbered), and measure how many of those examples now have no adversarial example
 * inside the ε-ball under a strong attack (PGD with restarts). A control removes an unrelated class
 * of the same size; if the effect is specific to S, the control keeps them attackable.
 */
public final class ClassRemoval {
    /**
     * The outcome for one source class. examples: its test examples classified correctly before the
     * attack and attackable only into {@code removed}; cleanErrors: its examples already misclassified
     * (left out, reported apart).
     */
    public record Result(String sourceClass, List<String> removed, List<String> controlRemoved, int examples, long cleanErrors,
                         double robustShareAfterRemoval, double robustShareControl, String attack) {}

    private final Backend b;
    private final DatasetId dataset;
    private final ImageDataset train, test;
    private final TrainConfig recipe;
    private final Path workDir;
    private final PrintStream log;

    public ClassRemoval(Backend b, DatasetId dataset, ImageDataset train, ImageDataset test, TrainConfig recipe, Path workDir,
            PrintStream log) {
        this.b = b; this.dataset = dataset; this.train = train; this.test = test; this.recipe = recipe; this.workDir = workDir; this.log = log;
    }

    /**
     * What the experiment did: the results per source, the sources it skipped and why, and how the
     * source was chosen (per class, its correctly classified examples attackable only into its dominant
     * targets; the chosen class names).
     */
    public record Outcome(List<Result> results, List<String> skipped, Map<String, Integer> candidates, List<String> chosen) {}

    /**
     * The whole experiment, one flow: choose the source (given, or the class with the most correctly
     * classified examples attackable only into its dominant target set S, among those with at least
     * {@code minExamples}); S (or removedOverride) and a control of the same size (or controlOverride;
     * skipped, with the reason, when none exists); retrain without each and measure.
     */
    public Outcome experiment(Reachability reach, List<Integer> sources, Set<Integer> removedOverride, Set<Integer> controlOverride,
                              int minExamples, long seed) throws IOException {
        List<String> names = test.classNames();
        int k = names.size();
        Map<String, Integer> candidates = new LinkedHashMap<>();
        for (int c = 0; c < k; c++) {
            Set<Integer> set = dominantTargets(reach, c);
            if (set.isEmpty() || set.size() >= k - 2) continue; // no room for a control of the same size
            candidates.put(names.get(c), reach.onlyInto(c, set).size());
        }
        List<Integer> chosen = new ArrayList<>(sources);
        if (chosen.isEmpty()) {
            int best = -1, bestCount = 0;
            for (int c = 0; c < k; c++) {
                int n = candidates.getOrDefault(names.get(c), 0);
                if (n >= minExamples && n > bestCount) { best = c; bestCount = n; }
            }
            if (best >= 0) chosen.add(best);
            else log.println("class removal: skipped; no class has " + minExamples + " or more correctly classified examples "
                    + "attackable only into its dominant targets " + candidates);
        }
        List<Result> results = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (int source : chosen) {
            Set<Integer> removed = removedOverride != null ? removedOverride : dominantTargets(reach, source);
            if (removed.isEmpty()) {
                skipped.add(names.get(source) + ": none of its correctly classified examples can be attacked");
                continue;
            }
            Set<Integer> control = controlOverride != null ? controlOverride : controlFor(reach, source, removed, k);
            if (control.size() != removed.size()) {
                // The control must remove as many classes as S does; never a smaller one.
                String why = names.get(source) + ": no unrelated set of " + removed.size() + " classes exists beside "
                        + removed.stream().map(names::get).toList() + " (control " + control.stream().map(names::get).toList() + ")";
                log.println("class removal skipped for " + why);
                skipped.add(why);
                continue;
            }
            List<Integer> examples = reach.onlyInto(source, removed);
            log.println("class removal: " + names.get(source) + " examples classified correctly and attackable only into "
                    + removed.stream().map(names::get).toList() + ": " + examples.size() + " (clean errors left out: "
                            + reach.cleanErrors(source) + ")");
            if (examples.isEmpty()) log.println("  no example of " + names.get(source)
                    + " is attackable only into those classes: nothing to retrain");
            Result r = run(source, removed, control, examples, reach.cleanErrors(source), seed);
            results.add(r);
            log.printf(Locale.ROOT, "  no adversarial example left inside the ε-ball: %.3f after removing %s, %.3f in the control (removing %s)%n",
                    r.robustShareAfterRemoval(), r.removed(), r.robustShareControl(), r.controlRemoved());
        }
        return new Outcome(results, skipped, candidates, chosen.stream().map(names::get).toList());
    }

    /** The most common non-empty reachable set of the source class's examples (the dominant flip targets). */
    public static Set<Integer> dominantTargets(Reachability reach, int source) {
        for (String key : reach.setsOf(source).keySet()) {
            if (key.equals("none")) continue;
            Set<Integer> s = new TreeSet<>();
            for (String p : key.split("\\+")) s.add(Integer.parseInt(p));
            return s;
        }
        return Set.of();
    }

    /**
     * As many control classes as S has: not the source, not in S, the ones the source's examples reach
     * least. Smaller than S only when fewer such classes exist — then the caller must skip, not compare.
     */
    public static Set<Integer> controlFor(Reachability reach, int source, Set<Integer> removed, int classes) {
        int[] reached = new int[classes];
        for (int e = 0; e < reach.examples(); e++) if (reach.label(e) == source) for (int c : reach.reachable(e)) reached[c]++;
        List<Integer> candidates = new ArrayList<>();
        for (int c = 0; c < classes; c++) if (c != source && !removed.contains(c)) candidates.add(c);
        candidates.sort((x, y) -> reached[x] != reached[y] ? reached[x] - reached[y] : x - y);
        return new TreeSet<>(candidates.subList(0, Math.min(removed.size(), candidates.size())));
    }

    /**
     * Runs the experiment for one source class. examplesOfSource are test-set indices (into {@code test})
     * of source-class examples attackable only into {@code removed}.
     */
    public Result run(int source, Set<Integer> removed, Set<Integer> control, List<Integer> examplesOfSource, long cleanErrors, long seed)
            throws IOException {
        if (control.size() != removed.size()) {
            throw new IllegalArgumentException("the control removes " + control.size() + " classes but S has " + removed.size()
                    + "; the comparison needs sets of the same size");
        }
        List<String> names = test.classNames();
        Attack strong = Pgd.pgd((float) recipe.eps, (float) (recipe.eps / 4), 20, 5);
        double after = robustShare(source, removed, examplesOfSource, "removed-" + join(removed), seed, strong);
        double ctrl = robustShare(source, control, examplesOfSource, "control-" + join(control), seed, strong);
        return new Result(names.get(source), removed.stream().map(names::get).toList(), control.stream().map(names::get).toList(),
                examplesOfSource.size(), cleanErrors, after, ctrl, strong.name());
    }

    private static String join(Set<Integer> s) {
        StringBuilder sb = new StringBuilder();
        for (int c : s) sb.append(sb.length() == 0 ? "" : "_").append(c);
        return sb.toString();
    }

    /** Retrains without the dropped classes and returns the share of the examples that resist the strong attack. */
    private double robustShare(int source, Set<Integer> dropped, List<Integer> examples, String name, long seed,
            Attack strong) throws IOException {
        if (examples.isEmpty()) return Double.NaN;
        SubsetDataset trainWithout = SubsetDataset.withoutClasses(train, dropped);
        SubsetDataset testWithout = SubsetDataset.withoutClasses(test, dropped);
        TrainConfig c = recipe.copy();
        c.seed = seed;
        // Same recipe, same number of training images per remaining class; evaluate on the given test subset.
        int classes = train.numClasses();
        if (c.trainExamples > 0) c.trainExamples = c.trainExamples / classes * (classes - dropped.size());
        c.evalExamples = 0;
        log.println("  retraining without " + dropped.stream().map(k -> train.classNames().get(k)).toList() + " ...");
        Trainer t = new Trainer(c, b, dataset, trainWithout, testWithout, new RunDirectory(workDir.resolve(name)),
                new PrintStream(OutputStream.nullOutputStream()), false).overwrite(true); // scratch runs of this experiment
        t.fit(false);
        Model m = t.model();
        int[] idx = examples.stream().mapToInt(Integer::intValue).toArray();
        ImageDataset subset = SubsetDataset.withoutClasses(SubsetDataset.ofIndices(test, idx), dropped);
        Evaluation.Predictions p = Evaluation.predict(m, subset, Transforms.forEvaluation(dataset), strong, recipe.batchSize,
                new Rng(seed + 5));
        return p.robustAccuracy().overall();
    }

}
