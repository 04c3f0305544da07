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

    private Tensor xAdv, best, noise, grad, lossPerExample, dLogits, mask, momentumBuf, epsRows, stepRows, zeroRows;
    /** The current batch's budget per example (ε per class only), filled by prepare. */
    private float[] rowEps;

    public Pgd(String name, float eps, float step, int steps, int restarts, boolean randomStart, Loss loss,
               float temperature, float kappa, float momentum) {
        this(name, Norm.LINF, eps, step, steps, restarts, randomStart, loss, temperature, kappa, momentum);
    }

    public Pgd(String name, Norm norm, float eps, float step, int steps, int restarts, boolean randomStart, Loss loss,
               float temperature, float kappa, float momentum) {
        this(name, norm, eps, step, steps, restarts, randomStart ? Start.UNIFORM : Start.NONE, 0, loss, temperature, kappa, momentum, null);
    }

    private Pgd(String name, Norm norm, float eps, float step, int steps, int restarts, Start start, double startSigma, Loss loss,
                float temperature, float kappa, float momentum, float[] epsPerClass) {
        if (!(eps >= 0) || !(step >= 0) || steps < 1 || restarts < 1) {
            throw new IllegalArgumentException(name + ": need eps >= 0, step >= 0, steps >= 1, restarts >= 1 (got eps=" + eps
                    + " step=" + step + " steps=" + steps + " restarts=" + restarts + ")");
        }
        if (!(temperature > 0)) throw new IllegalArgumentException(name + ": temperature T must be > 0, got " + temperature);
        this.name = name; this.eps = eps; this.step = step; this.steps = steps; this.restarts = restarts;
        this.start = start; this.startSigma = startSigma; this.loss = loss;
        this.epsPerClass = epsPerClass == null ? null : epsPerClass.clone(); this.temperature = temperature; this.kappa = kappa; this.momentum = momentum;
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
        return new Pgd("TRADES-KL-" + steps, Norm.LINF, eps, step, steps, 1, Start.GAUSSIAN, 0.001, Loss.KL, 1f, 0f, 0f, null);
    }

    /**
     * The same ℓ∞ attack with a budget per class: example i is attacked within ε_{y_i} (its true class's
     * entry), its random start drawn from that ball and its step scaled by ε_{y_i}/ε — per-class ε for
     * class-aware training and evaluation. With every entry equal to ε it is this attack, bit for bit.
     */
    public Pgd withEpsPerClass(float[] perClass) {
        if (norm != Norm.LINF || momentum != 0 || start == Start.GAUSSIAN) throw new IllegalArgumentException(name + ": per-class ε is for ℓ∞ PGD/FGSM");
        for (float e : perClass) if (!(e >= 0 && e <= 1)) throw new IllegalArgumentException(name + ": per-class ε must be in [0, 1], got " + e);
        return new Pgd(name + "(ε per class)", norm, eps, step, steps, restarts, start, startSigma, loss, temperature, kappa, momentum, perClass);
    }

    /** MI-FGSM with the paper's defaults: step ε/steps, no random start. */
    public static Pgd miFgsm(float eps, int steps, float mu) {
        return new Pgd("MI-FGSM-" + steps, eps, eps / steps, steps, 1, false, Loss.CROSS_ENTROPY, 1f, 0f, mu);
    }

    private static String fmt(float v) { return v == Math.rint(v) ? Integer.toString((int) v) : Float.toString(v); }

    @Override public String name() { return name; }

    public float eps() { return eps; }

    private static Tensor reuse(Backend b, Tensor t, int... shape) { return t != null && t.hasShape(shape) && t.backend() == b ? t
            : b.allocate(shape); }

    @Override
    public AttackResult run(Model model, Tape tape, Tensor x, Tensor labels, Tensor targets, Rng rng) {
        Backend b = x.backend();
        int n = x.dim(0), k = model.numClasses();
        prepare(x, labels, k);
        int[] y = toInts(labels.toArray()), t = targets == null ? null : toInts(targets.toArray());
        Tensor aim = targets == null ? labels : targets;
        float direction = targets == null ? 1f : -1f; // ascend the loss of the label, or descend towards the target

        boolean[] bestSuccess = new boolean[n];
        int[] bestPred = new int[n];
        float[] maskValues = new float[n];
        for (int r = 0; r < restarts; r++) {
            ascend(model, tape, x, aim, direction, rng);
            int[] pred = b.argmaxRows(model.forward(tape, xAdv));
            for (int i = 0; i < n; i++) {
                boolean ok = t == null ? pred[i] != y[i] : pred[i] == t[i];
                // Keep the first restart's result, then replace it only by a success (worst case per example).
                boolean take = r == 0 || (!bestSuccess[i] && ok);
                maskValues[i] = take ? 1f : 0f;
                if (take) { bestSuccess[i] = ok; bestPred[i] = pred[i]; }
            }
            mask.copyFrom(maskValues);
            b.copyRowsWhere(xAdv, best, mask);
        }
        return new AttackResult(best, bestPred, bestSuccess);
    }

    /**
     * The adversarial batch of a single-restart attack without the final prediction pass: what
     * adversarial training needs (its own forward pass on x′ gives the predictions). Overwritten
     * by the next call.
     */
    public Tensor perturb(Model model, Tape tape, Tensor x, Tensor labels, Rng rng) {
        if (restarts != 1) throw new IllegalStateException(name + ": perturb() is for single-restart attacks; use run()");
        prepare(x, labels, model.numClasses());
        ascend(model, tape, x, labels, 1f, rng);
        return xAdv;
    }

    /** Buffers for a batch of x's shape, and with ε per class each example's budget from its label (labels (N)). */
    private void prepare(Tensor x, Tensor labels, int k) {
        Backend b = x.backend();
        int n = x.dim(0);
        xAdv = reuse(b, xAdv, x.shape());
        best = reuse(b, best, x.shape());
        noise = reuse(b, noise, x.shape());
        lossPerExample = reuse(b, lossPerExample, n);
        dLogits = reuse(b, dLogits, n, k);
        mask = reuse(b, mask, n);
        if (momentum != 0) momentumBuf = reuse(b, momentumBuf, x.shape());
        rowEps = epsPerClass == null ? null : perRowBudgets(b, labels, n);
    }

    /**
     * Random start (if any), then {@code steps} ascent steps on the loss of {@code aim}; leaves the result
     * in xAdv. With ε per class, each example's budget is the one {@link #prepare} gathered (rowEps).
     */
    private void ascend(Model model, Tape tape, Tensor x, Tensor aim, float direction, Rng rng) {
        Backend b = x.backend();
        int n = x.dim(0);
        b.copy(x, xAdv);
        if (start == Start.GAUSSIAN) {
            float[] u = new float[x.size()];
            for (int i = 0; i < u.length; i++) u[i] = (float) (startSigma * rng.nextGaussian());
            noise.copyFrom(u);
            b.axpy(1f, noise, xAdv);
            project(b, xAdv, x);
        } else if (start == Start.UNIFORM && eps > 0) {
            float[] u = new float[x.size()];
            if (rowEps != null) {
                int row = u.length / n;
                for (int i = 0; i < u.length; i++) u[i] = (float) rng.uniform(-rowEps[i / row], rowEps[i / row]);
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
            noise.copyFrom(u);
            b.axpy(1f, noise, xAdv);
            if (rowEps != null) b.linfPgdStepRows(xAdv, xAdv, x, zeroRows, epsRows);
            else project(b, xAdv, x); // only project and clamp to [0, 1]
        }
        if (momentum != 0) b.fill(momentumBuf, 0f);
        for (int s = 0; s < steps; s++) {
            Tensor logits = model.forward(tape, xAdv);
            if (loss == Loss.CW_MARGIN) b.marginLoss(logits, aim, direction > 0 ? kappa : Float.POSITIVE_INFINITY, lossPerExample,
                    dLogits, direction);
            else if (loss == Loss.KL) b.klDivergence(aim, logits, lossPerExample, null, dLogits, direction);
            else b.softmaxCrossEntropy(logits, aim, temperature, lossPerExample, dLogits, direction);
            grad = model.backward(tape, dLogits, Grad.INPUT);
            if (momentum != 0) {
                b.momentumAccumulate(grad, momentumBuf, momentum);
                b.linfPgdStep(xAdv, momentumBuf, x, step, eps);
            } else if (rowEps != null) {
                b.linfPgdStepRows(xAdv, grad, x, stepRows, epsRows);
            } else if (norm == Norm.L2) {
                b.l2PgdStep(xAdv, grad, x, step, eps);
            } else {
                b.linfPgdStep(xAdv, grad, x, step, eps);
            }
        }
    }

    /** ε_{y_i} per example into epsRows, the steps scaled alike into stepRows (exactly step where ε_{y_i} = ε); returns the budgets. */
    private float[] perRowBudgets(Backend b, Tensor labels, int n) {
        float[] y = labels.toArray(), e = new float[n], s = new float[n];
        for (int i = 0; i < n; i++) {
            int c = (int) y[i];
            if (c < 0 || c >= epsPerClass.length) throw new IllegalArgumentException(name + ": label " + c + " has no ε (" + epsPerClass.length + " classes)");
            e[i] = epsPerClass[c];
            s[i] = e[i] == eps ? step : eps > 0 ? step * (e[i] / eps) : step;
        }
        epsRows = reuse(b, epsRows, n).copyFrom(e);
        stepRows = reuse(b, stepRows, n).copyFrom(s);
        zeroRows = reuse(b, zeroRows, n);
        b.fill(zeroRows, 0f);
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
