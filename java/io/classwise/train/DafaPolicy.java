package io.classwise.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * DAFA — Distance-Aware Fair Adversarial training (Lee, Lee, Jang, Park, Bae, Yoon, ICLR 2024). The study's
 * finding made into a defense: a class's adversarial examples go to its similar classes, so robustness is
 * traded between similar classes, not between hard and easy ones. During the warm-up epoch the mean softmax
 * of each class's adversarial training examples gives p_i(j), how much class i looks like class j to the
 * model. Then every class starts at weight 1 and, for each other class j, moves by λ·p_i(j)·p_j(j): up when
 * i is the weaker of the two (p_i(i) < p_j(j)), down when it is the stronger — weight flows from a class to
 * its similar, weaker classes, and the more similar, the more. From then on class k's clean loss
 * (TRADES base) or adversarial loss (PGD-AT base) is weighted by w_k, and it trains at ε_k = w_k·ε with step
 * w_k·α. Warm-up: epoch 70 of 110 in the paper.
 */
final class DafaPolicy implements ClassPolicy {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TrainConfig cfg;
    private final int k, warmup;
    private final boolean trades;
    private double[] weights;       // null until the warm-up epoch ends
    private double[][] similarity;  // p_i(j) of the warm-up epoch

    DafaPolicy(TrainConfig cfg, int classes) {
        this.cfg = cfg;
        this.k = classes;
        this.warmup = cfg.dafaWarmup > 0 ? cfg.dafaWarmup : Math.max(1, (int) Math.round(cfg.epochs * 70.0 / 110));
        this.trades = cfg.fairBase.equals("trades");
    }

    int warmup() { return warmup; }

    @Override public boolean wantsAdversarialProbabilities(int epoch) { return epoch == warmup; }

    @Override
    public ClassPlan beforeEpoch(int epoch, Evidence evidence) {
        if (weights == null) return ClassPlan.UNIFORM;
        float[] w = new float[k], eps = new float[k], step = new float[k];
        for (int c = 0; c < k; c++) {
            w[c] = (float) weights[c];
            eps[c] = (float) Math.min(1, weights[c] * cfg.eps);
            step[c] = (float) Math.min(1, weights[c] * cfg.trainStep);
        }
        return trades ? new ClassPlan(eps, step, w, null, false) : new ClassPlan(eps, step, null, w, false);
    }

    @Override
    public void afterEpoch(int epoch, ClassAccuracy trainClean, ClassAccuracy trainRobust, double[][] probabilities, Evidence evidence) {
        if (epoch != warmup) return;
        if (probabilities == null) throw new IllegalStateException("DAFA's warm-up epoch collected no adversarial probabilities");
        similarity = probabilities;
        weights = weights(probabilities, cfg.dafaLambda);
    }

    /**
     * w_i = 1 + λ·Σ_{j≠i} ±p_i(j)·p_j(j), + where p_i(i) < p_j(j) (i the weaker), − otherwise; clipped at 0 (a
     * negative budget means nothing). A class without examples (NaN row) neither gives nor takes.
     */
    static double[] weights(double[][] p, double lambda) {
        int k = p.length;
        double[] w = new double[k];
        for (int i = 0; i < k; i++) {
            w[i] = 1;
            if (Double.isNaN(p[i][i])) continue;
            for (int j = 0; j < k; j++) {
                if (j == i || Double.isNaN(p[j][j])) continue;
                double move = lambda * p[i][j] * p[j][j];
                w[i] += p[i][i] < p[j][j] ? move : -move;
            }
            w[i] = Math.max(0, w[i]);
        }
        return w;
    }

    double[] classWeights() { return weights == null ? null : weights.clone(); }

    @Override
    public ObjectNode state() {
        ObjectNode o = JSON.createObjectNode();
        o.put("policy", "dafa");
        o.put("base", cfg.fairBase);
        o.put("warmup", warmup);
        o.put("lambda", cfg.dafaLambda);
        if (weights != null) o.set("weights", ClassPolicy.json(weights));
        if (similarity != null) {
            ArrayNode rows = o.putArray("similarity");
            for (double[] row : similarity) rows.add(ClassPolicy.json(row));
        }
        return o;
    }

    @Override
    public void restore(JsonNode s) {
        if (s.path("weights").isArray()) weights = ClassPolicy.array(s, "weights", k);
        JsonNode rows = s.path("similarity");
        if (rows.isArray() && rows.size() == k) {
            similarity = new double[k][];
            for (int i = 0; i < k; i++) similarity[i] = ClassPolicy.values(rows.get(i), k, "DAFA similarity row " + i);
        }
    }
}
