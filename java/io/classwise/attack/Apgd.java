package io.classwise.attack;

import io.classwise.nn.Grad;
import io.classwise.nn.Model;
import io.classwise.nn.Tape;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;

import java.util.ArrayList;
import java.util.List;
import java.util.Arrays;

/**
 * Auto-PGD, ℓ∞ (Croce and Hein, 2020), the white-box components of AutoAttack: a step size per
 * example that starts at 2ε and halves at checkpoints when progress stalls, momentum α = 0.75, and
 * a restart from the best point at each halving. Loss: cross-entropy (APGD-CE) or the
 * difference-of-logits ratio (APGD-DLR, invariant to the logits' scale), or AutoAttack's targeted DLR
 * (APGD-T): −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2), π the logits sorted in decreasing order, ascended
 * towards a given target t. The first misclassified point found along the way is kept, as AutoAttack does.
 */
public final class Apgd implements Attack {
    public enum Loss { CROSS_ENTROPY, DLR, DLR_TARGETED }

    private static final float ALPHA = 0.75f, RHO = 0.75f;

    private final float eps;
    private final int iterations;
    private final Loss loss;

    public Apgd(float eps, int iterations, Loss loss) {
        if (!(eps >= 0) || iterations < 2) throw new IllegalArgumentException("APGD needs eps >= 0 and at least 2 iterations");
        this.eps = eps; this.iterations = iterations; this.loss = loss;
    }

    @Override public String name() {
        return (loss == Loss.DLR ? "APGD-DLR-" : loss == Loss.DLR_TARGETED ? "APGD-T-" : "APGD-CE-") + iterations;
    }

    /**
     * The iterations (1-based, counting steps) after which the step size may be halved, in the reference
     * implementation's integer arithmetic: the first after ⌊0.22·N⌋ steps, then spans shrinking by ⌊0.03·N⌋ down
     * to ⌊0.06·N⌋ (each at least 1) — the paper's p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06) without its
     * floating-point ceiling (which put one checkpoint of N = 100 at 58 instead of 57).
     */
    static List<Integer> checkpoints(int n) {
        int span = Math.max(n * 22 / 100, 1), decrease = Math.max(n * 3 / 100, 1), min = Math.max(n * 6 / 100, 1);
        List<Integer> w = new ArrayList<>();
        for (int at = span; at <= n; span = Math.max(span - decrease, min), at += span) w.add(at);
        return w;
    }

    /**
     * N steps and N + 1 gradient evaluations, as the reference (Croce and Hein's autopgd_base.py) runs them: a
     * gradient at the random start, then each iteration steps with momentum and evaluates the new point. At a
     * checkpoint, an example's step is halved — and it restarts from its best point with that point's gradient —
     * when the loss rose in at most ρ·k of the last k steps, or when its step was not halved at the previous
     * checkpoint and its best loss has not improved since (≤, as there).
     */
    @Override
    public AttackResult run(Model model, Tape tape, Tensor x, Tensor labels, Tensor targets, Rng rng) {
        if ((targets != null) != (loss == Loss.DLR_TARGETED)) {
            throw new IllegalArgumentException(name() + (loss == Loss.DLR_TARGETED ? " needs target classes" : " is untargeted here"));
        }
        Backend b = x.backend();
        int n = x.dim(0), k = model.numClasses(), per1 = x.size() / Math.max(n, 1);
        if (loss == Loss.DLR && k < 3) throw new IllegalArgumentException("APGD-DLR needs at least 3 classes");
        if (loss == Loss.DLR_TARGETED && k < 4) throw new IllegalArgumentException("APGD-T's targeted DLR needs at least 4 classes");
        int[] t = targets == null ? null : Pgd.toInts(targets.toArray());
        int[] y = Pgd.toInts(labels.toArray());
        // The tape owns the working memory (valid until the next run on it): none of it relies on being zeroed.
        Tensor xCur = tape.scratch(this, "xCur", x.shape()), xPrev = tape.scratch(this, "xPrev", x.shape());
        Tensor z = tape.scratch(this, "z", x.shape()), xBest = tape.scratch(this, "xBest", x.shape());
        Tensor found = tape.scratch(this, "found", x.shape()), noise = tape.scratch(this, "noise", x.shape());
        Tensor grad = tape.scratch(this, "grad", x.shape()), gradBest = tape.scratch(this, "gradBest", x.shape());
        Tensor per = tape.scratch(this, "per", n), d = tape.scratch(this, "d", n, k);
        Tensor steps = tape.scratch(this, "steps", n), mask = tape.scratch(this, "mask", n);

        // Random start: uniform in [−1, 1], scaled so that each example's largest coordinate is ±ε (as the reference does).
        float[] u = new float[x.size()];
        for (int i = 0; i < n; i++) {
            float max = 0;
            for (int j = i * per1; j < (i + 1) * per1; j++) {
                u[j] = (float) rng.uniform(-1, 1);
                max = Math.max(max, Math.abs(u[j]));
            }
            for (int j = i * per1; j < (i + 1) * per1; j++) u[j] = max > 0 ? eps * u[j] / max : 0f;
        }
        noise.copyFrom(u);
        b.copy(x, xCur);
        b.axpy(1f, noise, xCur);
        b.linfPgdStep(xCur, noise, x, 0f, eps);
        b.copy(xCur, found);
        b.copy(xCur, xBest);

        boolean[] isFound = new boolean[n], reducedAtLast = new boolean[n];
        Arrays.fill(reducedAtLast, true); // no "no improvement" halving at the first checkpoint
        float[] l = evaluate(model, tape, xCur, labels, y, t, k, per, d, grad, found, mask, isFound);
        float[] eta = new float[n], lossBest = l.clone(), bestAtLast = l.clone(), m = new float[n];
        b.copy(grad, gradBest);
        Arrays.fill(eta, 2 * eps);
        float[][] history = new float[n][iterations]; // each example's loss after each step
        List<Integer> ckpts = checkpoints(iterations);
        int lastCkpt = 0;

        for (int it = 0; it < iterations; it++) {
            // z = P(x_k + η·sign(∇)); x_{k+1} = P(x_k + α(z − x_k) + (1 − α)(x_k − x_{k−1})), a plain step first.
            steps.copyFrom(eta);
            b.copy(xCur, z);
            b.linfPgdStepPerRow(z, grad, x, steps, eps);
            if (it > 0) {
                b.scale(z, ALPHA);
                b.axpy(2 * (1 - ALPHA), xCur, z);
                b.axpy(-(1 - ALPHA), xPrev, z);
                b.linfPgdStep(z, z, x, 0f, eps);
            }
            b.copy(xCur, xPrev);
            b.copy(z, xCur);
            l = evaluate(model, tape, xCur, labels, y, t, k, per, d, grad, found, mask, isFound);
            for (int i = 0; i < n; i++) {
                history[i][it] = l[i];
                m[i] = l[i] > lossBest[i] ? 1f : 0f;
                if (m[i] != 0) lossBest[i] = l[i];
            }
            mask.copyFrom(m);
            b.copyRowsWhere(xCur, xBest, mask);
            b.copyRowsWhere(grad, gradBest, mask);
            if (ckpts.contains(it + 1)) {
                int span = it + 1 - lastCkpt;
                for (int i = 0; i < n; i++) {
                    boolean halve = halve(history[i], it, span, reducedAtLast[i], bestAtLast[i], lossBest[i]);
                    m[i] = halve ? 1f : 0f;
                    if (halve) eta[i] /= 2;
                    reducedAtLast[i] = halve;
                    bestAtLast[i] = lossBest[i];
                }
                mask.copyFrom(m);
                // The halved examples restart from their best point, with its gradient.
                b.copyRowsWhere(xBest, xCur, mask);
                b.copyRowsWhere(gradBest, grad, mask);
                lastCkpt = it + 1;
            }
        }
        // Unfound examples: the best point by loss.
        for (int i = 0; i < n; i++) m[i] = isFound[i] ? 0f : 1f;
        mask.copyFrom(m);
        b.copyRowsWhere(xBest, found, mask);
        int[] finalPred = b.argmaxRows(model.forward(tape, found));
        boolean[] success = new boolean[n];
        for (int i = 0; i < n; i++) success[i] = finalPred[i] != y[i];
        return new AttackResult(found, finalPred, success);
    }

    /**
     * Whether one example's step is halved at the checkpoint after step it (0-based): its loss rose in at most ρ·span
     * of the span steps since the last checkpoint, or its step was not halved at that checkpoint (reducedAtLast false)
     * and its best loss has not improved since (bestAtLast ≥ best). losses: the loss after each step so far.
     */
    static boolean halve(float[] losses, int it, int span, boolean reducedAtLast, float bestAtLast, float best) {
        int increases = 0;
        for (int c = 0; c < span; c++) {
            // The reference compares the first step's loss with an unwritten (zero) entry: kept, for equal strength.
            float before = it - c - 1 >= 0 ? losses[it - c - 1] : 0f;
            if (losses[it - c] > before) increases++;
        }
        boolean oscillating = increases <= RHO * span;
        boolean noImprovement = !reducedAtLast && bestAtLast >= best;
        return oscillating || noImprovement;
    }

    /**
     * The loss per example at xCur and its input gradient (into grad); the first misclassified point of each
     * example is kept in found, as AutoAttack does.
     */
    private float[] evaluate(Model model, Tape tape, Tensor xCur, Tensor labels, int[] y, int[] t, int k, Tensor per, Tensor d, Tensor grad,
                             Tensor found, Tensor mask, boolean[] isFound) {
        Backend b = xCur.backend();
        int n = y.length;
        Tensor logits = model.forward(tape, xCur);
        int[] p = b.argmaxRows(logits);
        if (loss == Loss.DLR_TARGETED) targetedDlr(logits.toArray(), y, t, k, per, d);
        else if (loss == Loss.DLR) b.dlrLoss(logits, labels, per, d, 1f);
        else b.softmaxCrossEntropy(logits, labels, 1f, per, d, 1f);
        float[] l = per.toArray();
        b.copy(model.backward(tape, d, Grad.INPUT), grad);
        float[] m = new float[n];
        for (int i = 0; i < n; i++) m[i] = !isFound[i] && p[i] != y[i] ? 1f : 0f;
        mask.copyFrom(m);
        b.copyRowsWhere(xCur, found, mask);
        for (int i = 0; i < n; i++) if (m[i] != 0) isFound[i] = true;
        return l;
    }

    /**
     * AutoAttack's targeted DLR per example and its gradient in the logits (what is ascended):
     * L = −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2 + 1e−12), π the classes by decreasing logit. Computed on the
     * host from the (N, K) logits; written to per (N) and dLogits (N, K).
     */
    static void targetedDlr(float[] z, int[] y, int[] t, int k, Tensor per, Tensor dLogits) {
        int n = y.length;
        float[] loss = new float[n], g = new float[n * k];
        Integer[] idx = new Integer[k];
        for (int i = 0; i < n; i++) {
            int o = i * k;
            for (int j = 0; j < k; j++) idx[j] = j;
            Arrays.sort(idx, (a, bb) -> Float.compare(z[o + bb], z[o + a]));
            int p1 = idx[0], p3 = idx[2], p4 = idx[3];
            double den = z[o + p1] - 0.5 * (z[o + p3] + z[o + p4]) + 1e-12, num = z[o + y[i]] - z[o + t[i]];
            loss[i] = (float) (-num / den);
            g[o + y[i]] += (float) (-1 / den);
            g[o + t[i]] += (float) (1 / den);
            double q = num / (den * den);
            g[o + p1] += (float) q;
            g[o + p3] += (float) (-0.5 * q);
            g[o + p4] += (float) (-0.5 * q);
        }
        per.copyFrom(loss);
        dLogits.copyFrom(g);
    }
}
