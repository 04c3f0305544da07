package io.classwise.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.attack.Apgd;
import io.classwise.attack.AutoAttack;
import io.classwise.attack.Attack;
import io.classwise.attack.Pgd;
import io.classwise.attack.SquareAttack;
import io.classwise.attack.TransferAttack;
import io.classwise.data.DatasetId;
import io.classwise.data.ImageDataset;
import io.classwise.data.SubsetDataset;
import io.classwise.data.pipeline.Batch;
import io.classwise.data.pipeline.BatchLoader;
import io.classwise.data.pipeline.Transforms;
import io.classwise.nn.Model;
import io.classwise.nn.Tape;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;
import io.classwise.train.ClassAccuracy;
import io.classwise.train.Evaluation;
import io.classwise.util.Rng;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import io.classwise.train.TrainConfig;
import java.util.Set;

/**
 * Runs the class-wise analyses on a model and a test set and writes each as JSON and CSV into
 * {@code analysis/}: robustness over epochs (from metrics.jsonl), the flip matrix, reachable classes,
 * classifier weight norms against robustness, the attack-strength ladder and the Temperature-PGD sweep.
 * Pure measurement: it calls attacks, never trains.
 */
public final class Diagnosis {
    /** What to run and how hard. */
    public static final class Settings {
        public float eps = 0.1f, step = 0.025f;
        public int steps = 20, batchSize = 128, squareQueries = 300, reachableExamples = 200;
        public float[] temperatures = {0.5f, 1, 2, 5, 10, 20};
        public boolean ladderPgd100 = true;
        /** Add the standard AutoAttack as the ladder's last rung (the reference worst case; slow on a CPU). */
        public boolean ladderAutoAttack = false;
        /**
         * The class-removal source is chosen among classes with at least this many correctly classified
         * examples attackable only into their dominant target set (fewer make the shares meaningless).
         */
        public int removalMinExamples = 5;
        /** Adversarial examples kept per class from the flip-matrix attack, for the report's gallery (0: none). */
        public int galleryPerClass = 4;
        public long seed = 0;
        /** Classes to plot for datasets with more than 12 classes (empty: the 6 worst and 6 best by the last epoch's test robustness). */
        public List<Integer> plotClasses = List.of();
    }

    private final Model model;
    private final ImageDataset test;
    private final DatasetId dataset;
    private final Settings s;
    private final AnalysisTable.Sink sink;
    private final PrintStream log;
    private AdversarialExamples examples;

    /** sink receives each analysis's table (report.AnalysisFiles writes them as JSON and CSV). */
    public Diagnosis(Model model, ImageDataset test, DatasetId dataset, Settings settings, AnalysisTable.Sink sink, PrintStream log) {
        this.model = model; this.test = test; this.dataset = dataset; this.s = settings; this.sink = sink; this.log = log;
    }

    private List<String> names() { return test.classNames(); }

    private Attack evalPgd() { return Pgd.pgd(s.eps, s.step, s.steps, 1); }

    /**
     * The classes shown in the curves over epochs: all when ≤ 12, else the requested ones, else the 6
     * worst and 6 best by {@code lastRobust} (the last epoch's per-class test robustness; null: a
     * seeded sample of 12). The band in the chart covers all classes either way.
     */
    public List<Integer> plotClasses(double[] lastRobust) {
        int k = test.numClasses();
        if (k <= 12) { List<Integer> all = new ArrayList<>(); for (int c = 0; c < k; c++) all.add(c); return all; }
        if (!s.plotClasses.isEmpty()) return s.plotClasses;
        if (lastRobust != null && lastRobust.length == k) return ClassRobustness.worstAndBest(lastRobust, 12);
        int[] ids = new int[k];
        for (int c = 0; c < k; c++) ids[c] = c;
        new Rng(s.seed).shuffle(ids);
        TreeSet<Integer> chosen = new TreeSet<>();
        for (int i = 0; i < 12; i++) chosen.add(ids[i]);
        return new ArrayList<>(chosen);
    }

    // ---------------------------------------------------------------- 1. robustness over epochs

    public void robustnessOverEpochs(Path metricsJsonl) throws IOException {
        ObjectMapper m = new ObjectMapper();
        List<Map<String, Object>> epochs = new ArrayList<>();
        List<List<Object>> rows = new ArrayList<>();
        for (String line : Files.readAllLines(metricsJsonl, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            JsonNode n = m.readTree(line);
            if (n.path("early_stopped").asBoolean(false)) continue;
            Map<String, Object> e = new LinkedHashMap<>();
            int epoch = n.path("epoch").asInt();
            e.put("epoch", epoch);
            for (String split : new String[] {"train", "test"})
                for (String kind : new String[] {"clean", "robust"}) {
                    JsonNode pc = n.path(split).path(kind).path("per_class");
                    if (!pc.isArray() || pc.size() == 0) continue;
                    double[] v = new double[pc.size()];
                    for (int c = 0; c < v.length; c++) v[c] = pc.get(c).isNull() ? Double.NaN : pc.get(c).asDouble();
                    e.put(split + "_" + kind, ClassRobustness.of(v));
                    for (int c = 0; c < v.length; c++) rows.add(List.of(epoch, split, kind, c, names().get(c), v[c]));
                }
            epochs.add(e);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("class_names", names());
        double[] lastRobust = null;
        for (Map<String, Object> e : epochs) if (e.get("test_robust") instanceof ClassRobustness r) lastRobust = r.perClass();
        doc.put("plot_classes", plotClasses(lastRobust));
        doc.put("intervals", ClassRobustness.intervalLabels());
        doc.put("epochs", epochs);
        sink.accept(new AnalysisTable("robustness_over_epochs", doc, List.of("epoch", "split", "kind", "class_id", "class",
                "accuracy"), rows));
    }

    // ---------------------------------------------------------------- 2. flip matrix

    /** The flip-matrix attack's examples per class (null before {@link #flipMatrix()} or with galleryPerClass = 0). */
    public AdversarialExamples examples() { return examples; }

    public FlipMatrix flipMatrix() throws IOException {
        Attack a = evalPgd();
        examples = s.galleryPerClass > 0 ? new AdversarialExamples(test.numClasses(), s.galleryPerClass) : null;
        Evaluation.Predictions p = Evaluation.predict(model, test, Transforms.forEvaluation(dataset), a, null, examples,
                s.batchSize, new Rng(s.seed));
        FlipMatrix f = new FlipMatrix(test.numClasses());
        f.add(p.labels(), p.clean(), p.robust());
        List<Map<String, Object>> perClass = new ArrayList<>();
        for (int c = 0; c < f.classes(); c++) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("class", names().get(c));
            r.put("correct_before_attack", f.correctBeforeAttack(c));
            r.put("clean_errors", f.cleanErrors(c));
            r.put("flips", f.flips(c));
            List<Map<String, Object>> tops = new ArrayList<>();
            long flips = f.flips(c);
            for (int t : f.topTargets(c)) tops.add(Map.of("class", names().get(t), "count", f.count(c, t), "share",
                    (double) f.count(c, t) / flips));
            r.put("top_targets", tops.size() > 3 ? tops.subList(0, 3) : tops);
            r.put("top1_share", f.topShare(c, 1));
            r.put("top2_share", f.topShare(c, 2));
            r.put("entropy_bits", f.flipEntropy(c));
            perClass.add(r);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("attack", a.name());
        doc.put("eps", s.eps);
        doc.put("population", FlipMatrix.POPULATION);
        doc.put("class_names", names());
        doc.put("clean_errors", f.cleanErrors());
        doc.put("counts", f.counts());
        doc.put("row_normalized", f.rowNormalized());
        doc.put("per_class", perClass);
        List<List<Object>> rows = new ArrayList<>();
        double[][] norm = f.rowNormalized();
        for (int i = 0; i < f.classes(); i++) {
            for (int j = 0; j < f.classes(); j++) rows.add(List.of(names().get(i), names().get(j), f.count(i, j), norm[i][j],
                    f.cleanErrors(i)));
        }
        // count and fraction: of the true class's examples classified correctly before the attack
        sink.accept(new AnalysisTable("flip_matrix", doc, List.of("true_class", "predicted_after_attack", "count",
                "fraction_of_correct_before_attack",
                "clean_errors_of_true_class"), rows));
        return f;
    }

    // ---------------------------------------------------------------- 3. reachable classes

    public Reachability reachableClasses() throws IOException {
        Attack targeted = Pgd.pgd(s.eps, s.step, s.steps, 1);
        Reachability r = new Reachability(test.numClasses());
        Backend b = model.backend();
        // A balanced subset: K − 1 targeted attacks per example make this the most expensive analysis.
        ImageDataset data = s.reachableExamples > 0 && s.reachableExamples < test.size()
                ? SubsetDataset.balanced(test, Math.max(1, s.reachableExamples / test.numClasses()), s.seed + 3,
                        "--reachable-examples") : test;
        BatchLoader loader = new BatchLoader(data, Transforms.forEvaluation(dataset), s.batchSize, false, false, s.seed, 1);
        Rng rng = new Rng(s.seed + 7);
        try (Tape tape = new Tape(b); BatchLoader.Epoch it = loader.epoch(0)) {
            while (it.hasNext()) {
                Batch batch = it.next();
                Tensor x = tape.scratch(this, "x", batch.shape());
                b.upload(batch.images(), x);
                Tensor y = tape.scratch(this, "y", batch.size()).copyFrom(batch.labelsAsFloats());
                int[] yi = new int[batch.size()], ids = new int[batch.size()];
                for (int i = 0; i < yi.length; i++) {
                    yi[i] = batch.label(i);
                    // Ids are indices into this diagnosis's test set (data is either that set or a subset of it).
                    ids[i] = data != test ? ((SubsetDataset) data).baseIndex(batch.index(i)) : batch.index(i);
                }
                r.add(model, tape, targeted, x, y, yi, ids, rng);
            }
        }
        List<Map<String, Object>> perClass = new ArrayList<>();
        List<List<Object>> rows = new ArrayList<>();
        for (int c = 0; c < test.numClasses(); c++) {
            Map<String, Integer> sets = r.setsOf(c);
            Map<String, Integer> named = new LinkedHashMap<>();
            int single = 0;
            for (Map.Entry<String, Integer> e : sets.entrySet()) {
                String label = setName(e.getKey());
                named.put(label, e.getValue());
                if (!e.getKey().equals("none") && !e.getKey().contains("+")) single += e.getValue();
                rows.add(List.of(names().get(c), label, e.getValue(), r.cleanErrors(c)));
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("class", names().get(c));
            m.put("examples", sets.values().stream().mapToInt(Integer::intValue).sum());
            m.put("clean_errors", r.cleanErrors(c));
            m.put("reachable_only_one_class", single);
            m.put("unreachable", sets.getOrDefault("none", 0));
            m.put("sets", named);
            perClass.add(m);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("attack", "targeted " + targeted.name() + " towards each other class");
        doc.put("eps", s.eps);
        doc.put("population", FlipMatrix.POPULATION);
        doc.put("examples", r.examples());
        doc.put("per_class", perClass);
        // examples: of the class's correctly classified examples, how many reach exactly this set
        sink.accept(new AnalysisTable("reachable_classes", doc, List.of("class", "reachable_set", "examples_correct_before_attack",
                "clean_errors_of_class"), rows));
        return r;
    }

    private String setName(String key) {
        if (key.equals("none")) return "(none)";
        StringBuilder sb = new StringBuilder();
        for (String p : key.split("\\+")) sb.append(sb.length() == 0 ? "" : " + ").append(names().get(Integer.parseInt(p)));
        return sb.toString();
    }

    // ---------------------------------------------------------------- 4. class removal

    /**
     * The class-removal experiment for the given source classes (empty: the class with the most
     * examples attackable only into its dominant target set), using the run's training recipe.
     */
    public List<ClassRemoval.Result> classRemoval(Reachability reach, ImageDataset train, TrainConfig recipe,
                                                  List<Integer> sources, Path workDir) throws IOException {
        return classRemoval(reach, train, recipe, sources, null, null, workDir);
    }

    /** As above; removedOverride / controlOverride (nullable) replace the dominant targets and the automatic control. */
    public List<ClassRemoval.Result> classRemoval(Reachability reach, ImageDataset train, TrainConfig recipe,
                                                  List<Integer> sources, Set<Integer> removedOverride,
                                                  Set<Integer> controlOverride, Path workDir) throws IOException {
        ClassRemoval.Outcome o = new ClassRemoval(model.backend(), dataset, train, test, recipe, workDir, log)
                .experiment(reach, sources, removedOverride, controlOverride, s.removalMinExamples, s.seed);
        List<List<Object>> rows = new ArrayList<>();
        for (ClassRemoval.Result r : o.results()) {
            rows.add(List.of(r.sourceClass(), String.join(" + ", r.removed()), String.join(" + ", r.controlRemoved()), r.examples(),
                    r.cleanErrors(), r.robustShareAfterRemoval(), r.robustShareControl()));
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("eps", s.eps);
        doc.put("population", FlipMatrix.POPULATION);
        doc.put("note", "examples of the source class classified correctly before the attack and attackable only into the removed classes; "
                + "share robust (no adversarial example found by the strong attack) after retraining without them, and in a control that "
                + "removes as many unrelated classes");
        doc.put("source_selection", Map.of("min_examples", s.removalMinExamples,
                "examples_only_into_dominant_targets", o.candidates(), "chosen", o.chosen()));
        doc.put("results", o.results());
        doc.put("skipped", o.skipped());
        sink.accept(new AnalysisTable("class_removal", doc, List.of("source_class", "removed", "control_removed",
                "examples_correct_before_attack",
                "clean_errors_of_source", "robust_share_after_removal", "robust_share_control"), rows));
        return o.results();
    }

    // ---------------------------------------------------------------- 5. weight norms

    /**
     * Norms of the final model against its robust accuracy per class, and per epoch from the
     * epoch checkpoints and the per-class test robustness in metrics.jsonl (when a run directory is given).
     */
    public WeightNorms weightNorms(double[] robustPerClass, Path checkpointsDir, Path metricsJsonl) throws IOException {
        WeightNorms fin = WeightNorms.of(model, robustPerClass);
        List<Map<String, Object>> perEpoch = new ArrayList<>();
        List<List<Object>> rows = new ArrayList<>();
        if (checkpointsDir != null && metricsJsonl != null && Files.exists(metricsJsonl)) {
            ObjectMapper m = new ObjectMapper();
            for (String line : Files.readAllLines(metricsJsonl, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                JsonNode n = m.readTree(line);
                int epoch = n.path("epoch").asInt();
                Path w = checkpointsDir.resolve(String.format("epoch-%03d.safetensors", epoch));
                JsonNode pc = n.path("test").path("robust").path("per_class");
                if (!Files.exists(w) || !pc.isArray()) continue;
                Model at = Checkpoint.load(model.backend(), w);
                double[] rob = new double[pc.size()];
                for (int c = 0; c < rob.length; c++) rob[c] = pc.get(c).asDouble();
                WeightNorms wn = WeightNorms.of(at, rob);
                perEpoch.add(Map.of("epoch", epoch, "pearson", wn.pearson(), "spearman", wn.spearman(), "norms", wn.weightNorm(),
                        "robust", rob));
                for (int c = 0; c < rob.length; c++) rows.add(List.of(epoch, names().get(c), wn.weightNorm()[c], wn.bias()[c], rob[c]));
            }
        }
        for (int c = 0; c < robustPerClass.length; c++) rows.add(List.of("final", names().get(c), fin.weightNorm()[c],
                fin.bias()[c], robustPerClass[c]));
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("class_names", names());
        doc.put("final", fin);
        doc.put("per_epoch", perEpoch);
        sink.accept(new AnalysisTable("weight_norms", doc, List.of("epoch", "class", "weight_norm", "bias", "robust_accuracy"), rows));
        return fin;
    }

    // ---------------------------------------------------------------- 6. attack-strength ladder

    public record Rung(String attack, double overall, double[] perClass) {}

    /** The ladder's reference rung: the per-class robustness every other analysis is compared with. */
    public static final String REFERENCE_RUNG = "PGD-20";

    /** The rung of that attack name (e.g. {@link #REFERENCE_RUNG}). */
    public static Rung rung(List<Rung> ladder, String attack) {
        for (Rung r : ladder) if (r.attack().equals(attack)) return r;
        throw new IllegalArgumentException("the ladder has no " + attack + " rung (" + ladder.stream().map(Rung::attack).toList() + ")");
    }

    public List<Rung> attackLadder(Model surrogate) throws IOException {
        List<Attack> attacks = new ArrayList<>(List.of(Pgd.fgsm(s.eps), Pgd.pgd(s.eps, s.step, 10, 1), Pgd.pgd(s.eps, s.step, 20, 1)));
        if (s.ladderPgd100) attacks.add(Pgd.pgd(s.eps, s.step / 4, 100, 1));
        attacks.add(Pgd.cw(s.eps, s.step, 20, 50f));
        if (test.numClasses() >= 3) {
            attacks.add(new Apgd(s.eps, 20, Apgd.Loss.CROSS_ENTROPY));
            attacks.add(new Apgd(s.eps, 20, Apgd.Loss.DLR));
        }
        if (surrogate != null) attacks.add(new TransferAttack(Pgd.pgd(s.eps, s.step, 20, 1), surrogate));
        attacks.add(new SquareAttack(s.eps, s.squareQueries));
        if (s.ladderAutoAttack) attacks.add(AutoAttack.standard(s.eps));
        List<Rung> rungs = new ArrayList<>();
        List<List<Object>> rows = new ArrayList<>();
        ClassAccuracy clean = null;
        for (Attack a : attacks) {
            long t0 = System.nanoTime();
            ClassAccuracy[] both = Evaluation.run(model, test, Transforms.forEvaluation(dataset), a, s.batchSize, new Rng(s.seed));
            if (clean == null) {
                clean = both[0];
                for (int c = 0; c < clean.classes(); c++) rows.add(List.of("clean", names().get(c), clean.perClass()[c]));
            }
            ClassAccuracy acc = both[1];
            rungs.add(new Rung(a.name(), acc.overall(), acc.perClass()));
            for (int c = 0; c < acc.classes(); c++) rows.add(List.of(a.name(), names().get(c), acc.perClass()[c]));
            log.printf(Locale.ROOT, "  %-28s robust %.4f (%.0f s)%n", a.name(), acc.overall(), (System.nanoTime() - t0) / 1e9);
        }
        // Per class: drop from the weakest rung (FGSM) to the strongest (lowest accuracy for that class among white-box rungs).
        int k = test.numClasses();
        double[] drop = new double[k], robustness = rung(rungs, REFERENCE_RUNG).perClass();
        for (int c = 0; c < k; c++) {
            double min = Double.POSITIVE_INFINITY;
            for (Rung r : rungs) min = Math.min(min, r.perClass()[c]);
            drop[c] = rungs.get(0).perClass()[c] - min;
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("eps", s.eps);
        doc.put("norm", "linf");
        doc.put("robust_definition", Evaluation.ROBUST_DEFINITION);
        doc.put("class_names", names());
        doc.put("clean", new Rung("clean", clean.overall(), clean.perClass()));
        doc.put("rungs", rungs);
        doc.put("drop_weakest_to_strongest", drop);
        doc.put("drop_vs_pgd20_robustness", Map.of("pearson", Correlation.pearson(drop, robustness), "spearman",
                Correlation.spearman(drop, robustness)));
        sink.accept(new AnalysisTable("attack_ladder", doc, List.of("attack", "class", "robust_accuracy"), rows));
        return rungs;
    }

    // ---------------------------------------------------------------- 7. Temperature-PGD sweep

    public List<Rung> temperatureSweep() throws IOException {
        List<Rung> rows = new ArrayList<>();
        List<List<Object>> csv = new ArrayList<>();
        for (float t : s.temperatures) {
            Attack a = Pgd.temperaturePgd(s.eps, s.step, s.steps, t);
            ClassAccuracy acc = Evaluation.run(model, test, Transforms.forEvaluation(dataset), a, s.batchSize, new Rng(s.seed))[1];
            rows.add(new Rung(a.name(), acc.overall(), acc.perClass()));
            for (int c = 0; c < acc.classes(); c++) csv.add(List.of(t, names().get(c), acc.perClass()[c]));
            csv.add(List.of(t, "(overall)", acc.overall()));
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("eps", s.eps);
        doc.put("temperatures", s.temperatures);
        doc.put("class_names", names());
        doc.put("rows", rows);
        sink.accept(new AnalysisTable("temperature_pgd", doc, List.of("temperature", "class", "robust_accuracy"), csv));
        return rows;
    }
}
