package io.classwise.attack;

import io.classwise.nn.Model;
import io.classwise.nn.Tape;
import io.classwise.nn.layers.Flatten;
import io.classwise.nn.layers.Linear;
import io.classwise.nn.layers.Normalize;
import io.classwise.nn.layers.Sequential;
import io.classwise.tensor.Tensor;
import io.classwise.tensor.reference.ReferenceBackend;
import io.classwise.util.Rng;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** FAB-T against the closed-form minimal distance of a linear model; APGD-T's loss gradient; AutoAttack's worst-case invariants. */
class AutoAttackTest {

    @BeforeAll
    static void model() throws Exception { AttackTest.trainUndefendedModel(); }

    @AfterAll
    static void close() { AttackTest.close(); }

    /**
     * For a linear 2-class model, the smallest ℓ∞ perturbation reaching the boundary (away from the box's
     * edges) is |g(x)| / ‖w_y − w_t‖₁, g = z_y − z_t. FAB-T must get within its overshoot of it, never below
     * it, and fail when ε is below it.
     */
    @Test
    void fabFindsTheMinimalDistanceOfALinearModel() {
        ReferenceBackend b = new ReferenceBackend();
        Linear lin = new Linear(b, 16, 2, true);
        Sequential net = new Sequential().add(new Flatten()).add("fc", lin);
        Model m = new Model("linear", 2, new int[] {1, 4, 4}, new Normalize(b, new float[] {0}, new float[] {1}), net, lin);
        m.initialize(new Rng(4));
        Rng rng = new Rng(8);
        int n = 6;
        float[] xv = new float[n * 16];
        for (int i = 0; i < xv.length; i++) xv[i] = (float) rng.uniform(0.4, 0.6);
        float[] w = lin.weight().value().toArray(), bias = lin.bias().value().toArray();
        float[] labels = new float[n];
        double[] minimal = new double[n];
        for (int i = 0; i < n; i++) {
            double z0 = bias[0], z1 = bias[1], l1 = 0;
            for (int p = 0; p < 16; p++) { z0 += w[p] * xv[i * 16 + p]; z1 += w[16 + p] * xv[i * 16 + p]; l1 += Math.abs(w[p] - w[16 + p]); }
            labels[i] = z0 >= z1 ? 0 : 1; // the model's own prediction: correctly classified by construction
            minimal[i] = Math.abs(z0 - z1) / l1;
            assertTrue(minimal[i] < 0.35, "the boundary must lie inside the box for the closed form to hold");
        }
        Tensor x = b.allocate(n, 1, 4, 4).copyFrom(xv), y = b.allocate(n).copyFrom(labels);
        AttackResult unbounded = new FabAttack(1f, 100).run(m, new Tape(b), x, y, null, new Rng(1));
        double[] found = FabAttack.distances(xv, unbounded.adversarial().toArray(), n);
        for (int i = 0; i < n; i++) {
            assertTrue(unbounded.success()[i], "example " + i);
            assertTrue(found[i] >= minimal[i] * (1 - 1e-4), "below the minimum: " + found[i] + " < " + minimal[i]);
            assertTrue(found[i] <= minimal[i] * 1.05, "example " + i + ": found " + found[i] + ", minimal " + minimal[i]);
        }
        double below = Double.POSITIVE_INFINITY;
        for (double d : minimal) below = Math.min(below, d);
        AttackResult tooSmall = new FabAttack((float) (0.95 * below), 100).run(m, new Tape(b), x, y, null, new Rng(1));
        for (int i = 0; i < n; i++) assertFalse(tooSmall.success()[i], "no adversarial example exists below the minimal distance");
    }

    /** The ℓ∞-projection FAB uses is the exact minimiser: w·δ = c is met and no coordinate moves further than needed. */
    @Test
    void fabProjectionMeetsTheHyperplaneWithTheSmallestMaxNorm() {
        double[] w = {2, -1, 0.5, 0};
        float[] p = {0.5f, 0.5f, 0.95f, 0.5f};
        double[] delta = FabAttack.project(w, p, 0, 1.0);
        double dot = 0, norm = 0;
        for (int j = 0; j < 4; j++) { dot += w[j] * delta[j]; norm = Math.max(norm, Math.abs(delta[j])); }
        assertEquals(1.0, dot, 1e-12);
        // Coordinate 2 saturates at 0.05 (the box); then r·(2 + 1) + 0.5·0.05 = 1 gives r = 0.325.
        assertEquals(0.325, norm, 1e-7);
        assertEquals(0.05, delta[2], 1e-7);
        assertEquals(0, delta[3]);
    }

    /** APGD-T ascends AutoAttack's targeted DLR; its gradient must be the loss's (central differences in the logits). */
    @Test
    void targetedDlrGradientMatchesFiniteDifferences() {
        ReferenceBackend b = new ReferenceBackend();
        int n = 3, k = 6;
        float[] z = new float[n * k];
        Rng rng = new Rng(3);
        for (int i = 0; i < z.length; i++) z[i] = (float) rng.uniform(-3, 3);
        int[] y = {0, 2, 5}, t = {3, 1, 0};
        Tensor per = b.allocate(n), d = b.allocate(n, k);
        Apgd.targetedDlr(z, y, t, k, per, d);
        float[] g = d.toArray();
        double h = 1e-3;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                float[] zp = z.clone(), zm = z.clone();
                zp[i * k + j] += (float) h;
                zm[i * k + j] -= (float) h;
                Apgd.targetedDlr(zp, y, t, k, per, d);
                double lp = per.toArray()[i];
                Apgd.targetedDlr(zm, y, t, k, per, d);
                double lm = per.toArray()[i];
                assertEquals((lp - lm) / (2 * h), g[i * k + j], 2e-3, "row " + i + " logit " + j);
            }
        }
    }

    /**
     * On the undefended CNN: the ensemble's robust set is the intersection of what its components leave (never above the
     * first component run alone), the per-component robust accuracy only falls, and every adversarial image stays
     * within ε and [0, 1]. A reduced budget keeps it fast; the logic is the standard version's.
     */
    @Test
    void autoAttackIsTheWorstCaseOverItsComponents() {
        int n = 48;
        float eps = 0.05f;
        Tensor x = AttackTest.images(0, n), y = AttackTest.labels(0, n);
        AutoAttack aa = new AutoAttack(eps, 10, 3, 60);
        AttackResult r = aa.run(AttackTest.trained, new Tape(AttackTest.B), x, y, null, new Rng(1));
        AttackResult ce = new Apgd(eps, 10, Apgd.Loss.CROSS_ENTROPY).run(AttackTest.trained, new Tape(AttackTest.B), x, y, null, new Rng(1));
        int[] yi = Pgd.toInts(y.toArray());
        int[] clean = AttackTest.B.argmaxRows(AttackTest.trained.forward(new Tape(AttackTest.B), x));
        int robustAll = 0, robustCe = 0;
        for (int i = 0; i < n; i++) {
            boolean rob = clean[i] == yi[i] && !r.success()[i];
            if (rob) robustAll++;
            if (clean[i] == yi[i] && !ce.success()[i]) robustCe++;
            if (r.brokenBy()[i] >= 0) assertTrue(r.success()[i], "an example a component broke is adversarial");
            if (clean[i] == yi[i] && !r.success()[i]) assertEquals(-1, r.brokenBy()[i]);
        }
        assertTrue(robustAll <= robustCe, "AutoAttack " + robustAll + " robust vs APGD-CE alone " + robustCe);
        float[] x0 = x.toArray(), adv = r.adversarial().toArray();
        for (int i = 0; i < x0.length; i++) {
            assertTrue(Math.abs(adv[i] - x0[i]) <= eps + 1e-6, "‖δ‖∞ ≤ ε");
            assertTrue(adv[i] >= 0 && adv[i] <= 1, "inside [0, 1]");
        }
        assertEquals(List.of("APGD-CE-10", "APGD-T-10", "FAB-T-10", "Square-60"), aa.components());
    }

    @Test
    void theStandardVersionIsTheOneTheCommandLineRuns() {
        Attack a = Attacks.byName("autoattack", Attacks.Settings.of(0.03f));
        assertEquals("AutoAttack", a.name());
        assertEquals(List.of("APGD-CE-100", "APGD-T-100", "FAB-T-100", "Square-5000"), ((AutoAttack) a).components());
    }
}
