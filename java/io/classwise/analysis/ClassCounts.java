package io.classwise.analysis;

import io.classwise.train.Evaluation;

import java.util.Arrays;

/**
 * One evaluation as integer counts per class: examples, correct on the clean image, robust (correct on the
 * clean image and under the attack), and the flip matrix of the correctly classified ones (true class →
 * prediction after the attack). Integer sums, so shards of an evaluation add up to exactly the whole.
 *
 * @param flips (K, K): flips[i][j] = examples of class i classified correctly, predicted j after the attack
 */
public record ClassCounts(long[] total, long[] clean, long[] robust, long[][] flips) {

    public static ClassCounts of(Evaluation.Predictions p) {
        int k = p.classes();
        long[] total = new long[k], clean = new long[k], robust = new long[k];
        long[][] flips = new long[k][k];
        for (int i = 0; i < p.labels().length; i++) {
            int y = p.labels()[i];
            total[y]++;
            if (p.clean()[i] != y) continue;
            clean[y]++;
            if (p.robust() != null) {
                if (p.robust()[i] == y) robust[y]++;
                flips[y][p.adversarial()[i]]++;
            }
        }
        return new ClassCounts(total, clean, robust, flips);
    }

    /** The counts of this evaluation and another's examples together (same classes). */
    public ClassCounts plus(ClassCounts o) {
        if (o.total.length != total.length) throw new IllegalArgumentException(total.length + " classes vs " + o.total.length);
        long[][] f = new long[flips.length][];
        for (int i = 0; i < f.length; i++) f[i] = add(flips[i], o.flips[i]);
        return new ClassCounts(add(total, o.total), add(clean, o.clean), add(robust, o.robust), f);
    }

    private static long[] add(long[] a, long[] b) {
        long[] s = a.clone();
        for (int i = 0; i < s.length; i++) s[i] += b[i];
        return s;
    }

    public int classes() { return total.length; }

    public long examples() { return Arrays.stream(total).sum(); }

    /** Clean accuracy per class (NaN where a class has no example). */
    public double[] cleanAccuracy() { return ratio(clean); }

    /** Robust accuracy per class on all of the class's examples (the study's convention: clean errors are not robust). */
    public double[] robustAccuracy() { return ratio(robust); }

    private double[] ratio(long[] k) {
        double[] r = new double[k.length];
        for (int c = 0; c < k.length; c++) r[c] = total[c] == 0 ? Double.NaN : (double) k[c] / total[c];
        return r;
    }

    /** The flip matrix of these counts. */
    public FlipMatrix flipMatrix() {
        FlipMatrix m = new FlipMatrix(classes());
        for (int i = 0; i < classes(); i++) m.addCounts(i, flips[i], total[i] - clean[i]);
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClassCounts c && Arrays.equals(total, c.total) && Arrays.equals(clean, c.clean) && Arrays.equals(robust, c.robust)
                && Arrays.deepEquals(flips, c.flips);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(total) * 31 + Arrays.deepHashCode(flips); }

    @Override
    public String toString() {
        return "ClassCounts[total=" + Arrays.toString(total) + ", clean=" + Arrays.toString(clean) + ", robust=" + Arrays.toString(robust)
                + ", flips=" + Arrays.deepToString(flips) + "]";
    }
}
