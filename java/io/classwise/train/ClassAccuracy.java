package io.classwise.train;

/** Correct / total counts per class, accumulated over batches. */
public final class ClassAccuracy {
    private final long[] correct, total;

    public ClassAccuracy(int classes) {
        correct = new long[classes];
        total = new long[classes];
    }

    public void add(int[] labels, int[] predictions) {
        for (int i = 0; i < labels.length; i++) {
            total[labels[i]]++;
            if (predictions[i] == labels[i]) correct[labels[i]]++;
        }
    }

    public int classes() { return total.length; }

    public long total() {
        long s = 0;
        for (long t : total) s += t;
        return s;
    }

    public double overall() {
        long c = 0;
        for (long v : correct) c += v;
        long t = total();
        return t == 0 ? Double.NaN : (double) c / t;
    }

    /** Accuracy of each class (NaN for a class with no examples). */
    public double[] perClass() {
        double[] a = new double[total.length];
        for (int k = 0; k < a.length; k++) a[k] = total[k] == 0 ? Double.NaN : (double) correct[k] / total[k];
        return a;
    }

    public long[] counts() { return total.clone(); }

    /** The class with the lowest accuracy among those with examples; −1 when none has any. */
    public int worstClass() {
        double[] a = perClass();
        int worst = -1;
        for (int k = 0; k < a.length; k++) if (!Double.isNaN(a[k]) && (worst < 0 || a[k] < a[worst])) worst = k;
        return worst;
    }

    /** Best minus worst class accuracy (classes without examples left out); NaN when none has any. */
    public double gap() {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double v : perClass()) if (!Double.isNaN(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        return lo > hi ? Double.NaN : hi - lo;
    }

    /** The mean of the per-class accuracies: every class weighs the same, whatever its number of examples. */
    public double classAverage() {
        double sum = 0;
        int n = 0;
        for (double v : perClass()) if (!Double.isNaN(v)) { sum += v; n++; }
        return n == 0 ? Double.NaN : sum / n;
    }
}
