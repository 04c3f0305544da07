package io.classwise.train;

import io.classwise.attack.Pgd;
import io.classwise.nn.Grad;
import io.classwise.nn.Losses;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;

/**
 * PGD-AT (Madry et al.), FGSM-RS (Wong et al.: one step α from a uniform random start) and HE
 * (Pang et al.'s hypersphere embedding: cross-entropy with an additive margin s·m on the true class of a
 * cosine head): cross-entropy on the adversarial batch. The attack runs on the training-mode network,
 * as in Madry's and Wong's code.
 */
final class AdversarialObjective implements Objective {
    private final Context c;
    private final Method method;
    private final Pgd attack;

    AdversarialObjective(Context c, Method method) {
        this.c = c;
        this.method = method;
        float eps = (float) c.cfg().eps, step = (float) c.cfg().trainStep;
        Pgd base = method == Method.FGSM_RS ? Pgd.fgsmRandomStart(eps, step) : Pgd.pgd(eps, step, c.cfg().trainSteps, 1);
        this.attack = c.plan().applyTo(base);
    }

    @Override public boolean adversarial() { return true; }

    @Override
    public double lossAndGradients(Batch batch) {
        Backend b = c.model().backend();
        int[] yi = batch.labels();
        int[] cleanPred = b.argmaxRows(c.model().forward(c.eval(), batch.x()));
        batch.clean().add(yi, cleanPred);
        Tensor logits = c.model().forward(c.train(), attack.perturb(c.model(), c.train(), batch.x(), batch.y(), batch.rng()));
        batch.countAdversarial(cleanPred, b.argmaxRows(logits));
        batch.collect(logits);
        Tensor d = c.buffers().get("dLogits", logits.shape()), per = c.buffers().get("lossPerExample", yi.length);
        if (method == Method.HE) {
            Tensor shifted = c.buffers().get("heLogits", logits.shape());
            b.addAtLabels(logits, batch.y(), (float) (-c.cfg().heScale * c.cfg().heMargin), shifted);
            logits = shifted;
        }
        double loss = Losses.crossEntropy(logits, batch.y(), 1f, per, d);
        loss = ClassWeights.apply(c, batch, per, d, loss);
        c.model().backward(c.train(), d, Grad.PARAMS);
        return loss;
    }
}
