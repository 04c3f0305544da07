package io.classwise.train;

import io.classwise.attack.Attack;
import io.classwise.data.ImageDataset;
import io.classwise.data.pipeline.Batch;
import io.classwise.data.pipeline.BatchLoader;
import io.classwise.data.pipeline.Transform;
import io.classwise.nn.Model;
import io.classwise.nn.Tape;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;

/**
 * Clean and attacked predictions over a dataset, the model in evaluation mode. An example counts as
 * robust only when the model is right on it and on its adversarial counterpart (so robust accuracy
 * never exceeds clean accuracy, even when an attack stumbles onto the right class): its "robust
 * prediction" is the clean prediction when that is wrong, else the prediction after the attack.
 */
public final class Evaluation {
    private Evaluation() {}

    /** Per example: label, clean prediction, robust prediction (null array when attack is null). */
    public record Predictions(int[] labels, int[] clean, int[] robust, int classes) {
        public ClassAccuracy cleanAccuracy() { return accuracy(clean); }

        public ClassAccuracy robustAccuracy() { return robust == null ? null : accuracy(robust); }

        private ClassAccuracy accuracy(int[] pred) {
            ClassAccuracy a = new ClassAccuracy(classes);
            a.add(labels, pred);
            return a;
        }
    }

    public static Predictions predict(Model model, ImageDataset data, Transform transform, Attack attack, int batchSize, Rng rng) {
        Backend b = model.backend();
        int n = data.size();
        int[] labels = new int[n], clean = new int[n], robust = attack == null ? null : new int[n];
        BatchLoader loader = new BatchLoader(data, transform, batchSize, false, false, 0, 1);
        Tape tape = new Tape(b);
        Tensor x = null, y = null;
        int at = 0;
        try (BatchLoader.Epoch it = loader.epoch(0)) {
            while (it.hasNext()) {
                Batch batch = it.next();
                if (x == null || !x.hasShape(batch.shape())) {
                    x = b.allocate(batch.shape());
                    y = b.allocate(batch.size());
                }
                b.upload(batch.images(), x);
                y.copyFrom(batch.labelsAsFloats());
                int[] cleanPred = b.argmaxRows(model.forward(tape, x));
                int[] adv = attack == null ? null : attack.run(model, tape, x, y, rng).predictions();
                for (int r = 0; r < batch.size(); r++, at++) {
                    labels[at] = batch.label(r);
                    clean[at] = cleanPred[r];
                    if (robust != null) robust[at] = cleanPred[r] != labels[at] ? cleanPred[r] : adv[r];
                }
            }
        }
        return new Predictions(labels, clean, robust, data.numClasses());
    }

    /** Returns {clean, robust}; robust is null when attack is null. */
    public static ClassAccuracy[] run(Model model, ImageDataset data, Transform transform, Attack attack, int batchSize, Rng rng) {
        Predictions p = predict(model, data, transform, attack, batchSize, rng);
        return new ClassAccuracy[] {p.cleanAccuracy(), p.robustAccuracy()};
    }
}
