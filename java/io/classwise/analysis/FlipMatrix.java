package io.classwise.analysis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Where each class's examples go under attack, on the study's population: the examples the model
 * classifies correctly before the attack. counts[i][j] = such examples of true class i predicted as j
 * after the attack (the diagonal holds the robust ones). An example already misclassified on the clean
 * image is not a flip the attack caused; it is counted apart ({@link #cleanErrors}). Per class: the top
 * target classes, the share of its flips taken by the top-1 and top-2 targets, and the entropy of its
 * flip distribution, which shows classes that can only be attacked into a few semantically close classes.
 */
public final class FlipMatrix {
    /** Said in the JSON, the CSV and the report beside the numbers. */
    public static final String POPULATION = "test examples classified correctly before the attack; clean errors counted separately";

    private final long[][] counts;
    private final long[] cleanErrors;

    public FlipMatrix(int classes) {
        counts = new long[classes][classes];
        cleanErrors = new long[classes];
    }

    /** Adds examples given their labels, clean predictions and predictions after the attack. */
    public void add(int[] labels, int[] cleanPredictions, int[] predictionsAfterAttack) {
        for (int i = 0; i < labels.length; i++) {
            if (cleanPredictions[i] != labels[i]) cleanErrors[labels[i]]++;
            else counts[labels[i]][predictionsAfterAttack[i]]++;
        }
    }

    /** Adds counted examples of true class i: row[j] predicted j after the attack, cleanErrors misclassified before it. */
    public void addCounts(int i, long[] row, long cleanErrors) {
        for (int j = 0; j < row.length; j++) counts[i][j] += row[j];
        this.cleanErrors[i] += cleanErrors;
    }

    /** Examples of class i that the model already got wrong before the attack (not in the matrix). */
    public long cleanErrors(int i) { return cleanErrors[i]; }

    public long[] cleanErrors() { return cleanErrors.clone(); }

    /** Examples of class i in the matrix (classified correctly before the attack). */
    public long correctBeforeAttack(int i) { return Arrays.stream(counts[i]).sum(); }

    public int classes() { return counts.length; }

    public long count(int from, int to) { return counts[from][to]; }

    public long[][] counts() {
        long[][] c = new long[counts.length][];
        for (int i = 0; i < c.length; i++) c[i] = counts[i].clone();
        return c;
    }

    /** Row-normalised: the fraction of class i's correctly classified examples predicted as j after the attack. */
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
