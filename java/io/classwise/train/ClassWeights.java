package io.classwise.train;

import io.classwise.tensor.Tensor;

/**
 * Per-class loss weights: each example's loss and its logit gradient scaled by the weight of its class
 * (the plan's robust-term weights), the lever the class-aware defenses turn. Without weights nothing changes.
 */
final class ClassWeights {
    private ClassWeights() {}

    /**
     * Scales the rows of dLogits (N, K) by w_{y_i} and returns the weighted mean loss from the per-example
     * losses (N); returns {@code meanLoss} untouched when the configuration has no weights.
     */
    static double apply(Objective.Context c, Objective.Batch batch, Tensor perExample, Tensor dLogits, double meanLoss) {
        float[] w = c.plan().robustWeight();
        if (w == null) return meanLoss;
        int[] y = batch.labels();
        float[] rows = new float[y.length], losses = perExample.toArray();
        double sum = 0;
        for (int i = 0; i < y.length; i++) {
            if (y[i] >= w.length) throw new IllegalArgumentException("the class weights have " + w.length + " entries but label " + y[i] + " occurs");
            rows[i] = w[y[i]];
            sum += (double) rows[i] * losses[i];
        }
        c.model().backend().scaleRows(dLogits, c.buffers().get("classWeightRows", y.length).copyFrom(rows));
        return sum / y.length;
    }
}
