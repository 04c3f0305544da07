package io.classwise.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * FRL — Fair Robust Learning (Xu, Liu, Li, Jain, Tang: "To be Robust or to be Fair: Towards Fairness in
 * Adversarial Training", ICML 2021), on a TRADES base. Each class k carries Lagrange multipliers for two
 * fairness constraints, "its clean error exceeds the average by at most τ_clean" and "its boundary error
 * (clean-correct but attackable) exceeds the average by at most τ_boundary". Before each epoch the
 * constraints' violations γ are measured on the validation split and the multipliers move along them
 * (λ ← λ + α·γ, projected to λ ≥ 0 with Σλ ≤ limit):
 * <ul>
 *   <li>Reweight: the clean and the KL term of class k weigh 1/K + λ_k − (1/K)·Σ_j λ_j, and the batch loss is
 *       Σ_i (w⁰_{y_i} CE_i + β w¹_{y_i} KL_i) / Σ_i (w⁰_{y_i} + w¹_{y_i});</li>
 *   <li>Remargin: class k's attack budget is ε·clip(exp(2 λ²_k), 0.98, 3), λ² following the boundary violation (the step stays);</li>
 *   <li>Reweight+Remargin: both.</li>
 * </ul>
 * The weights' rate α₁ halves every {@code frlHalveEvery} epochs (40 in the authors' code).
 */
final class FrlPolicy implements ClassPolicy {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TrainConfig cfg;
    private final int k;
    private final boolean reweight, remargin;
    private double[] lambdaClean, lambdaBoundary, lambdaMargin;
    private double rateWeight;
    private double[] lastCleanViolation, lastBoundaryViolation;

    FrlPolicy(TrainConfig cfg, int classes) {
        this.cfg = cfg;
        this.k = classes;
        this.reweight = cfg.frlMode.contains("reweight");
        this.remargin = cfg.frlMode.contains("remargin");
        this.lambdaClean = new double[classes];
        this.lambdaBoundary = new double[classes];
        this.lambdaMargin = new double[classes];
        this.rateWeight = cfg.frlRateWeight;
    }

    @Override public boolean needsValidation() { return true; }

    @Override
    public ClassPlan beforeEpoch(int epoch, Evidence evidence) {
        if (epoch > 1 && epoch % cfg.frlHalveEvery == 0) rateWeight /= 2;
        ClassAccuracy[] v = evidence.validation();
        double[] clean = v[0].perClass(), robust = v[1].perClass();
        double totalCleanError = 1 - v[0].overall(), totalBoundaryError = v[0].overall() - v[1].overall();
        double[] g0 = new double[k], g1 = new double[k];
        for (int c = 0; c < k; c++) {
            // A class absent from the validation split violates nothing.
            double ce = Double.isNaN(clean[c]) ? totalCleanError : 1 - clean[c];
            double be = Double.isNaN(clean[c]) ? totalBoundaryError : clean[c] - robust[c];
            g0[c] = ce - totalCleanError - cfg.frlTauClean;
            g1[c] = be - totalBoundaryError - cfg.frlTauBoundary;
            lambdaClean[c] += rateWeight * g0[c];
            lambdaBoundary[c] += 2 * rateWeight * g1[c];
            lambdaMargin[c] += cfg.frlRateMargin * g1[c];
        }
        lambdaClean = toSimplex(lambdaClean, cfg.frlLimit);
        lambdaBoundary = toSimplex(lambdaBoundary, cfg.frlLimit);
        lastCleanViolation = g0;
        lastBoundaryViolation = g1;
        return plan();
    }

    /** The plan the current multipliers give. */
    ClassPlan plan() {
        float[] w0 = reweight ? weights(lambdaClean) : null, w1 = reweight ? weights(lambdaBoundary) : null;
        float[] eps = null, step = null;
        if (remargin) {
            eps = new float[k];
            step = new float[k];
            for (int c = 0; c < k; c++) {
                double m = Math.min(3, Math.max(0.98, Math.exp(2 * lambdaMargin[c])));
                eps[c] = (float) Math.min(1, cfg.eps * m);
                step[c] = (float) cfg.trainStep;
            }
        }
        return new ClassPlan(eps, step, w0, w1, reweight);
    }

    /** w_c = 1/K + λ_c − (1/K)·Σ_j λ_j: the weights sum to 1 and stay >= 0 while Σλ <= 1. */
    private float[] weights(double[] lambda) {
        double sum = 0;
        for (double l : lambda) sum += l;
        float[] w = new float[k];
        for (int c = 0; c < k; c++) w[c] = (float) Math.max(0, 1.0 / k + lambda[c] - sum / k);
        return w;
    }

    /** Clamps to >= 0 and, when the sum exceeds limit, rescales it to limit. */
    static double[] toSimplex(double[] lambda, double limit) {
        double[] out = new double[lambda.length];
        double sum = 0;
        for (int i = 0; i < out.length; i++) sum += out[i] = Math.max(0, lambda[i]);
        if (sum > limit) for (int i = 0; i < out.length; i++) out[i] *= limit / sum;
        return out;
    }

    double[] lambdaClean() { return lambdaClean.clone(); }

    double[] lambdaBoundary() { return lambdaBoundary.clone(); }

    double[] lambdaMargin() { return lambdaMargin.clone(); }

    @Override
    public ObjectNode state() {
        ObjectNode o = JSON.createObjectNode();
        o.put("policy", "frl");
        o.put("mode", cfg.frlMode);
        o.put("rate_weight", rateWeight);
        o.set("lambda_clean", ClassPolicy.json(lambdaClean));
        o.set("lambda_boundary", ClassPolicy.json(lambdaBoundary));
        o.set("lambda_margin", ClassPolicy.json(lambdaMargin));
        if (lastCleanViolation != null) {
            o.set("clean_violation", ClassPolicy.json(lastCleanViolation));
            o.set("boundary_violation", ClassPolicy.json(lastBoundaryViolation));
        }
        return o;
    }

    @Override
    public void restore(JsonNode s) {
        rateWeight = s.path("rate_weight").asDouble(cfg.frlRateWeight);
        lambdaClean = ClassPolicy.array(s, "lambda_clean", k);
        lambdaBoundary = ClassPolicy.array(s, "lambda_boundary", k);
        lambdaMargin = ClassPolicy.array(s, "lambda_margin", k);
    }
}
