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
 * Clean and attacked accuracy per class over a dataset, the model in evaluation mode. An example
 * counts as robust only when the model is right on it and on its adversarial counterpart (so robust
 * accuracy never exceeds clean accuracy, even when an attack stumbles onto the right class).
 */
public final class Evaluation {
    private Evaluation() {}

    /** Returns {clean, robust}; robust is null when attack is null. */
    public static ClassAccuracy[] run(Model model, ImageDataset data, Transform transform, Attack attack, int batchSize, Rng rng) {
        Backend b = model.backend();
        int k = data.numClasses();
        ClassAccuracy clean = new ClassAccuracy(k), robust = attack == null ? null : new ClassAccuracy(k);
        BatchLoader loader = new BatchLoader(data, transform, batchSize, false, false, 0, 1);
        Tape tape = new Tape(b);
        Tensor x = null, y = null;
        try (BatchLoader.Epoch it = loader.epoch(0)) {
            while (it.hasNext()) {
                Batch batch = it.next();
                if (x == null || !x.hasShape(batch.shape())) {
                    x = b.allocate(batch.shape());
                    y = b.allocate(batch.size());
                }
                b.upload(batch.images(), x);
                y.copyFrom(batch.labelsAsFloats());
                int[] yi = new int[batch.size()];
                for (int r = 0; r < yi.length; r++) yi[r] = batch.label(r);
                int[] cleanPred = b.argmaxRows(model.forward(tape, x));
                clean.add(yi, cleanPred);
                if (attack != null) {
                    int[] adv = attack.run(model, tape, x, y, rng).predictions();
                    int[] robustPred = new int[adv.length];
                    for (int r = 0; r < adv.length; r++) robustPred[r] = cleanPred[r] != yi[r] ? cleanPred[r] : adv[r];
                    robust.add(yi, robustPred);
                }
            }
        }
        return new ClassAccuracy[] {clean, robust};
    }
}
