package io.classwise.train;

import io.classwise.attack.Pgd;
import io.classwise.nn.Grad;
import io.classwise.nn.Losses;
import io.classwise.nn.Model;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;

/**
 * TRADES (Zhang et al. 2019): x′ maximises KL(f(x) ‖ f(x′)) from x + 0.001·N(0, I) ({@link Pgd#tradesKl}, on
 * the evaluation-mode network, as Zhang et al.'s code); the loss is CE(f(x), y) + β·KL(f(x) ‖ f(x′)), both
 * passes in training mode. With a {@link ClassPlan} (FRL, CFA, DAFA): example i is attacked within ε_{y_i} and
 * the loss is Σ_i (c_{y_i}·CE_i + β·r_{y_i}·KL_i) / D, D = N or Σ_i (c_{y_i} + r_{y_i}).
 */
final class TradesObjective implements Objective {
    private final Context c;
    private final Pgd klAttack;

    TradesObjective(Context c) {
        this.c = c;
        this.klAttack = c.plan().applyTo(Pgd.tradesKl((float) c.cfg().eps, (float) c.cfg().trainStep, c.cfg().trainSteps));
    }

    @Override public boolean adversarial() { return true; }

    @Override
    public double lossAndGradients(Batch batch) {
        Model model = c.model();
        Backend b = model.backend();
        int[] yi = batch.labels();
        int n = yi.length, k = model.numClasses();
        Tensor x = batch.x();
        Tensor cleanLogits = c.buffers().get("tradesCleanLogits", n, k); // (N, K), the KL's reference distribution
        b.copy(model.forward(c.eval(), x), cleanLogits);
        Tensor xAdv = klAttack.perturb(model, c.eval(), x, cleanLogits, yi, batch.rng());
        Tensor zc = model.forward(c.clean(), x);
        int[] cleanPred = b.argmaxRows(zc);
        batch.clean().add(yi, cleanPred);
        Tensor za = model.forward(c.train(), xAdv);
        batch.countAdversarial(cleanPred, b.argmaxRows(za));
        batch.collect(za);
        Tensor per = c.buffers().get("lossPerExample", n), dce = c.buffers().get("dCleanCe", n, k), dp = c.buffers().get("dp", n, k);
        Tensor dqa = c.buffers().get("dqAdv", n, k), perKl = c.buffers().get("klPerExample", n);
        double ce = Losses.crossEntropy(zc, batch.y(), 1f, per, dce);
        double kl = Losses.klDivergence(zc, za, perKl, dp, dqa);
        float beta = (float) c.cfg().beta;
        ClassPlan plan = c.plan();
        double weighted = Double.NaN;
        if (plan.cleanWeight() != null || plan.robustWeight() != null) {
            // The gradients are of the means (1/N per row): row i scales by its weight·N/D.
            float[] ce1 = per.toArray(), kl1 = perKl.toArray(), cw = new float[n], rw = new float[n];
            double d = 0, sum = 0;
            for (int i = 0; i < n; i++) {
                float a = ClassPlan.weight(plan.cleanWeight(), yi[i]), r = ClassPlan.weight(plan.robustWeight(), yi[i]);
                d += plan.normalizeByWeights() ? a + r : 1;
                sum += a * (double) ce1[i] + beta * r * (double) kl1[i];
                cw[i] = a;
                rw[i] = r;
            }
            float scale = d > 0 ? (float) (n / d) : 0f;
            for (int i = 0; i < n; i++) { cw[i] *= scale; rw[i] *= scale; }
            Tensor cwRows = c.buffers().get("tradesCleanWeights", n).copyFrom(cw), rwRows = c.buffers().get("tradesRobustWeights", n).copyFrom(rw);
            b.scaleRows(dce, cwRows);
            b.scaleRows(dp, rwRows);
            b.scaleRows(dqa, rwRows);
            weighted = d > 0 ? sum / d : 0;
        }
        b.axpy(beta, dp, dce);            // ∂/∂z_clean = ∂CE + β ∂KL/∂p
        b.scale(dqa, beta);               // ∂/∂z_adv = β ∂KL/∂q
        model.backward(c.clean(), dce, Grad.PARAMS);
        model.backward(c.train(), dqa, Grad.PARAMS);
        return Double.isNaN(weighted) ? ce + c.cfg().beta * kl : weighted;
    }
}
