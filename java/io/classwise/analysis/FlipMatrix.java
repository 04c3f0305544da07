package io.classwise.analysis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Where each class's examples go under attack: counts[i][j] = examples of true class i predicted as j
 * after the attack (the diagonal holds the robust ones). Per class: the top target classes, the share
 * of its flips taken by the top-1 and top-2 targets, and the entropy of its flip distribution, which
 * shows classes that can only be attacked into a few semantically close classes.
 */
public final class FlipMatrix {
    private final long[][] counts;

    public FlipMatrix(int classes) { counts = new long[classes][classes]; }

    public void add(int[] labels, int[] predictionsAfterAttack) {
        for (int i = 0; i < labels.length; i++) counts[labels[i]][predictionsAfterAttack[i]]++;
    }

    public int classes() { return counts.length; }

    public long count(int from, int to) { return counts[from][to]; }

    public long[][] counts() {
        long[][] c = new long[counts.length][];
        for (int i = 0; i < c.length; i++) c[i] = counts[i].clone();
        return c;
    }

    /** Row-normalised: the fraction of class i's examples predicted as j after the attack. */
    public double[][] rowNormalized() {
        double[][] r = new double[counts.length][counts.length];
        for (int i = 0; i < counts.length; i++) {
            long total = Arrays.stream(counts[i]).sum();
            for (int j = 0; j < counts.length; j++) r[i][j] = total == 0 ? 0 : (double) counts[i][j] / total;
        }
        return r;
    }

    /** Number of class i's examples that were flipped (predicted as another class). */
    public long flips(int i) { return Arrays.stream(counts[i]).sum() - counts[i][i]; }

    /** Other classes ordered by how many of class i's flips they receive (most first, ties by id). */
    public List<Integer> topTargets(int i) {
        List<Integer> t = new ArrayList<>();
        for (int j = 0; j < counts.length; j++) if (j != i && counts[i][j] > 0) t.add(j);
        t.sort(Comparator.comparingLong((Integer j) -> -counts[i][j]).thenComparingInt(j -> j));
        return t;
    }

    /** Share of class i's flips going to its top-n targets (NaN when nothing flipped). */
    public double topShare(int i, int n) {
        long f = flips(i);
        if (f == 0) return Double.NaN;
        long top = 0;
        List<Integer> t = topTargets(i);
        for (int r = 0; r < Math.min(n, t.size()); r++) top += counts[i][t.get(r)];
        return (double) top / f;
    }

    /** Entropy (bits) of the distribution of class i's flips over target classes (NaN when nothing flipped). */
    public double flipEntropy(int i) {
        long f = flips(i);
        if (f == 0) return Double.NaN;
        double h = 0;
        for (int j = 0; j < counts.length; j++) {
            if (j == i || counts[i][j] == 0) continue;
            double p = (double) counts[i][j] / f;
            h -= p * Math.log(p) / Math.log(2);
        }
        return h;
    }
}
