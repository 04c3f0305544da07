package io.classwise.train;

/**
 * The mean softmax output per true class over an epoch: row i is the average probability vector the model
 * gave to the examples of class i (DAFA's class similarity when the examples are adversarial: p_i(j) is
 * how much class i's adversarial examples look like class j to the model).
 */
final class ClassProbabilities {
    private final double[][] sums;
    private final long[] counts;

    ClassProbabilities(int classes) {
        sums = new double[classes][classes];
        counts = new long[classes];
    }

    /** Adds a batch: labels (N), logits (N × K) row-major. */
    void add(int[] labels, float[] logits) {
        int k = counts.length;
        if (logits.length != labels.length * k) throw new IllegalArgumentException("expected " + labels.length + " × " + k + " logits");
        double[] p = new double[k];
        for (int i = 0; i < labels.length; i++) {
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (int j = 0; j < k; j++) max = Math.max(max, logits[i * k + j]);
            for (int j = 0; j < k; j++) z += p[j] = Math.exp(logits[i * k + j] - max);
            for (int j = 0; j < k; j++) sums[labels[i]][j] += p[j] / z;
            counts[labels[i]]++;
        }
    }

    /** The K × K matrix of mean probabilities; a class without examples has a row of NaN. */
    double[][] means() {
        int k = counts.length;
        double[][] m = new double[k][k];
        for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) m[i][j] = counts[i] == 0 ? Double.NaN : sums[i][j] / counts[i];
        return m;
    }
}
