package io.classwise.train;

import io.classwise.nn.Grad;
import io.classwise.nn.Losses;
import io.classwise.tensor.Tensor;

/** Natural training: cross-entropy on the clean batch. */
final class NaturalObjective implements Objective {
    private final Context c;

    NaturalObjective(Context c) { this.c = c; }

    @Override public boolean adversarial() { return false; }

    @Override
    public double lossAndGradients(Batch batch) {
        Tensor logits = c.model().forward(c.train(), batch.x());
        batch.clean().add(batch.labels(), c.model().backend().argmaxRows(logits));
        Tensor d = c.buffers().get("dLogits", logits.shape()), per = c.buffers().get("lossPerExample", batch.labels().length);
        double loss = Losses.crossEntropy(logits, batch.y(), 1f, per, d);
        loss = ClassWeights.apply(c, batch, per, d, loss);
        c.model().backward(c.train(), d, Grad.PARAMS);
        return loss;
    }
}
