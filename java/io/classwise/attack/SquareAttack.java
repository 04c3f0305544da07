package io.classwise.attack;

import io.classwise.nn.Model;
import io.classwise.nn.Tape;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;

/**
 * Square Attack, ℓ∞ (Andriushchenko et al., 2020): a query-based black-box attack that only reads
 * the target's logits. It starts from vertical stripes of ±ε and, for the examples not yet fooled,
 * proposes to set a random square window (its side shrinking on a fixed schedule) to a random ±ε
 * per channel, keeping the proposal where the margin z_y − max_{j≠y} z_j drops.
 */
public final class SquareAttack implements Attack {
    private final float eps, pInit;
    private final int queries;

    public SquareAttack(float eps, int queries) { this(eps, queries, 0.8f); }

    public SquareAttack(float eps, int queries, float pInit) {
        if (!(eps >= 0) || queries < 1 || !(pInit > 0 && pInit <= 1)) throw new IllegalArgumentException("Square needs eps >= 0, queries >= 1, 0 < p <= 1");
        this.eps = eps; this.queries = queries; this.pInit = pInit;
    }

    @Override public String name() { return "Square-" + queries; }

    /** Fraction of pixels changed at iteration i: p halves at the paper's milestones (scaled to 10,000 queries). */
    float fraction(int i) {
        int scaled = (int) ((long) i * 10_000 / queries);
        int[] milestones = {10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000};
        float p = pInit;
        for (int m : milestones) if (scaled > m) p /= 2;
        return p;
    }

    /**
     * The window's side for a fraction p of the pixels of an h×w image, as the reference computes it:
     * round(√(p·h·w)), at least 1 and at most h − 1 (so that the window can move).
     */
    static int side(float p, int h, int w) {
        int s = Math.max(1, Math.round((float) Math.sqrt(p * h * w)));
        return Math.max(1, Math.min(s, h - 1));
    }

    /**
     * As the reference implementation (Croce and Hein's square.py, ℓ∞) runs it: the queries are iterations over the
     * examples not yet fooled (margin > 0); each draws one window position and one sign per channel for the whole
     * batch, redrawn while they would change no pixel of any of those examples, and an example keeps the proposal when
     * its margin drops or it becomes misclassified.
     */
    @Override
    public AttackResult run(Model model, Tape tape, Tensor x, Tensor labels, Tensor targets, Rng rng) {
        if (targets != null) throw new IllegalArgumentException(name() + " is untargeted here");
        Backend b = x.backend();
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3), per = c * h * w;
        float[] x0 = x.toArray(), best = new float[x0.length];
        int[] y = Pgd.toInts(labels.toArray());
        // Vertical stripes: one random sign per (example, channel, column).
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int col = 0; col < w; col++) {
                    float s = rng.nextDouble() < 0.5 ? -eps : eps;
                    for (int row = 0; row < h; row++) {
                        int j = i * per + (ch * h + row) * w + col;
                        best[j] = clamp(x0[j] + s, x0[j]);
                    }
                }
        Tensor cand = tape.scratch(this, "candidate", x.shape()).copyFrom(best), loss = tape.scratch(this, "loss", n);
        float[] margin = margins(model, tape, b, cand, labels, loss);
        float[] proposal = best.clone(), sign = new float[c];
        for (int q = 0; q < queries; q++) {
            boolean any = false;
            for (int i = 0; i < n; i++) any |= margin[i] > 0;
            if (!any) break;
            int side = side(fraction(q), h, w);
            int r0 = rng.nextInt(Math.max(1, h - side)), c0 = rng.nextInt(Math.max(1, w - side));
            System.arraycopy(best, 0, proposal, 0, best.length);
            // Up to 16 draws of the signs: a draw that changes nothing (pixels already at that bound) wastes a query.
            for (int draw = 0; draw < 16; draw++) {
                for (int ch = 0; ch < c; ch++) sign[ch] = rng.nextDouble() < 0.5 ? -eps : eps;
                boolean changes = false;
                for (int i = 0; i < n; i++) {
                    if (margin[i] <= 0) continue; // already fooled
                    for (int ch = 0; ch < c; ch++)
                        for (int r = r0; r < Math.min(h, r0 + side); r++)
                            for (int col = c0; col < Math.min(w, c0 + side); col++) {
                                int j = i * per + (ch * h + r) * w + col;
                                proposal[j] = clamp(x0[j] + sign[ch], x0[j]);
                                changes |= Math.abs(proposal[j] - best[j]) >= 1e-7f;
                            }
                }
                if (changes) break;
            }
            cand.copyFrom(proposal);
            float[] m = margins(model, tape, b, cand, labels, loss);
            for (int i = 0; i < n; i++) {
                if (margin[i] > 0 && (m[i] < margin[i] || m[i] <= 0)) {
                    margin[i] = m[i];
                    System.arraycopy(proposal, i * per, best, i * per, per);
                }
            }
        }
        Tensor adv = cand.copyFrom(best);
        int[] pred = b.argmaxRows(model.forward(tape, adv));
        boolean[] success = new boolean[n];
        for (int i = 0; i < n; i++) success[i] = pred[i] != y[i];
        return new AttackResult(adv, pred, success);
    }

    private float clamp(float v, float x0) { return Math.min(Math.max(Math.min(Math.max(v, x0 - eps), x0 + eps), 0f), 1f); }

    /** z_y − max_{j≠y} z_j per example (negative: misclassified). Uses only the model's outputs. */
    private static float[] margins(Model model, Tape tape, Backend b, Tensor xs, Tensor labels, Tensor loss) {
        b.marginLoss(model.forward(tape, xs), labels, Float.POSITIVE_INFINITY, loss, null, 1f);
        float[] m = loss.toArray();
        for (int i = 0; i < m.length; i++) m[i] = -m[i];
        return m;
    }
}
