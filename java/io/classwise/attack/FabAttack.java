package io.classwise.attack;

import io.classwise.nn.Grad;
import io.classwise.nn.Model;
import io.classwise.nn.Tape;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;

import java.util.Arrays;

/**
 * FAB-T, ℓ∞ (Croce and Hein, "Minimally distorted adversarial examples with a fast adaptive boundary
 * attack", ICML 2020), the targeted version AutoAttack runs: it looks for the smallest perturbation that
 * crosses the decision boundary between the true class y and a target class t. Each iteration linearises
 * g = z_y − z_t at the current point x_k and projects onto the hyperplane g = 0 within the box [0, 1] twice,
 * from x_k (δ₁) and from the original x (δ₂), then steps to (1 − α)(x_k + ηδ₁) + α(x + ηδ₂) with
 * α = min(‖δ₁‖/(‖δ₁‖ + ‖δ₂‖), α_max); a point that is misclassified is recorded if it is the closest so far
 * and pulled back towards x by β. The example counts as broken when the closest misclassified point lies
 * within ε. Constants as in the paper and AutoAttack: α_max = 0.1, η = 1.05, β = 0.9, one start at x.
 *
 * <p>The projection (minimal ‖δ‖∞ with w·δ = c and x + δ in the box) is solved exactly per example on the
 * host: moving every coordinate by r in the helpful direction, capped by the box, changes w·δ by
 * Σ_i |w_i|·min(r, r_i), a concave piecewise-linear function of r whose breakpoints r_i are sorted.
 */
public final class FabAttack implements Attack {
    static final double ALPHA_MAX = 0.1, ETA = 1.05, BETA = 0.9;

    private final float eps;
    private final int iterations;

    public FabAttack(float eps, int iterations) {
        if (!(eps >= 0) || iterations < 1) throw new IllegalArgumentException("FAB needs eps >= 0 and at least 1 iteration");
        this.eps = eps;
        this.iterations = iterations;
    }

    @Override public String name() { return "FAB-T-" + iterations; }

    /**
     * targets (N) nullable: without them each example aims at its most likely wrong class at x. Success: a
     * misclassified point within ε was found; {@code adversarial} holds it (else the clean image).
     */
    @Override
    public AttackResult run(Model model, Tape tape, Tensor x, Tensor labels, Tensor targets, Rng rng) {
        Backend b = x.backend();
        int n = x.dim(0), k = model.numClasses(), d = x.size() / n;
        int[] y = Pgd.toInts(labels.toArray());
        float[] x0 = x.toArray(), xk = x0.clone(), best = x0.clone();
        double[] bestNorm = new double[n];
        Arrays.fill(bestNorm, Double.POSITIVE_INFINITY);
        Tensor cur = tape.scratch(this, "x", x.shape()), dLogits = tape.scratch(this, "dLogits", n, k);
        int[] t = targets == null ? null : Pgd.toInts(targets.toArray());
        float[] dz = new float[n * k], xNew = new float[x0.length];
        double[] w = new double[d];
        for (int it = 0; it < iterations; it++) {
            cur.copyFrom(xk);
            float[] z = model.forward(tape, cur).toArray();
            if (t == null) t = mostLikelyWrong(z, y, k);
            Arrays.fill(dz, 0f);
            for (int i = 0; i < n; i++) { dz[i * k + y[i]] = 1f; dz[i * k + t[i]] -= 1f; } // ∂(z_y − z_t)/∂z
            float[] grad = model.backward(tape, dLogits.copyFrom(dz), Grad.INPUT).toArray();
            for (int i = 0; i < n; i++) {
                int o = i * d;
                double g = z[i * k + y[i]] - z[i * k + t[i]], towardsOrigin = 0;
                for (int j = 0; j < d; j++) {
                    w[j] = grad[o + j];
                    towardsOrigin += w[j] * (x0[o + j] - xk[o + j]);
                }
                double[] d1 = project(w, xk, o, -g), d2 = project(w, x0, o, -(g + towardsOrigin));
                double n1 = maxAbs(d1), n2 = maxAbs(d2);
                double alpha = n1 + n2 > 0 ? Math.min(n1 / (n1 + n2), ALPHA_MAX) : 0;
                for (int j = 0; j < d; j++) {
                    double v = (1 - alpha) * (xk[o + j] + ETA * d1[j]) + alpha * (x0[o + j] + ETA * d2[j]);
                    xNew[o + j] = (float) Math.min(1, Math.max(0, v));
                }
            }
            cur.copyFrom(xNew);
            int[] pred = b.argmaxRows(model.forward(tape, cur));
            for (int i = 0; i < n; i++) {
                int o = i * d;
                if (pred[i] != y[i]) {
                    double norm = 0;
                    for (int j = 0; j < d; j++) norm = Math.max(norm, Math.abs(xNew[o + j] - x0[o + j]));
                    if (norm < bestNorm[i]) {
                        bestNorm[i] = norm;
                        System.arraycopy(xNew, o, best, o, d);
                    }
                    for (int j = 0; j < d; j++) xk[o + j] = (float) ((1 - BETA) * x0[o + j] + BETA * xNew[o + j]);
                } else {
                    System.arraycopy(xNew, o, xk, o, d);
                }
            }
        }
        // Within the budget: the closest misclassified point; else the clean image (the attack failed).
        float[] out = x0.clone();
        boolean[] success = new boolean[n];
        for (int i = 0; i < n; i++) {
            if (bestNorm[i] <= eps + 1e-7) {
                System.arraycopy(best, i * d, out, i * d, d);
                success[i] = true;
            }
        }
        cur.copyFrom(out);
        int[] pred = b.argmaxRows(model.forward(tape, cur));
        for (int i = 0; i < n; i++) success[i] = success[i] && pred[i] != y[i];
        return new AttackResult(cur, pred, success);
    }

    /** ‖adv_i − x_i‖∞ per example of n rows (flattened, row-major): the distance a result's images moved. */
    static double[] distances(float[] x0, float[] adv, int n) {
        int d = x0.length / n;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) out[i] = Math.max(out[i], Math.abs(adv[i * d + j] - x0[i * d + j]));
        return out;
    }

    private static int[] mostLikelyWrong(float[] z, int[] y, int k) {
        int[] t = new int[y.length];
        for (int i = 0; i < y.length; i++) {
            int best = -1;
            for (int j = 0; j < k; j++) if (j != y[i] && (best < 0 || z[i * k + j] > z[i * k + best])) best = j;
            t[i] = best;
        }
        return t;
    }

    /**
     * The minimal-‖·‖∞ δ with w·δ = c and p + δ in [0, 1] (p = the row of {@code point} at {@code offset}); when
     * the box does not allow it, the largest move towards it.
     */
    static double[] project(double[] w, float[] point, int offset, double c) {
        int d = w.length;
        double[] delta = new double[d];
        if (c == 0) return delta;
        double s = Math.signum(c), need = Math.abs(c);
        // Coordinate j moves in direction s·sign(w_j), by at most r_j before it leaves the box. Sorted by r_j
        // as (float bits of r_j, j) packed in a long: the bits of a non-negative float order as the floats do.
        double[] r = new double[d];
        long[] order = new long[d];
        int m = 0;
        double slope = 0;
        for (int j = 0; j < d; j++) {
            double dir = s * Math.signum(w[j]);
            r[j] = dir > 0 ? 1 - point[offset + j] : dir < 0 ? point[offset + j] : 0;
            r[j] = Math.max(0, r[j]);
            if (w[j] == 0) continue;
            slope += Math.abs(w[j]);
            order[m++] = ((long) Float.floatToIntBits((float) r[j]) << 32) | j;
        }
        Arrays.sort(order, 0, m);
        // D(ρ) = Σ_j |w_j|·min(ρ, r_j): walk the breakpoints until D reaches need.
        double done = 0, at = 0, radius = Double.NaN;
        for (int idx = 0; idx < m; idx++) {
            int j = (int) (order[idx] & 0xffffffffL);
            double next = Math.max(at, r[j]);
            double gain = slope * (next - at);
            if (done + gain >= need) {
                radius = at + (need - done) / slope;
                break;
            }
            done += gain;
            at = next;
            slope -= Math.abs(w[j]);
        }
        if (Double.isNaN(radius)) radius = at; // unreachable in the box: move as far as it allows
        for (int j = 0; j < d; j++) {
            if (w[j] == 0) continue;
            delta[j] = s * Math.signum(w[j]) * Math.min(radius, r[j]);
        }
        return delta;
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double a : v) m = Math.max(m, Math.abs(a));
        return m;
    }
}
