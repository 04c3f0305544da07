package io.classwise.attack;

import io.classwise.nn.Grad;
import io.classwise.nn.Model;
import io.classwise.nn.Tape;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;

import java.util.Locale;

/**
 * Projected gradient ascent in an ℓ∞ ball (or an ℓ2 ball, {@link #l2}), the engine behind most
 * rungs of the attack ladder:
 * <ul>
 * <li>FGSM: one step of size ε, no random start; FGSM-RS: uniform random start, one step α;</li>
 * <li>PGD-k (Madry et al.): random start, k steps of size α, the best of several restarts per example;</li>
 * <li>Temperature-PGD: the loss is cross-entropy on softmax(z/T) (T = 1 is exactly PGD);</li>
 * <li>CW∞: the loss is the Carlini–Wagner margin max_{j≠y} z_j − z_y, capped at κ;</li>
 * <li>MI-FGSM (Dong et al.): steps along sign of the accumulated L1-normalised gradient (momentum μ).</li>
 * </ul>
 * Targeted variants descend the loss towards the target class. Each step is one forward pass and one
 * input-only backward pass, then the fused sign-step / projection / clamp.
 */
public final class Pgd implements Attack {
    /**
     * What is ascended: cross-entropy (with temperature), the CW margin, or KL(softmax(reference) ‖
     * softmax(z)) where the "labels" passed in are the reference logits (N, K) — TRADES's inner maximisation.
     */
    public enum Loss { CROSS_ENTROPY, CW_MARGIN, KL }

    /** The random start: none, uniform in the ε-ball (Madry et al.), or small Gaussian noise (TRADES: σ = 0.001). */
    public enum Start { NONE, UNIFORM, GAUSSIAN }

    public enum Norm { LINF, L2 }

    private final String name;
    private final float eps, step, temperature, kappa, momentum;
    private final int steps, restarts;
    private final Start start;
    private final double startSigma;
    private final Loss loss;
    private final Norm norm;
    /** ε per class (example i attacked within ε_{y_i}); null: one ε for all. */
    private final float[] epsPerClass;
    /** The step per class (with epsPerClass); null: the step scaled with each class's ε. */
    private final float[] stepPerClass;

    /**
     * One run's buffers, kept by the tape the attack runs on (so the tape owns and releases the memory,
     * and one Pgd can run on several tapes, e.g. threads, at once).
     */
    private static final class Work {
        Tensor xAdv, best, noise, grad, lossPerExample, dLogits, mask, momentumBuf, epsRows, stepRows, zeroRows;
        /** The current batch's budget per example (ε per class only), filled by prepare. */
        float[] rowEps;
    }

    public Pgd(String name, float eps, float step, int steps, int restarts, boolean randomStart, Loss loss,
               float temperature, float kappa, float momentum) {
        this(name, Norm.LINF, eps, step, steps, restarts, randomStart, loss, temperature, kappa, momentum);
    }

    public Pgd(String name, Norm norm, float eps, float step, int steps, int restarts, boolean randomStart, Loss loss,
               float temperature, float kappa, float momentum) {
        this(name, norm, eps, step, steps, restarts, randomStart ? Start.UNIFORM : Start.NONE, 0, loss, temperature, kappa, momentum, null,
                null);
    }

    private Pgd(String name, Norm norm, float eps, float step, int steps, int restarts, Start start, double startSigma, Loss loss,
                float temperature, float kappa, float momentum, float[] epsPerClass, float[] stepPerClass) {
        if (!(eps >= 0) || !(step >= 0) || steps < 1 || restarts < 1) {
            throw new IllegalArgumentException(name + ": need eps >= 0, step >= 0, steps >= 1, restarts >= 1 (got eps=" + eps
                    + " step=" + step + " steps=" + steps + " restarts=" + restarts + ")");
        }
        if (!(temperature > 0)) throw new IllegalArgumentException(name + ": temperature T must be > 0, got " + temperature);
        this.name = name; this.eps = eps; this.step = step; this.steps = steps; this.restarts = restarts;
        this.start = start; this.startSigma = startSigma; this.loss = loss;
        this.epsPerClass = epsPerClass == null ? null : epsPerClass.clone();
        this.stepPerClass = stepPerClass == null ? null : stepPerClass.clone();
        this.temperature = temperature; this.kappa = kappa; this.momentum = momentum;
        this.norm = norm;
        if (norm == Norm.L2 && momentum != 0) throw new IllegalArgumentException(name + ": momentum is implemented for ℓ∞ only");
    }

    /** ℓ2 PGD (Madry et al.'s ℓ2 threat model): normalised-gradient steps, projection onto ‖δ‖₂ ≤ ε. */
    public static Pgd l2(float eps, float step, int steps, int restarts) {
        return new Pgd("L2-PGD-" + steps + (restarts > 1 ? "x" + restarts : ""), Norm.L2, eps, step, steps, restarts, true,
                Loss.CROSS_ENTROPY, 1f, 0f, 0f);
    }

    public Norm norm() { return norm; }

    public static Pgd fgsm(float eps) {
        return new Pgd("FGSM", eps, eps, 1, 1, false, Loss.CROSS_ENTROPY, 1f, 0f, 0f);
    }

    /** Wong et al.'s FGSM with uniform random start and step α (they use α = 1.25 ε). */
    public static Pgd fgsmRandomStart(float eps, float alpha) {
        return new Pgd("FGSM-RS", eps, alpha, 1, 1, true, Loss.CROSS_ENTROPY, 1f, 0f, 0f);
    }

    public static Pgd pgd(float eps, float step, int steps, int restarts) {
        return new Pgd("PGD-" + steps + (restarts > 1 ? "x" + restarts : ""), eps, step, steps, restarts, true, Loss.CROSS_ENTROPY,
                1f, 0f, 0f);
    }

    /** Temperature-PGD: PGD on cross-entropy of softmax(z/T). */
    public static Pgd temperaturePgd(float eps, float step, int steps, float temperature) {
        return new Pgd(String.format(Locale.ROOT, "TPGD-%d(T=%s)", steps, fmt(temperature)), eps, step, steps, 1, true,
                Loss.CROSS_ENTROPY, temperature, 0f, 0f);
    }

    public static Pgd cw(float eps, float step, int steps, float kappa) {
        return new Pgd("CW∞-" + steps, eps, step, steps, 1, true, Loss.CW_MARGIN, 1f, kappa, 0f);
    }

    /**
     * TRADES's inner maximisation (Zhang et al. 2019): from x + 0.001·N(0, I), {@code steps} signed steps
     * ascending KL(softmax(f(x)) ‖ softmax(f(x′))); {@link #perturb} takes the clean logits (N, K) in place of labels.
     */
    public static Pgd tradesKl(float eps, float step, int steps) {
        return new Pgd("TRADES-KL-" + steps, Norm.LINF, eps, step, steps, 1, Start.GAUSSIAN, 0.001, Loss.KL, 1f, 0f, 0f, null, null);
    }

    /**
     * The same ℓ∞ attack with a budget per class: example i is attacked within ε_{y_i} (its true class's
     * entry), its random start drawn from that ball and its step scaled by ε_{y_i}/ε — per-class ε for
     * class-aware training and evaluation. With every entry equal to ε it is this attack, bit for bit.
     */
    public Pgd withEpsPerClass(float[] perClass) { return withBudgetsPerClass(perClass, null); }

    /**
     * As {@link #withEpsPerClass} with the step per class given too (FRL and CFA keep the step and change
     * only ε; DAFA scales both); stepPerClass null scales the step with ε. Works for TRADES's KL maximisation
     * too, whose "labels" are reference logits: pass the true classes to {@link #perturb(Model, Tape, Tensor, Tensor, int[], Rng)}.
     */
    public Pgd withBudgetsPerClass(float[] epsPerClass, float[] stepPerClass) {
        if (norm != Norm.LINF || momentum != 0) throw new IllegalArgumentException(name + ": per-class ε is for ℓ∞ PGD/FGSM/TRADES");
        for (float e : epsPerClass) if (!(e >= 0 && e <= 1)) throw new IllegalArgumentException(name + ": per-class ε must be in [0, 1], got " + e);
        if (stepPerClass != null) {
            if (stepPerClass.length != epsPerClass.length) throw new IllegalArgumentException(name + ": " + epsPerClass.length
                    + " budgets but " + stepPerClass.length + " steps");
            for (float a : stepPerClass) if (!(a >= 0 && a <= 1)) throw new IllegalArgumentException(name + ": per-class step must be in [0, 1], got " + a);
        }
        return new Pgd(name + "(ε per class)", norm, eps, step, steps, restarts, start, startSigma, loss, temperature, kappa, momentum,
                epsPerClass, stepPerClass);
    }

    /** MI-FGSM with the paper's defaults: step ε/steps, no random start. */
    public static Pgd miFgsm(float eps, int steps, float mu) {
        return new Pgd("MI-FGSM-" + steps, eps, eps / steps, steps, 1, false, Loss.CROSS_ENTROPY, 1f, 0f, mu);
    }

    private static String fmt(float v) { return v == Math.rint(v) ? Integer.toString((int) v) : Float.toString(v); }

    @Override public String name() { return name; }

    public float eps() { return eps; }

    @Override
    public AttackResult run(Model model, Tape tape, Tensor x, Tensor labels, Tensor targets, Rng rng) {
        Backend b = x.backend();
        int n = x.dim(0), k = model.numClasses();
        Work w = prepare(tape, x, epsPerClass == null ? null : toInts(labels.toArray()), k);
        int[] y = toInts(labels.toArray()), t = targets == null ? null : toInts(targets.toArray());
        Tensor aim = targets == null ? labels : targets;
        float direction = targets == null ? 1f : -1f; // ascend the loss of the label, or descend towards the target

        boolean[] bestSuccess = new boolean[n];
        int[] bestPred = new int[n];
        float[] maskValues = new float[n];
        for (int r = 0; r < restarts; r++) {
            ascend(w, model, tape, x, aim, direction, rng);
            int[] pred = b.argmaxRows(model.forward(tape, w.xAdv));
            for (int i = 0; i < n; i++) {
                boolean ok = t == null ? pred[i] != y[i] : pred[i] == t[i];
                // Keep the first restart's result, then replace it only by a success (worst case per example).
                boolean take = r == 0 || (!bestSuccess[i] && ok);
                maskValues[i] = take ? 1f : 0f;
                if (take) { bestSuccess[i] = ok; bestPred[i] = pred[i]; }
            }
            w.mask.copyFrom(maskValues);
            b.copyRowsWhere(w.xAdv, w.best, w.mask);
        }
        return new AttackResult(w.best, bestPred, bestSuccess);
    }

    /**
     * The adversarial batch of a single-restart attack without the final prediction pass: what
     * adversarial training needs (its own forward pass on x′ gives the predictions). Overwritten
     * by the next call on the same tape.
     */
    public Tensor perturb(Model model, Tape tape, Tensor x, Tensor labels, Rng rng) {
        if (loss == Loss.KL && epsPerClass != null) {
            throw new IllegalStateException(name + ": with ε per class the KL attack needs the true classes; use perturb(..., classes, rng)");
        }
        return perturb(model, tape, x, labels, epsPerClass == null ? null : toInts(labels.toArray()), rng);
    }

    /**
     * As {@link #perturb(Model, Tape, Tensor, Tensor, Rng)}, the per-class budgets gathered from {@code classes}
     * (N) rather than from {@code aim}: for TRADES's KL maximisation, whose aim is the clean logits (N, K).
     */
    public Tensor perturb(Model model, Tape tape, Tensor x, Tensor aim, int[] classes, Rng rng) {
        if (restarts != 1) throw new IllegalStateException(name + ": perturb() is for single-restart attacks; use run()");
        Work w = prepare(tape, x, classes, model.numClasses());
        ascend(w, model, tape, x, aim, 1f, rng);
        return w.xAdv;
    }

    /**
     * This tape's buffers for a batch of x's shape (N, C, H, W), and with ε per class each example's budget
     * from its class (classes (N); unused without ε per class).
     */
    private Work prepare(Tape tape, Tensor x, int[] classes, int k) {
        Work w = tape.cache(this, Work::new);
        int n = x.dim(0);
        w.xAdv = tape.reuse(w.xAdv, x.shape());
        w.best = tape.reuse(w.best, x.shape());
        w.noise = tape.reuse(w.noise, x.shape());
        w.lossPerExample = tape.reuse(w.lossPerExample, n);
        w.dLogits = tape.reuse(w.dLogits, n, k);
        w.mask = tape.reuse(w.mask, n);
        if (momentum != 0) w.momentumBuf = tape.reuse(w.momentumBuf, x.shape());
        w.rowEps = epsPerClass == null ? null : perRowBudgets(w, tape, classes, n);
        return w;
    }

    /**
     * Random start (if any), then {@code steps} ascent steps on the loss of {@code aim}; leaves the result
     * in w.xAdv. With ε per class, each example's budget is the one {@link #prepare} gathered (w.rowEps).
     */
    private void ascend(Work w, Model model, Tape tape, Tensor x, Tensor aim, float direction, Rng rng) {
        Backend b = x.backend();
        int n = x.dim(0);
        b.copy(x, w.xAdv);
        if (start == Start.GAUSSIAN) {
            float[] u = new float[x.size()];
            for (int i = 0; i < u.length; i++) u[i] = (float) (startSigma * rng.nextGaussian());
            w.noise.copyFrom(u);
            b.axpy(1f, w.noise, w.xAdv);
            if (w.rowEps != null) b.linfPgdStepRows(w.xAdv, w.xAdv, x, w.zeroRows, w.epsRows);
            else project(b, w.xAdv, x);
        } else if (start == Start.UNIFORM && eps > 0) {
            float[] u = new float[x.size()];
            if (w.rowEps != null) {
                int row = u.length / n;
                for (int i = 0; i < u.length; i++) u[i] = (float) rng.uniform(-w.rowEps[i / row], w.rowEps[i / row]);
            } else if (norm == Norm.LINF) {
                for (int i = 0; i < u.length; i++) u[i] = (float) rng.uniform(-eps, eps);
            } else {
                // A random direction at a random radius in the ℓ2 ball.
                int row = u.length / n;
                for (int e = 0; e < n; e++) {
                    double norm2 = 0;
                    for (int j = 0; j < row; j++) { u[e * row + j] = (float) rng.nextGaussian(); norm2 += u[e * row + j] * u[e * row + j]; }
                    double radius = eps * rng.nextDouble() / Math.sqrt(norm2);
                    for (int j = 0; j < row; j++) u[e * row + j] *= (float) radius;
                }
            }
            w.noise.copyFrom(u);
            b.axpy(1f, w.noise, w.xAdv);
            if (w.rowEps != null) b.linfPgdStepRows(w.xAdv, w.xAdv, x, w.zeroRows, w.epsRows);
            else project(b, w.xAdv, x); // only project and clamp to [0, 1]
        }
        if (momentum != 0) b.fill(w.momentumBuf, 0f);
        for (int s = 0; s < steps; s++) {
            Tensor logits = model.forward(tape, w.xAdv);
            if (loss == Loss.CW_MARGIN) b.marginLoss(logits, aim, direction > 0 ? kappa : Float.POSITIVE_INFINITY, w.lossPerExample,
                    w.dLogits, direction);
            else if (loss == Loss.KL) b.klDivergence(aim, logits, w.lossPerExample, null, w.dLogits, direction);
            else b.softmaxCrossEntropy(logits, aim, temperature, w.lossPerExample, w.dLogits, direction);
            w.grad = model.backward(tape, w.dLogits, Grad.INPUT);
            if (momentum != 0) {
                b.momentumAccumulate(w.grad, w.momentumBuf, momentum);
                b.linfPgdStep(w.xAdv, w.momentumBuf, x, step, eps);
            } else if (w.rowEps != null) {
                b.linfPgdStepRows(w.xAdv, w.grad, x, w.stepRows, w.epsRows);
            } else if (norm == Norm.L2) {
                b.l2PgdStep(w.xAdv, w.grad, x, step, eps);
            } else {
                b.linfPgdStep(w.xAdv, w.grad, x, step, eps);
            }
        }
    }

    /** ε_{y_i} per example into w.epsRows, the steps scaled alike into w.stepRows (exactly step where ε_{y_i} = ε); returns the budgets. */
    private float[] perRowBudgets(Work w, Tape tape, int[] classes, int n) {
        if (classes == null || classes.length != n) throw new IllegalArgumentException(name + ": ε per class needs the class of each of the "
                + n + " examples");
        float[] e = new float[n], s = new float[n];
        for (int i = 0; i < n; i++) {
            int c = classes[i];
            if (c < 0 || c >= epsPerClass.length) throw new IllegalArgumentException(name + ": label " + c + " has no ε (" + epsPerClass.length + " classes)");
            e[i] = epsPerClass[c];
            s[i] = stepPerClass != null ? stepPerClass[c] : e[i] == eps ? step : eps > 0 ? step * (e[i] / eps) : step;
        }
        w.epsRows = tape.reuse(w.epsRows, n).copyFrom(e);
        w.stepRows = tape.reuse(w.stepRows, n).copyFrom(s);
        w.zeroRows = tape.reuse(w.zeroRows, n);
        tape.backend().fill(w.zeroRows, 0f);
        return e;
    }

    private void project(Backend b, Tensor xAdv, Tensor x) {
        if (norm == Norm.L2) b.l2PgdStep(xAdv, xAdv, x, 0f, eps);
        else b.linfPgdStep(xAdv, xAdv, x, 0f, eps);
    }

    static int[] toInts(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (int) v[i];
        return out;
    }
}
