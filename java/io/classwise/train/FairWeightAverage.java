package io.classwise.train;

import io.classwise.nn.Model;
import io.classwise.nn.StateDict;
import io.classwise.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CFA's fairness-aware weight averaging (FAWA, Wei et al. 2023): an exponential moving average of the
 * weights (parameters and batch-norm statistics) over the epochs whose worst-class robust accuracy on the
 * validation split reaches a threshold; an epoch below it is left out, so a checkpoint that got unfair does
 * not enter the average. The first epoch that passes starts the average. Kept in host memory.
 */
final class FairWeightAverage {
    private final double decay, threshold;
    private Map<String, float[]> average; // state-dict name → values; null until an epoch passes
    private int averaged, skipped;

    FairWeightAverage(double decay, double threshold) {
        if (!(decay >= 0 && decay <= 1)) throw new IllegalArgumentException("FAWA decay must be in [0, 1], got " + decay);
        this.decay = decay;
        this.threshold = threshold;
    }

    /** Offers the model after an epoch; returns whether it entered the average. */
    boolean offer(Model model, double worstClassValidationRobust) {
        if (!(worstClassValidationRobust >= threshold)) {
            skipped++;
            return false;
        }
        Map<String, float[]> now = weights(model);
        if (average == null) {
            average = now;
        } else {
            for (Map.Entry<String, float[]> e : average.entrySet()) {
                float[] a = e.getValue(), w = now.get(e.getKey());
                for (int i = 0; i < a.length; i++) a[i] = (float) (decay * a[i] + (1 - decay) * w[i]);
            }
        }
        averaged++;
        return true;
    }

    boolean started() { return average != null; }

    int averaged() { return averaged; }

    int skipped() { return skipped; }

    double threshold() { return threshold; }

    /** The averaged weights by state-dict name (null before the first epoch passed). */
    Map<String, float[]> average() { return average; }

    void restore(Map<String, float[]> average, int averaged, int skipped) {
        this.average = average;
        this.averaged = averaged;
        this.skipped = skipped;
    }

    /** Writes the average into the model's parameters and buffers. */
    void loadInto(Model model) {
        if (average == null) throw new IllegalStateException("no epoch reached the FAWA threshold " + threshold);
        for (Map.Entry<String, StateDict.Entry> e : model.stateDict().entries().entrySet()) {
            if (e.getValue() instanceof StateDict.FloatEntry f) f.tensor().copyFrom(average.get(e.getKey()));
        }
    }

    private static Map<String, float[]> weights(Model model) {
        Map<String, float[]> w = new LinkedHashMap<>();
        for (Map.Entry<String, StateDict.Entry> e : model.stateDict().entries().entrySet()) {
            if (e.getValue() instanceof StateDict.FloatEntry f) {
                Tensor t = f.tensor();
                w.put(e.getKey(), t.toArray());
            }
        }
        return w;
    }
}
