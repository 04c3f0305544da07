package io.classwise.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.nn.LrSchedule;
import io.classwise.tensor.Precision;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Everything that defines a training run. Written to {@code config.json} in the run directory (the
 * resolved configuration, after preset and flags) and read back by {@code --resume}.
 */
public final class TrainConfig {
    public String dataset = "fashion-mnist";
    /** "embedded" uses the Fashion-MNIST subset inside the jar. */
    public String source = "files";
    public String architecture = "small-cnn";
    public String method = "pgd-at";
    public int epochs = 10;
    public int batchSize = 128;
    public double lr = 0.1;
    /** "multistep:75,90" (×0.1 at each), "cosine", "cyclic" or "constant". */
    public String schedule = "multistep:75,90";
    public double momentum = 0.9;
    public double weightDecay = 5e-4;
    public boolean nesterov = false;
    public double eps = 0.1;
    public double trainStep = 0.01;
    public int trainSteps = 10;
    public double evalStep = 0.01;
    public int evalSteps = 20;
    /** TRADES / MART trade-off β. */
    public double beta = 6.0;
    /** HE: cosine-head scale s and margin m. */
    public double heScale = 15.0;
    public double heMargin = 0.2;
    public long seed = 0;
    /** Test examples evaluated (clean and PGD) per epoch, balanced across classes; 0 = the whole test set. */
    public int evalExamples = 0;
    /** Training examples used per epoch, balanced across classes; 0 = all. */
    public int trainExamples = 0;
    public int threads = 0;
    public String device = "auto";
    /** fp32, or bf16 (convolutions and GEMMs on bf16 operands, fp32 accumulation and master weights). */
    public String precision = "fp32";
    /** How the CPU multiplies in bf16: auto, amx, avx512-bf16, portable or emulated (the sums' order differs between them). */
    public String bf16Kernel = "auto";
    /**
     * A checkpoint the run starts from instead of a random initialisation (empty: none), e.g. FRL's fine-tuning of a
     * pre-trained model; initSha256 is its SHA-256, recorded when the run starts (the config digest then covers it).
     */
    public String init = "";
    /**
     * Classes left out of training and evaluation (ids), the study's class-removal experiment as a run of its own
     * (e.g. a sweep's grid dimension); recorded in every checkpoint (classwise.removed_classes), so that attack,
     * evaluate and compare evaluate it on the same classes. The model keeps all outputs.
     */
    public List<Integer> removeClasses = new ArrayList<>();
    public String initSha256 = "";
    /** Where the preset's numbers come from. */
    public String presetSource = "";
    /**
     * Per-class training budgets (one ε per class, in class order) for class-aware training; empty: eps for
     * every class. The training attack gathers each example's ε from its label (Pgd.withEpsPerClass).
     */
    public List<Double> classEps = new ArrayList<>();
    /** Per-class loss weights (one per class; empty: all 1): each example's loss and gradient are scaled by its class's weight. */
    public List<Double> classWeights = new ArrayList<>();

    /**
     * FRL (Xu et al. 2021), on a TRADES base: "reweight", "remargin" or "reweight-remargin"; the tolerated excess
     * of a class's clean and boundary error over the average (τ), the multipliers' rates (α₁ for the weights,
     * halved every frlHalveEvery epochs; α₂ for the margins) and the bound on each weight multiplier vector's sum.
     * Defaults: the authors' code.
     */
    public String frlMode = "reweight-remargin";
    public double frlTauClean = 0.1;
    public double frlTauBoundary = 0.1;
    public double frlRateWeight = 0.05;
    public double frlRateMargin = 0.1;
    public double frlLimit = 0.5;
    public int frlHalveEvery = 40;
    /** Share of each class held out of the training set as the validation split that FRL and CFA's FAWA measure on. */
    public double validationFraction = 0.02;
    /** The base objective of CFA and DAFA: "trades" or "pgd-at". */
    public String fairBase = "trades";
    /**
     * CFA (Wei et al. 2023): CCM's λ₁ (class k trains at ε_k = (λ₁ + A_k)·ε, A_k its training robust accuracy of
     * the last epoch), CCR's λ₂ (TRADES base: β_k = (λ₂ + A_k)β / (1 + (λ₂ + A_k)β)), the epochs before the
     * calibration starts (0: 5 % of the epochs, as 10 of the paper's 200), and FAWA's decay and worst-class threshold.
     */
    public double cfaLambdaEps = 0.5;
    public double cfaLambdaBeta = 0.5;
    public int cfaBegin = 0;
    public double fawaDecay = 0.88;
    public double fawaThreshold = 0.24;
    /**
     * DAFA (Lee et al. 2024): λ, and the warm-up epoch after which the class weights are computed from the
     * classes' similarity (0: 70/110 of the epochs, the paper's schedule).
     */
    public double dafaLambda = 1.0;
    public int dafaWarmup = 0;

    /** classEps as floats, or null when one ε serves every class. */
    public float[] classEpsArray() {
        if (classEps == null || classEps.isEmpty()) return null;
        float[] e = new float[classEps.size()];
        for (int i = 0; i < e.length; i++) e[i] = classEps.get(i).floatValue();
        return e;
    }

    /** classWeights as floats, or null when every class weighs 1. */
    public float[] classWeightsArray() {
        if (classWeights == null || classWeights.isEmpty()) return null;
        float[] w = new float[classWeights.size()];
        for (int i = 0; i < w.length; i++) w[i] = classWeights.get(i).floatValue();
        return w;
    }

    public Method methodEnum() { return Method.parse(method); }

    /** An independent copy (through the same JSON mapping as config.json, so every field comes along). */
    public TrainConfig copy() {
        ObjectMapper m = new ObjectMapper();
        return m.convertValue(m.valueToTree(this), TrainConfig.class);
    }

    /** Learning rate at fractional epoch t. */
    public LrSchedule lrSchedule() {
        String s = schedule.toLowerCase(Locale.ROOT);
        if (s.equals("constant")) return LrSchedule.constant(lr);
        if (s.equals("cosine")) return LrSchedule.cosine(lr, 0, epochs);
        if (s.equals("cyclic")) return LrSchedule.cyclic(lr, epochs);
        if (s.startsWith("multistep:")) {
            try {
                int[] ms = Arrays.stream(s.substring(10).split(",")).map(String::trim).filter(x -> !x.isEmpty()).mapToInt(Integer::parseInt).toArray();
                return LrSchedule.multiStep(lr, 0.1, ms);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--schedule multistep needs epoch numbers, e.g. multistep:75,90; got '"
                        + schedule + "'");
            }
        }
        throw new IllegalArgumentException("--schedule must be multistep:E1,E2,..., cosine, cyclic or constant; got '" + schedule + "'");
    }

    /** Largest batch: beyond it even 28×28 images and their activations outgrow any machine's memory. */
    public static final int MAX_BATCH = 65_536;

    public void validate() {
        for (int k : removeClasses) if (k < 0) throw new IllegalArgumentException("removeClasses must hold class ids >= 0, got " + k);
        if (new java.util.HashSet<>(removeClasses).size() != removeClasses.size()) throw new IllegalArgumentException("removeClasses names a "
                + "class twice: " + removeClasses);
        methodEnum();
        Precision.parse(precision);
        io.classwise.tensor.Backends.checkBf16Kernel(bf16Kernel);
        lrSchedule();
        if (epochs < 1 || epochs > 100_000) throw new IllegalArgumentException("--epochs must be in 1..100000, got " + epochs);
        if (batchSize < 1 || batchSize > MAX_BATCH) throw new IllegalArgumentException("--batch-size must be in 1.." + MAX_BATCH
                + ", got " + batchSize);
        if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("--lr must be a finite number > 0, got " + lr);
        // Pixels are in [0, 1]: an ℓ∞ budget above 1 allows any image at all.
        if (!(eps >= 0 && eps <= 1)) throw new IllegalArgumentException("--eps must be in [0, 1] (pixel units, e.g. 0.0313725 for 8/255), got " + eps);
        if (!(trainStep >= 0 && trainStep <= 1)) throw new IllegalArgumentException("--train-step must be in [0, 1], got " + trainStep);
        if (!(evalStep >= 0 && evalStep <= 1)) throw new IllegalArgumentException("--eval-step must be in [0, 1], got " + evalStep);
        if (trainSteps < 1 || trainSteps > 10_000) throw new IllegalArgumentException("--train-steps must be in 1..10000, got "
                + trainSteps);
        if (evalSteps < 1 || evalSteps > 10_000) throw new IllegalArgumentException("--eval-steps must be in 1..10000, got " + evalSteps);
        if (evalExamples < 0) throw new IllegalArgumentException("--eval-examples must be >= 0 (0 = all), got " + evalExamples);
        if (trainExamples < 0) throw new IllegalArgumentException("--train-examples must be >= 0 (0 = all), got " + trainExamples);
        if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("--momentum must be in [0, 1), got " + momentum);
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) throw new IllegalArgumentException("--weight-decay must be a finite number >= 0, got " + weightDecay);
        if (!(beta >= 0) || !Double.isFinite(beta)) throw new IllegalArgumentException("--beta must be a finite number >= 0, got " + beta);
        if (threads < 0) throw new IllegalArgumentException("--threads must be >= 0 (0 = one per core), got " + threads);
        if (classEps != null) for (Double e : classEps) {
            if (e == null || !(e >= 0 && e <= 1)) throw new IllegalArgumentException("classEps: every ε must be in [0, 1], got " + classEps);
        }
        if (classWeights != null) for (Double w : classWeights) {
            if (w == null || !(w >= 0) || !Double.isFinite(w)) throw new IllegalArgumentException("classWeights: every weight must be finite and >= 0, got " + classWeights);
        }
        if (classEps != null && !classEps.isEmpty() && method.equals("natural")) {
            throw new IllegalArgumentException("classEps applies to the adversarial methods, not " + method);
        }
        Method m = methodEnum();
        if ((m == Method.FRL || m == Method.CFA || m == Method.DAFA) && ((classEps != null && !classEps.isEmpty())
                || (classWeights != null && !classWeights.isEmpty()))) {
            throw new IllegalArgumentException(method + " sets its own per-class budgets and weights; classEps/classWeights cannot be given too");
        }
        if (!List.of("reweight", "remargin", "reweight-remargin").contains(frlMode)) {
            throw new IllegalArgumentException("--frl-mode must be reweight, remargin or reweight-remargin, got '" + frlMode + "'");
        }
        if (!List.of("trades", "pgd-at").contains(fairBase)) {
            throw new IllegalArgumentException("--fair-base must be trades or pgd-at, got '" + fairBase + "'");
        }
        for (double v : new double[] {frlTauClean, frlTauBoundary, frlRateWeight, frlRateMargin, cfaLambdaEps, cfaLambdaBeta, dafaLambda}) {
            if (!Double.isFinite(v) || v < 0) throw new IllegalArgumentException("the FRL/CFA/DAFA rates, tolerances and λ must be finite and >= 0, got " + v);
        }
        if (!(frlLimit >= 0 && frlLimit <= 1)) throw new IllegalArgumentException("--frl-limit must be in [0, 1] (the weights stay >= 0), got " + frlLimit);
        if (frlHalveEvery < 1) throw new IllegalArgumentException("--frl-halve-every must be >= 1, got " + frlHalveEvery);
        if (!(validationFraction > 0 && validationFraction < 0.5)) {
            throw new IllegalArgumentException("--validation-fraction must be in (0, 0.5), got " + validationFraction);
        }
        if (cfaBegin < 0 || dafaWarmup < 0) throw new IllegalArgumentException("--cfa-begin and --dafa-warmup must be >= 0 (0 = the paper's share of the epochs)");
        if (!(fawaDecay >= 0 && fawaDecay <= 1)) throw new IllegalArgumentException("--fawa-decay must be in [0, 1], got " + fawaDecay);
        if (!(fawaThreshold >= 0 && fawaThreshold <= 1)) throw new IllegalArgumentException("--fawa-threshold must be in [0, 1], got " + fawaThreshold);
    }
}
