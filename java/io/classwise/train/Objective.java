package io.classwise.train;

import io.classwise.nn.Model;
import io.classwise.nn.Tape;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;

/**
 * One training method's objective on a batch: it runs whatever attack the method needs, records the
 * batch's clean and robust predictions per class, accumulates the parameter gradients, and returns the
 * batch's mean loss. The trainer owns the epoch loop, the optimiser step and the files; a new method
 * (e.g. a class-aware defense) is a new implementation of this interface.
 */
interface Objective {
    /**
     * A batch: images (N, C, H, W), labels as floats (N) and ints, where the per-class accounting goes, the attack's
     * randomness, (nullable) where the adversarial examples' softmax per class is collected (DAFA's warm-up), and
     * (nullable) the accuracy on the adversarial examples alone, whatever the clean prediction (what CFA calibrates with).
     */
    record Batch(Tensor x, Tensor y, int[] labels, ClassAccuracy clean, ClassAccuracy robust, Rng rng, ClassProbabilities adversarialProbabilities,
                 ClassAccuracy adversarial) {
        Batch(Tensor x, Tensor y, int[] labels, ClassAccuracy clean, ClassAccuracy robust, Rng rng) {
            this(x, y, labels, clean, robust, rng, null, null);
        }

        /** Counts a batch's adversarial predictions: robust (right on clean and adversarial) and adversarial-only. */
        void countAdversarial(int[] cleanPred, int[] advPred) {
            robust.add(labels, Evaluation.robustPredictions(labels, cleanPred, advPred));
            if (adversarial != null) adversarial.add(labels, advPred);
        }

        /** Collects the adversarial logits (N, K) when asked to. */
        void collect(Tensor adversarialLogits) {
            if (adversarialProbabilities != null) adversarialProbabilities.add(labels, adversarialLogits.toArray());
        }
    }

    /**
     * What every objective works with: the model, the tapes (the training-mode pass that is
     * differentiated, a second training-mode pass for methods with a clean term, an evaluation-mode pass),
     * reusable buffers, the configuration and this epoch's per-class budgets and weights.
     */
    record Context(Model model, Tape train, Tape clean, Tape eval, Buffers buffers, TrainConfig cfg, ClassPlan plan) {
        Context(Model model, Tape train, Tape clean, Tape eval, Buffers buffers, TrainConfig cfg) {
            this(model, train, clean, eval, buffers, cfg, ClassPlan.fromConfig(cfg));
        }
    }

    double lossAndGradients(Batch batch);

    /** Whether the method trains on adversarial examples (and so has a robust accuracy on its training batches). */
    boolean adversarial();

    static Objective of(Method method, Context ctx) {
        return switch (method) {
            case NATURAL -> new NaturalObjective(ctx);
            case PGD_AT, FGSM_RS, HE -> new AdversarialObjective(ctx, method);
            case TRADES, FRL -> new TradesObjective(ctx);
            case MART -> new MartObjective(ctx);
            case CFA, DAFA -> ctx.cfg().fairBase.equals("trades") ? new TradesObjective(ctx) : new AdversarialObjective(ctx, Method.PGD_AT);
        };
    }
}
