package io.classwise.analysis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Summary of one vector of per-class accuracies (one epoch, clean or robust): the band between the
 * best and worst class, the gap, the spread, the worst class, and how many classes fall into each
 * 10-point interval (0–10 %, …, 90–100 %; 100 % counts in the last).
 */
public record ClassRobustness(double[] perClass, double mean, double min, double max, double gap, double std,
                              int worstClass, int bestClass, int[] intervalCounts) {

    public static ClassRobustness of(double[] perClass) {
        if (perClass.length == 0) throw new IllegalArgumentException("no classes");
        double sum = 0, min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        int worst = -1, best = -1, counted = 0;
        int[] intervals = new int[10];
        for (int k = 0; k < perClass.length; k++) {
            double v = perClass[k];
            if (Double.isNaN(v)) continue;
            counted++;
            sum += v;
            if (v < min) { min = v; worst = k; }
            if (v > max) { max = v; best = k; }
            intervals[Math.min(9, (int) Math.floor(v * 10 + 1e-9))]++;
        }
        if (counted == 0) throw new IllegalArgumentException("every class accuracy is undefined");
        double mean = sum / counted, ss = 0;
        for (double v : perClass) if (!Double.isNaN(v)) ss += (v - mean) * (v - mean);
        return new ClassRobustness(perClass.clone(), mean, min, max, max - min, Math.sqrt(ss / counted), worst, best, intervals);
    }

    /** Labels of the intervals, "0-10%" … "90-100%". */
    public static List<String> intervalLabels() {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < 10; i++) l.add((i * 10) + "-" + (i * 10 + 10) + "%");
        return l;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "mean %.3f, worst class %d (%.3f), best %d (%.3f), gap %.3f, std %.3f, intervals %s",
                mean, worstClass, min, bestClass, max, gap, std, Arrays.toString(intervalCounts));
    }

    /**
     * The classes a per-class chart shows: all when there are at most {@code n}, else the n/2 worst and
     * the n/2 best by {@code score} (ids in class order). NaN scores count as worst.
     */
    public static List<Integer> worstAndBest(double[] score, int n) {
        List<Integer> ids = new ArrayList<>();
        for (int c = 0; c < score.length; c++) ids.add(c);
        if (score.length <= n) return ids;
        ids.sort((a, b) -> Double.compare(Double.isNaN(score[a]) ? -1 : score[a], Double.isNaN(score[b]) ? -1 : score[b]));
        TreeSet<Integer> keep = new TreeSet<>(ids.subList(0, n / 2));
        keep.addAll(ids.subList(ids.size() - (n - n / 2), ids.size()));
        return new ArrayList<>(keep);
    }
}
