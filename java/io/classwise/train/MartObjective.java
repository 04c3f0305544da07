package io.classwise.train;

import io.classwise.attack.Pgd;
import io.classwise.nn.Grad;
import io.classwise.nn.Losses;
import io.classwise.nn.Model;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;

/**
 * MART (Wang et al. 2020): x′ = PGD on cross-entropy; loss = BCE(f(x′), y) + β·mean_i KL(p(x_i) ‖ p(x′_i))·(1 − p_y(x_i)),
 * where the weight's gradient is included: ∂(1 − p_y)/∂z = p_y·(p − onehot).
 */
final class MartObjective implements Objective {
    private final Context c;
    private final Pgd attack;

    MartObjective(Context c) {
        this.c = c;
        this.attack = c.plan().applyTo(Pgd.pgd((float) c.cfg().eps, (float) c.cfg().trainStep, c.cfg().trainSteps, 1));
    }

    @Override public boolean adversarial() { return true; }

    @Override
    public double lossAndGradients(Batch batch) {
        Model model = c.model();
        Backend b = model.backend();
        int[] yi = batch.labels();
        int n = yi.length, k = model.numClasses();
        Tensor za = model.forward(c.train(), attack.perturb(model, c.train(), batch.x(), batch.y(), batch.rng()));
        int[] advPred = b.argmaxRows(za);
        batch.collect(za);
        Tensor zc = model.forward(c.clean(), batch.x());
        int[] cleanPred = b.argmaxRows(zc);
        batch.clean().add(yi, cleanPred);
        batch.countAdversarial(cleanPred, advPred);
        Tensor perBce = c.buffers().get("lossPerExample", n), dza = c.buffers().get("dAdvLogits", n, k);
        double bce = Losses.boostedCrossEntropy(za, batch.y(), perBce, dza);
        Tensor perKl = c.buffers().get("klPerExample", n), dp = c.buffers().get("dp", n, k), dq = c.buffers().get("dq", n, k);
        Tensor perCe = c.buffers().get("cePerExample", n), dce = c.buffers().get("dCleanCe", n, k);
        b.klDivergence(zc, za, perKl, dp, dq, 1f);
        b.softmaxCrossEntropy(zc, batch.y(), 1f, perCe, dce, 1f);
        float[] kl = perKl.toArray(), ce = perCe.toArray();
        float[] w = new float[n], klTimesPy = new float[n];
        double robustTerm = 0;
        for (int i = 0; i < n; i++) {
            double py = Math.exp(-ce[i]);
            w[i] = (float) (1.0000001 - py);
            klTimesPy[i] = (float) (kl[i] * py);
            robustTerm += kl[i] * w[i];
        }
        float scale = (float) (c.cfg().beta / n);
        Tensor wt = c.buffers().get("martWeight", n).copyFrom(w), kp = c.buffers().get("martKlTimesPy", n).copyFrom(klTimesPy);
        b.scaleRows(dq, wt);                          // ∂/∂z_adv of the KL term
        b.axpy(scale, dq, dza);
        b.scaleRows(dp, wt);                          // ∂/∂z_clean: w·∂KL/∂p + KL·p_y·(p − onehot)
        b.scaleRows(dce, kp);
        b.axpy(1f, dce, dp);
        b.scale(dp, scale);
        model.backward(c.train(), dza, Grad.PARAMS);
        model.backward(c.clean(), dp, Grad.PARAMS);
        return bce + c.cfg().beta * robustTerm / n;
    }
}
