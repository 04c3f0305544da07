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

    /** The iterations at which the step size may be halved: ⌈p_j·N⌉, p₀ = 0, p₁ = 0.22, p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06). */
    static List<Integer> checkpoints(int n) {
        List<Double> p = new ArrayList<>(List.of(0.0, 0.22));
        while (p.get(p.size() - 1) < 1) {
            double a = p.get(p.size() - 1), b = p.get(p.size() - 2);
            p.add(a + Math.max(a - b - 0.03, 0.06));
        }
        List<Integer> w = new ArrayList<>();
        for (double v : p) if (v > 0 && v < 1) w.add((int) Math.ceil(v * n));
        return w;
    }

    @Override
    public AttackResult run(Model model, Tape tape, Tensor x, Tensor labels, Tensor targets, Rng rng) {
        if ((targets != null) != (loss == Loss.DLR_TARGETED)) {
            throw new IllegalArgumentException(name() + (loss == Loss.DLR_TARGETED ? " needs target classes" : " is untargeted here"));
        }
        Backend b = x.backend();
        int n = x.dim(0), k = model.numClasses();
        if (loss == Loss.DLR && k < 3) throw new IllegalArgumentException("APGD-DLR needs at least 3 classes");
        if (loss == Loss.DLR_TARGETED && k < 4) throw new IllegalArgumentException("APGD-T's targeted DLR needs at least 4 classes");
        int[] t = targets == null ? null : Pgd.toInts(targets.toArray());
        int[] y = Pgd.toInts(labels.toArray());
        // The tape owns the working memory (valid until the next run on it): none of it relies on being zeroed.
        Tensor xCur = tape.scratch(this, "xCur", x.shape()), xPrev = tape.scratch(this, "xPrev", x.shape());
        Tensor z = tape.scratch(this, "z", x.shape()), xBest = tape.scratch(this, "xBest", x.shape());
        Tensor found = tape.scratch(this, "found", x.shape()), noise = tape.scratch(this, "noise", x.shape());
        Tensor per = tape.scratch(this, "per", n), d = tape.scratch(this, "d", n, k);
        Tensor steps = tape.scratch(this, "steps", n), mask = tape.scratch(this, "mask", n);

        float[] u = new float[x.size()];
        for (int i = 0; i < u.length; i++) u[i] = (float) rng.uniform(-eps, eps);
        noise.copyFrom(u);
        b.copy(x, xCur);
        b.axpy(1f, noise, xCur);
        b.linfPgdStep(xCur, noise, x, 0f, eps);
        b.copy(xCur, found);

        float[] eta = new float[n], lossBest = new float[n], lossPrev = new float[n], etaAtCkpt = new float[n], bestAtCkpt = new float[n];
        int[] increases = new int[n];
        boolean[] isFound = new boolean[n];
        Arrays.fill(eta, 2 * eps);
        Arrays.fill(lossBest, Float.NEGATIVE_INFINITY);
        List<Integer> ckpts = checkpoints(iterations);
        int lastCkpt = 0;
        float[] m = new float[n];

        for (int it = 0; it < iterations; it++) {
            Tensor logits = model.forward(tape, xCur);
            int[] p = b.argmaxRows(logits);
            if (loss == Loss.DLR_TARGETED) targetedDlr(logits.toArray(), y, t, k, per, d);
            else if (loss == Loss.DLR) b.dlrLoss(logits, labels, per, d, 1f);
            else b.softmaxCrossEntropy(logits, labels, 1f, per, d, 1f);
            float[] l = per.toArray();
            Tensor g = model.backward(tape, d, Grad.INPUT);
            // Keep the first misclassified point, and the best point by loss.
            for (int i = 0; i < n; i++) m[i] = !isFound[i] && p[i] != y[i] ? 1f : 0f;
            mask.copyFrom(m);
            b.copyRowsWhere(xCur, found, mask);
            for (int i = 0; i < n; i++) if (m[i] != 0) isFound[i] = true;
            for (int i = 0; i < n; i++) {
                if (it > 0 && l[i] > lossPrev[i]) increases[i]++;
                m[i] = l[i] > lossBest[i] ? 1f : 0f;
                if (m[i] != 0) lossBest[i] = l[i];
                lossPrev[i] = l[i];
            }
            mask.copyFrom(m);
            b.copyRowsWhere(xCur, xBest, mask);
            if (it == iterations - 1) break;

            // z = P(x_k + η·sign(∇)); x_{k+1} = P(x_k + α(z − x_k) + (1 − α)(x_k − x_{k−1})), plain step at k = 0.
            steps.copyFrom(eta);
            b.copy(xCur, z);
            b.linfPgdStepPerRow(z, g, x, steps, eps);
            if (it == 0) {
                b.copy(xCur, xPrev);
                b.copy(z, xCur);
            } else {
                b.scale(z, ALPHA);
                b.axpy(2 * (1 - ALPHA), xCur, z);
                b.axpy(-(1 - ALPHA), xPrev, z);
                b.linfPgdStep(z, z, x, 0f, eps);
                b.copy(xCur, xPrev);
                b.copy(z, xCur);
            }
            if (ckpts.contains(it + 1)) {
                int span = it + 1 - lastCkpt;
                for (int i = 0; i < n; i++) {
                    boolean stalled = increases[i] < RHO * span;
                    boolean flat = etaAtCkpt[i] == eta[i] && bestAtCkpt[i] == lossBest[i];
                    m[i] = stalled || flat ? 1f : 0f;
                    if (m[i] != 0) eta[i] /= 2;
                    etaAtCkpt[i] = eta[i];
                    bestAtCkpt[i] = lossBest[i];
                    increases[i] = 0;
                }
                mask.copyFrom(m);
                b.copyRowsWhere(xBest, xCur, mask); // restart the halved examples from their best point
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
