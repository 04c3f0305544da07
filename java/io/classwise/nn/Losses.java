package io.classwise.nn;

import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;

/**
 * Mean losses over a batch with the gradient of the mean, built on the backend's per-example loss
 * primitives. Per-example values stay available in the {@code perExample} tensor (N).
 */
public final class Losses {
    private Losses() {}

    /** Mean of −log softmax(z/T)[y]; dLogits (nullable) gets ∂mean/∂z. */
    public static double crossEntropy(Tensor logits, Tensor labels, float temperature, Tensor perExample, Tensor dLogits) {
        Backend b = logits.backend();
        int n = logits.dim(0);
        b.softmaxCrossEntropy(logits, labels, temperature, perExample, dLogits, 1f / n);
        return b.sum(perExample) / n;
    }

    /** Mean KL(softmax(p) ‖ softmax(q)) (TRADES' robust term); gradients of the mean, nullable. */
    public static double klDivergence(Tensor logitsP, Tensor logitsQ, Tensor perExample, Tensor dP, Tensor dQ) {
        Backend b = logitsP.backend();
        int n = logitsP.dim(0);
        b.klDivergence(logitsP, logitsQ, perExample, dP, dQ, 1f / n);
        return b.sum(perExample) / n;
    }

    /** Mean of MART's boosted cross-entropy; dLogits (nullable) gets ∂mean/∂z. */
    public static double boostedCrossEntropy(Tensor logits, Tensor labels, Tensor perExample, Tensor dLogits) {
        Backend b = logits.backend();
        int n = logits.dim(0);
        b.boostedCrossEntropy(logits, labels, perExample, dLogits, 1f / n);
        return b.sum(perExample) / n;
    }
}
