package io.classwise.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CFA — Class-wise Calibrated Fair Adversarial Training (Wei, Wang, Guo, Wang, CVPR 2023), on a PGD-AT or a
 * TRADES base, from the last epoch's per-class training adversarial accuracy A_k (right on the adversarial example, as the
 * authors count it; Classwise's robust accuracy also requires the clean prediction):
 * <ul>
 *   <li>CCM (class-wise calibrated margin): class k trains at ε_k = (λ₁ + A_k)·ε, the step unchanged — a class
 *       that is hard to make robust gets the smaller budget, the paper's finding;</li>
 *   <li>CCR (class-wise calibrated regularisation, TRADES base): the loss is Σ_i ((1 − β_{y_i}) CE_i + β_{y_i} KL_i)/N
 *       with β_k = (λ₂ + A_k)β / (1 + (λ₂ + A_k)β); before calibration every class has β/(1 + β);</li>
 *   <li>FAWA: the run ends with an exponential moving average of the epochs whose worst-class validation robust
 *       accuracy reaches a threshold ({@link FairWeightAverage}).</li>
 * </ul>
 * Calibration starts after {@code cfaBegin} epochs (10 of 200 in the paper).
 */
final class CfaPolicy implements ClassPolicy {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TrainConfig cfg;
    private final int k, begin;
    private final boolean trades;
    private final FairWeightAverage fawa;
    private double[] trainRobust; // A_k of the last epoch; null before the first
    private double lastWorstValidation = Double.NaN;
    private boolean lastAveraged;

    CfaPolicy(TrainConfig cfg, int classes) {
        this.cfg = cfg;
        this.k = classes;
        this.begin = cfg.cfaBegin > 0 ? cfg.cfaBegin : Math.max(1, (int) Math.round(cfg.epochs * 0.05));
        this.trades = cfg.fairBase.equals("trades");
        this.fawa = new FairWeightAverage(cfg.fawaDecay, cfg.fawaThreshold);
    }

    int begin() { return begin; }

    @Override public boolean needsValidation() { return true; }

    @Override
    public ClassPlan beforeEpoch(int epoch, Evidence evidence) {
        boolean calibrated = epoch > begin && trainRobust != null;
        float[] eps = null, step = null, clean = null, robust = null;
        if (calibrated) {
            eps = new float[k];
            step = new float[k];
            for (int c = 0; c < k; c++) {
                eps[c] = (float) Math.min(1, (cfg.cfaLambdaEps + a(c)) * cfg.eps);
                step[c] = (float) cfg.trainStep;
            }
        }
        if (trades) {
            clean = new float[k];
            robust = new float[k];
            for (int c = 0; c < k; c++) {
                double r = calibrated ? (cfg.cfaLambdaBeta + a(c)) * cfg.beta : cfg.beta;
                double betaK = r / (1 + r);
                clean[c] = (float) (1 - betaK);
                robust[c] = (float) (cfg.beta > 0 ? betaK / cfg.beta : 0); // the objective multiplies the KL weight by β
            }
        }
        return new ClassPlan(eps, step, clean, robust, false);
    }

    /** A_k, with NaN (a class without training examples) read as 0. */
    private double a(int c) { return Double.isNaN(trainRobust[c]) ? 0 : trainRobust[c]; }

    /** The authors' A_k counts an example when its adversarial example is classified correctly, whatever the clean prediction. */
    @Override public boolean calibratesOnAdversarialAccuracy() { return true; }

    @Override
    public void afterEpoch(int epoch, ClassAccuracy trainClean, ClassAccuracy trainRobust, double[][] probabilities, Evidence evidence) {
        this.trainRobust = trainRobust.perClass();
        double worst = Double.POSITIVE_INFINITY;
        for (double v : evidence.validation()[1].perClass()) if (!Double.isNaN(v)) worst = Math.min(worst, v);
        lastWorstValidation = worst;
        lastAveraged = fawa.offer(evidence.model(), worst);
    }

    @Override public FairWeightAverage finalAverage() { return fawa; }

    @Override
    public ObjectNode state() {
        ObjectNode o = JSON.createObjectNode();
        o.put("policy", "cfa");
        o.put("base", cfg.fairBase);
        o.put("begin", begin);
        if (trainRobust != null) o.set("train_robust", ClassPolicy.json(trainRobust));
        ObjectNode f = o.putObject("fawa");
        f.put("threshold", fawa.threshold());
        f.put("averaged", fawa.averaged());
        f.put("skipped", fawa.skipped());
        if (!Double.isNaN(lastWorstValidation)) {
            f.put("worst_class_validation_robust", lastWorstValidation);
            f.put("this_epoch_averaged", lastAveraged);
        }
        return o;
    }

    @Override
    public void restore(JsonNode s) {
        if (s.path("train_robust").isArray()) trainRobust = ClassPolicy.array(s, "train_robust", k);
        fawa.restore(null, s.path("fawa").path("averaged").asInt(0), s.path("fawa").path("skipped").asInt(0));
    }

    @Override
    public Map<String, float[]> tensors() {
        Map<String, float[]> t = new LinkedHashMap<>();
        if (fawa.started()) for (Map.Entry<String, float[]> e : fawa.average().entrySet()) t.put("fawa." + e.getKey(), e.getValue());
        return t;
    }

    @Override
    public void restoreTensors(Map<String, float[]> tensors) {
        Map<String, float[]> avg = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : tensors.entrySet()) {
            if (e.getKey().startsWith("fawa.")) avg.put(e.getKey().substring(5), e.getValue());
        }
        if (!avg.isEmpty()) fawa.restore(avg, fawa.averaged(), fawa.skipped());
        else if (fawa.averaged() > 0) throw new IllegalArgumentException("the saved CFA state averaged " + fawa.averaged()
                + " epochs but holds no FAWA weights");
    }
}
