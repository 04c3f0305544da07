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
 * passes in training mode.
 */
final class TradesObjective implements Objective {
    private final Context c;
    private final Pgd klAttack;

    TradesObjective(Context c) {
        this.c = c;
        this.klAttack = Pgd.tradesKl((float) c.cfg().eps, (float) c.cfg().trainStep, c.cfg().trainSteps);
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
        Tensor xAdv = klAttack.perturb(model, c.eval(), x, cleanLogits, batch.rng());
        Tensor zc = model.forward(c.clean(), x);
        int[] cleanPred = b.argmaxRows(zc);
        batch.clean().add(yi, cleanPred);
        Tensor za = model.forward(c.train(), xAdv);
        batch.robust().add(yi, Evaluation.robustPredictions(yi, cleanPred, b.argmaxRows(za)));
        Tensor per = c.buffers().get("lossPerExample", n), dce = c.buffers().get("dCleanCe", n, k), dp = c.buffers().get("dp", n, k);
        Tensor dqa = c.buffers().get("dqAdv", n, k), perKl = c.buffers().get("klPerExample", n);
        double ce = Losses.crossEntropy(zc, batch.y(), 1f, per, dce);
        double kl = Losses.klDivergence(zc, za, perKl, dp, dqa);
        float beta = (float) c.cfg().beta;
        b.axpy(beta, dp, dce);            // ∂/∂z_clean = ∂CE + β ∂KL/∂p
        b.scale(dqa, beta);               // ∂/∂z_adv = β ∂KL/∂q
        model.backward(c.clean(), dce, Grad.PARAMS);
        model.backward(c.train(), dqa, Grad.PARAMS);
        return ce + c.cfg().beta * kl;
    }
}
