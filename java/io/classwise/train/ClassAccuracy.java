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
}
