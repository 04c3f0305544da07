package io.classwise.attack;

import io.classwise.nn.Model;
import io.classwise.nn.Tape;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * AutoAttack's standard ensemble, ℓ∞ (Croce and Hein, "Reliable evaluation of adversarial robustness with an
 * ensemble of diverse parameter-free attacks", ICML 2020): APGD-CE (100 iterations), APGD-T (targeted DLR,
 * 100 iterations towards each of the 9 most likely other classes), FAB-T (100 iterations per target, the same
 * 9 targets) and Square (5,000 queries). Each component attacks only the examples every earlier one left
 * robust, and an example is robust only if all fail: the worst case per example. Examples the model
 * misclassifies clean are not attacked (they are not robust). The result says which component broke each
 * example ({@link AttackResult#brokenBy()}, an index into {@link #components()}), so the contribution of each
 * component per class can be reported.
 */
public final class AutoAttack implements Attack {
    private final float eps;
    private final int iterations, targets, queries;
    private final List<Attack> components;

    /** The standard version: 100 iterations, 9 target classes, 5,000 Square queries. */
    public static AutoAttack standard(float eps) { return new AutoAttack(eps, 100, 9, 5000); }

    public AutoAttack(float eps, int iterations, int targets, int queries) {
        if (!(eps > 0) || iterations < 2 || targets < 1 || queries < 1) {
            throw new IllegalArgumentException("AutoAttack needs eps > 0, iterations >= 2, targets >= 1, queries >= 1");
        }
        this.eps = eps;
        this.iterations = iterations;
        this.targets = targets;
        this.queries = queries;
        this.components = List.of(new Apgd(eps, iterations, Apgd.Loss.CROSS_ENTROPY), new Apgd(eps, iterations, Apgd.Loss.DLR_TARGETED),
                new FabAttack(eps, iterations), new SquareAttack(eps, queries));
    }

    @Override
    public String name() {
        return iterations == 100 && targets == 9 && queries == 5000 ? "AutoAttack" : "AutoAttack(" + iterations + " it, " + targets
                + " targets, " + queries + " queries)";
    }

    /** The components' names, in the order they run; {@link AttackResult#brokenBy()} indexes this list. */
    public List<String> components() {
        List<String> names = new ArrayList<>();
        for (Attack a : components) names.add(a.name());
        return names;
    }

    @Override
    public AttackResult run(Model model, Tape tape, Tensor x, Tensor labels, Tensor targetsIgnored, Rng rng) {
        if (targetsIgnored != null) throw new IllegalArgumentException(name() + " is untargeted (its targeted components choose their own targets)");
        Backend b = x.backend();
        int n = x.dim(0), k = model.numClasses(), d = x.size() / n;
        int[] y = Pgd.toInts(labels.toArray());
        float[] x0 = x.toArray(), adv = x0.clone(), z = model.forward(tape, x).toArray();
        int[] brokenBy = new int[n];
        Arrays.fill(brokenBy, -1);
        boolean[] robust = new boolean[n];
        for (int i = 0; i < n; i++) robust[i] = argmax(z, i, k) == y[i];
        int targetCount = Math.min(targets, k - 1);
        for (int c = 0; c < components.size(); c++) {
            Attack a = components.get(c);
            boolean targeted = c == 1 || c == 2;
            if (c == 1 && k < 4) continue; // the targeted DLR needs four classes
            for (int rank = 1; rank <= (targeted ? targetCount : 1); rank++) {
                int[] rows = stillRobust(robust);
                if (rows.length == 0) break;
                int[] shape = x.shape();
                shape[0] = rows.length;
                Tensor xs = tape.scratch(this, "x", shape).copyFrom(gather(x0, rows, d));
                float[] ys = new float[rows.length], ts = targeted ? new float[rows.length] : null;
                for (int r = 0; r < rows.length; r++) {
                    ys[r] = y[rows[r]];
                    if (targeted) ts[r] = rankedOther(z, rows[r], k, y[rows[r]], rank);
                }
                Tensor yt = tape.scratch(this, "y", rows.length).copyFrom(ys);
                Tensor tt = targeted ? tape.scratch(this, "t", rows.length).copyFrom(ts) : null;
                AttackResult res = a.run(model, tape, xs, yt, tt, rng);
                float[] found = res.adversarial().toArray();
                for (int r = 0; r < rows.length; r++) {
                    if (!res.success()[r]) continue;
                    int i = rows[r];
                    System.arraycopy(found, r * d, adv, i * d, d);
                    robust[i] = false;
                    brokenBy[i] = c;
                }
            }
        }
        Tensor out = tape.scratch(this, "adversarial", x.shape()).copyFrom(adv);
        int[] pred = b.argmaxRows(model.forward(tape, out));
        boolean[] success = new boolean[n];
        for (int i = 0; i < n; i++) success[i] = pred[i] != y[i];
        return new AttackResult(out, pred, success, brokenBy);
    }

    private static int[] stillRobust(boolean[] robust) {
        int m = 0;
        for (boolean r : robust) if (r) m++;
        int[] rows = new int[m];
        for (int i = 0, j = 0; i < robust.length; i++) if (robust[i]) rows[j++] = i;
        return rows;
    }

    private static float[] gather(float[] all, int[] rows, int d) {
        float[] out = new float[rows.length * d];
        for (int r = 0; r < rows.length; r++) System.arraycopy(all, rows[r] * d, out, r * d, d);
        return out;
    }

    private static int argmax(float[] z, int row, int k) {
        int best = 0;
        for (int j = 1; j < k; j++) if (z[row * k + j] > z[row * k + best]) best = j;
        return best;
    }

    /** The class with the rank-th largest clean logit among those other than y (rank 1 = the most likely wrong class). */
    static int rankedOther(float[] z, int row, int k, int y, int rank) {
        Integer[] idx = new Integer[k];
        for (int j = 0; j < k; j++) idx[j] = j;
        Arrays.sort(idx, (a, bb) -> Float.compare(z[row * k + bb], z[row * k + a]));
        int seen = 0;
        for (int j : idx) {
            if (j == y) continue;
            if (++seen == rank) return j;
        }
        throw new IllegalArgumentException("rank " + rank + " exceeds the " + (k - 1) + " other classes");
    }
}
