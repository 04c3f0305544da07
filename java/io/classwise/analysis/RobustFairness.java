package io.classwise.analysis;

import io.classwise.util.Rng;

import java.util.Arrays;

/**
 * The robust-fairness summary of one evaluation: per-class robust accuracy with a 95 % bootstrap interval,
 * and the average over classes, the worst class, the best–worst gap and the standard deviation across
 * classes, each of the first three with its own interval. The bootstrap resamples the test examples within
 * each class (stratified: every resample keeps each class's count), so the intervals say how much of a
 * difference between two runs the test set's size can tell apart.
 *
 * @param perClass   robust accuracy per class (NaN for a class without examples)
 * @param lower      per-class 2.5 % quantile of the resampled accuracies
 * @param upper      per-class 97.5 % quantile
 * @param interval   {lower, upper} of: [0] the average, [1] the worst class, [2] the gap
 */
public record RobustFairness(double[] perClass, double[] lower, double[] upper, double average, double worst, int worstClass,
                             double gap, double std, double[][] interval, int resamples) {

    public static final int RESAMPLES = 1000;

    /** From per-example labels (N) and whether each example is robust (N); {@link #RESAMPLES} resamples seeded by {@code seed}. */
    public static RobustFairness of(int[] labels, boolean[] robust, int classes, long seed) {
        return of(labels, robust, classes, RESAMPLES, seed);
    }

    public static RobustFairness of(int[] labels, boolean[] robust, int classes, int resamples, long seed) {
        if (labels.length != robust.length) throw new IllegalArgumentException(labels.length + " labels but " + robust.length + " outcomes");
        if (resamples < 10) throw new IllegalArgumentException("at least 10 bootstrap resamples, got " + resamples);
        long[] n = new long[classes], k = new long[classes];
        for (int i = 0; i < labels.length; i++) {
            n[labels[i]]++;
            if (robust[i]) k[labels[i]]++;
        }
        return ofCounts(n, k, resamples, seed);
    }

    /**
     * From per-class counts: n[c] examples of class c, k[c] of them robust. The same result as from the
     * examples themselves (the resampling only needs the counts), so merged shard counts give the same intervals.
     */
    public static RobustFairness ofCounts(long[] n, long[] k, int resamples, long seed) {
        if (n.length != k.length) throw new IllegalArgumentException(n.length + " class totals but " + k.length + " robust counts");
        if (resamples < 10) throw new IllegalArgumentException("at least 10 bootstrap resamples, got " + resamples);
        int classes = n.length;
        double[] acc = new double[classes];
        for (int c = 0; c < classes; c++) acc[c] = n[c] == 0 ? Double.NaN : (double) k[c] / n[c];
        // Resampling a class's examples with replacement: its correct count is a draw of n_c Bernoulli(k_c/n_c).
        Rng rng = new Rng(seed);
        double[][] perClassDraws = new double[classes][resamples];
        double[] avgDraws = new double[resamples], worstDraws = new double[resamples], gapDraws = new double[resamples];
        for (int r = 0; r < resamples; r++) {
            double[] a = new double[classes];
            for (int c = 0; c < classes; c++) {
                if (n[c] == 0) { a[c] = Double.NaN; perClassDraws[c][r] = Double.NaN; continue; }
                double p = (double) k[c] / n[c];
                long hits = 0;
                for (long i = 0; i < n[c]; i++) if (rng.nextDouble() < p) hits++;
                a[c] = (double) hits / n[c];
                perClassDraws[c][r] = a[c];
            }
            Summary s = summary(a);
            avgDraws[r] = s.average;
            worstDraws[r] = s.worst;
            gapDraws[r] = s.gap;
        }
        double[] lo = new double[classes], hi = new double[classes];
        for (int c = 0; c < classes; c++) {
            lo[c] = n[c] == 0 ? Double.NaN : quantile(perClassDraws[c], 0.025);
            hi[c] = n[c] == 0 ? Double.NaN : quantile(perClassDraws[c], 0.975);
        }
        Summary s = summary(acc);
        double[][] interval = {
            {quantile(avgDraws, 0.025), quantile(avgDraws, 0.975)},
            {quantile(worstDraws, 0.025), quantile(worstDraws, 0.975)},
            {quantile(gapDraws, 0.025), quantile(gapDraws, 0.975)},
        };
        return new RobustFairness(acc, lo, hi, s.average, s.worst, s.worstClass, s.gap, s.std, interval, resamples);
    }

    private record Summary(double average, double worst, int worstClass, double gap, double std) {}

    private static Summary summary(double[] a) {
        ClassRobustness r = ClassRobustness.of(a);
        return new Summary(r.mean(), r.min(), r.worstClass(), r.gap(), r.std());
    }

    /** The q-quantile by linear interpolation between order statistics (NaN entries ignored). */
    static double quantile(double[] values, double q) {
        double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).sorted().toArray();
        if (v.length == 0) return Double.NaN;
        double pos = q * (v.length - 1);
        int i = (int) Math.floor(pos);
        return i + 1 < v.length ? v[i] + (pos - i) * (v[i + 1] - v[i]) : v[i];
    }
}
