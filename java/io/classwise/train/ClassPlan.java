package io.classwise.train;

import io.classwise.attack.Pgd;

/**
 * What a class-aware method sets per class for one epoch (arrays indexed by class; null = the uniform
 * default): the training attack's ε and step, the weight of each example's clean loss term and of its
 * robust term (adversarial cross-entropy for PGD-AT, the KL term for TRADES), and whether the batch
 * loss is normalised by the sum of the weights (FRL) rather than by the batch size.
 *
 * <p>The objectives compute, for a batch of N examples with labels y,
 * PGD-AT: Σ_i r_{y_i}·CE(f(x′_i), y_i) / D; TRADES: Σ_i (c_{y_i}·CE(f(x_i), y_i) + β·r_{y_i}·KL_i) / D,
 * with D = N, or Σ_i (c_{y_i} + r_{y_i}) when normalised. With every field null this is plain PGD-AT / TRADES, bit for bit.
 */
public record ClassPlan(float[] eps, float[] step, float[] cleanWeight, float[] robustWeight, boolean normalizeByWeights) {

    /** Nothing per class: the method as published without class awareness. */
    public static final ClassPlan UNIFORM = new ClassPlan(null, null, null, null, false);

    public ClassPlan {
        eps = copy(eps);
        step = copy(step);
        cleanWeight = copy(cleanWeight);
        robustWeight = copy(robustWeight);
        if (step != null && eps == null) throw new IllegalArgumentException("a step per class needs an ε per class");
        int k = -1;
        for (float[] a : new float[][] {eps, step, cleanWeight, robustWeight}) {
            if (a == null) continue;
            if (k >= 0 && a.length != k) throw new IllegalArgumentException("per-class arrays of different lengths (" + k + " and " + a.length + ")");
            k = a.length;
            for (float v : a) if (!(v >= 0) || !Float.isFinite(v)) throw new IllegalArgumentException("per-class values must be finite and >= 0, got " + v);
        }
    }

    /** The static budgets and weights of a configuration (TrainConfig.classEps / classWeights; the weights act on the robust term). */
    public static ClassPlan fromConfig(TrainConfig cfg) {
        return new ClassPlan(cfg.classEpsArray(), null, null, cfg.classWeightsArray(), false);
    }

    /** The training attack with this plan's per-class ε and step; the attack itself when the plan sets no budgets. */
    Pgd applyTo(Pgd attack) { return eps == null ? attack : attack.withBudgetsPerClass(eps, step); }

    public boolean uniform() { return eps == null && cleanWeight == null && robustWeight == null; }

    /** w[c], or 1 where the array is null. */
    static float weight(float[] w, int c) { return w == null ? 1f : w[c]; }

    private static float[] copy(float[] a) { return a == null ? null : a.clone(); }
}
