package io.classwise.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs set side by side, class by class: per run and per attack the {@link RobustFairness} of its final
 * model on one common test subset, the clean accuracy per class, the PGD flip matrix (row-normalised, on
 * the examples classified correctly before the attack), and the per-class budgets/weights a class-aware
 * method used over its epochs. What {@code compare} computes and the report draws.
 *
 * @param classNames  shared by every run
 * @param attacks     the attacks' names, in order (PGD-20 first)
 * @param baseline    index of the run the others are compared with
 */
public record RunComparison(List<String> classNames, List<String> attacks, float eps, int examples, int baseline, List<Run> runs) {

    /**
     * One run: its name (the directory's), method, clean accuracy per class, the robust-fairness summary per
     * attack (same order as {@link RunComparison#attacks()}), the PGD flip matrix, and its plans over epochs.
     */
    public record Run(String name, String path, String method, double[] clean, List<RobustFairness> robust, double[][] flips,
                      List<EpochPlan> plans) {}

    /** What a class-aware method used in one epoch (arrays per class; null where the method sets no such thing). */
    public record EpochPlan(int epoch, double[] eps, double[] cleanWeights, double[] robustWeights) {}

    /** The per-class change of run r against the baseline under attack a (robust accuracy difference). */
    public double[] changeAgainstBaseline(int r, int a) {
        double[] mine = runs.get(r).robust().get(a).perClass(), base = runs.get(baseline).robust().get(a).perClass();
        double[] d = new double[mine.length];
        for (int c = 0; c < d.length; c++) d[c] = mine[c] - base[c];
        return d;
    }

    /** The per-class plans recorded in a run's metrics.jsonl (empty for a method without one, or no file). */
    public static List<EpochPlan> readPlans(Path metrics) throws IOException {
        List<EpochPlan> out = new ArrayList<>();
        if (!Files.exists(metrics)) return out;
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(metrics)) {
            if (line.isBlank()) continue;
            JsonNode n = json.readTree(line);
            if (n.path("early_stopped").asBoolean(false)) continue;
            double[] eps = doubles(n.path("class_eps")), cw = doubles(n.path("class_clean_weights")), rw = doubles(n.path("class_weights"));
            if (eps != null || cw != null || rw != null) out.add(new EpochPlan(n.path("epoch").asInt(), eps, cw, rw));
        }
        return out;
    }

    private static double[] doubles(JsonNode a) {
        if (!a.isArray()) return null;
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).asDouble();
        return v;
    }
}
