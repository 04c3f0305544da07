package io.classwise.train;

import io.classwise.attack.Attack;
import io.classwise.attack.TargetChoice;
import io.classwise.data.ImageDataset;
import io.classwise.data.pipeline.Batch;
import io.classwise.data.pipeline.BatchLoader;
import io.classwise.data.pipeline.Transform;
import io.classwise.nn.Model;
import io.classwise.nn.Tape;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;
import io.classwise.attack.AttackResult;

/**
 * Clean and attacked predictions over a dataset, the model in evaluation mode.
 *
 * <p>Classwise's one definition of robust, used for training metrics, test metrics, attacks and the
 * diagnosis alike: an example is robust when the model is right on it and on its adversarial
 * counterpart. Robust accuracy is the share of all examples that are robust, so it never exceeds
 * clean accuracy (even when an attack stumbles onto the right class); robust accuracy divided by clean
 * accuracy is the study's robustness of the correctly classified examples. Its "robust prediction" is
 * the clean prediction when that is wrong, else the prediction after the attack.
 */
public final class Evaluation {
    private Evaluation() {}

    /** Said in metrics.jsonl and the report beside every robust accuracy. */
    public static final String ROBUST_DEFINITION = "robust = correct on the clean example and on its adversarial example "
            + "(share of all examples; robust / clean = robustness of the correctly classified ones)";

    /** Per example: the clean prediction where it is wrong, else the prediction after the attack (see {@link #ROBUST_DEFINITION}). */
    public static int[] robustPredictions(int[] labels, int[] clean, int[] adversarial) {
        int[] robust = new int[labels.length];
        for (int i = 0; i < labels.length; i++) robust[i] = clean[i] != labels[i] ? clean[i] : adversarial[i];
        return robust;
    }

    /**
     * Per example: label, clean prediction, robust prediction (null array when attack is null), the
     * prediction after the attack itself, for a targeted attack its target (-1: none; null untargeted), and for
     * an ensemble (AutoAttack) the component that broke the example (-1: none; null for a single attack).
     */
    public record Predictions(int[] labels, int[] clean, int[] robust, int[] adversarial, int[] targets, int classes, int[] brokenBy) {
        public Predictions(int[] labels, int[] clean, int[] robust, int classes) { this(labels, clean, robust, robust, null, classes, null); }

        /**
         * An ensemble's robust accuracy per class after each of its first c+1 components (rows c = 0..components−1),
         * on the study's population convention (clean errors count as not robust): how much each component adds.
         */
        public double[][] robustAfterEachComponent(int components) {
            if (brokenBy == null) throw new IllegalStateException("the attack was not an ensemble");
            double[][] out = new double[components][classes];
            long[] total = new long[classes];
            for (int label : labels) total[label]++;
            for (int c = 0; c < components; c++) {
                long[] kept = new long[classes];
                for (int i = 0; i < labels.length; i++) {
                    boolean survived = clean[i] == labels[i] && (brokenBy[i] < 0 || brokenBy[i] > c);
                    if (survived) kept[labels[i]]++;
                }
                for (int k = 0; k < classes; k++) out[c][k] = total[k] == 0 ? Double.NaN : (double) kept[k] / total[k];
            }
            return out;
        }

        public ClassAccuracy cleanAccuracy() { return accuracy(clean); }

        /**
         * Targeted attacks, per class of the true label: the share of the examples classified correctly
         * before the attack (and given a target) that the attack pushed into their target. NaN where none.
         */
        public double[] targetHitRate() {
            long[] hit = new long[classes], tried = new long[classes];
            for (int i = 0; i < labels.length; i++) {
                if (targets == null || targets[i] < 0 || clean[i] != labels[i]) continue;
                tried[labels[i]]++;
                if (adversarial[i] == targets[i]) hit[labels[i]]++;
            }
            double[] r = new double[classes];
            for (int c = 0; c < classes; c++) r[c] = tried[c] == 0 ? Double.NaN : (double) hit[c] / tried[c];
            return r;
        }

        public ClassAccuracy robustAccuracy() { return robust == null ? null : accuracy(robust); }

        /** Per example, whether it is robust (right on the clean example and under the attack). */
        public boolean[] robustMask() {
            if (robust == null) throw new IllegalStateException("no attack was run");
            boolean[] ok = new boolean[labels.length];
            for (int i = 0; i < ok.length; i++) ok[i] = robust[i] == labels[i];
            return ok;
        }

        private ClassAccuracy accuracy(int[] pred) {
            ClassAccuracy a = new ClassAccuracy(classes);
            a.add(labels, pred);
            return a;
        }
    }

    public static Predictions predict(Model model, ImageDataset data, Transform transform, Attack attack, int batchSize, Rng rng) {
        return predict(model, data, transform, attack, null, batchSize, rng);
    }

    /**
     * Receives every attacked batch (for galleries of adversarial examples): clean and adversarial
     * pixels (n, C, H, W) flattened, the examples' indices in the dataset, labels and both predictions.
     * The arrays are the receiver's to keep.
     */
    public interface ExampleSink {
        void batch(int[] shape, float[] clean, float[] adversarial, int[] indices, int[] labels, int[] cleanPred, int[] advPred);

        /** True once nothing more is wanted: the remaining batches' images are then not downloaded at all. */
        default boolean full() { return false; }
    }

    /** As above; with a target choice the attack is run targeted (an example without a target aims at its own label). */
    public static Predictions predict(Model model, ImageDataset data, Transform transform, Attack attack, TargetChoice targeting,
                                      int batchSize, Rng rng) {
        return predict(model, data, transform, attack, targeting, null, batchSize, rng);
    }

    /** As above; sink (nullable) receives each attacked batch's images. */
    public static Predictions predict(Model model, ImageDataset data, Transform transform, Attack attack, TargetChoice targeting,
                                      ExampleSink sink, int batchSize, Rng rng) {
        return predict(model, data, transform, attack, targeting, sink, batchSize, first -> rng);
    }

    /** Where each batch's attack draws its random numbers from, given the index of the batch's first example. */
    public interface BatchRandomness { Rng forBatch(int firstExample); }

    /**
     * Each batch's attack (random starts, random targets, Square's proposals) draws from its own generator,
     * {@link Rng#derive}(seed, offset + index of its first example): a data set cut into shards at batch
     * boundaries and evaluated on several machines gives exactly the predictions of one evaluation of it
     * (offset: where this data set starts in the whole).
     */
    public static BatchRandomness perBatch(long seed, int offset) { return first -> Rng.derive(seed, (long) offset + first); }

    /** As above, with the attack's randomness chosen per batch. */
    public static Predictions predict(Model model, ImageDataset data, Transform transform, Attack attack, TargetChoice targeting,
                                      ExampleSink sink, int batchSize, BatchRandomness randomness) {
        Backend b = model.backend();
        int n = data.size();
        int[] labels = new int[n], clean = new int[n], robust = attack == null ? null : new int[n];
        int[] adversarial = attack == null ? null : new int[n], targets = targeting == null ? null : new int[n];
        int[] brokenBy = null;
        BatchLoader loader = new BatchLoader(data, transform, batchSize, false, false, 0, 1);
        int at = 0;
        // The tape owns every tensor of the evaluation (the model's passes, the attack's buffers, the batch) and releases them at the end.
        try (Tape tape = new Tape(b); BatchLoader.Epoch it = loader.epoch(0)) {
            while (it.hasNext()) {
                Batch batch = it.next();
                Rng rng = randomness.forBatch(at);
                Tensor x = tape.scratch(Evaluation.class, "x", batch.shape()), y = tape.scratch(Evaluation.class, "y", batch.size());
                b.upload(batch.images(), x);
                y.copyFrom(batch.labelsAsFloats());
                Tensor logits = model.forward(tape, x);
                float[] logitValues = logits.toArray();
                for (int v = 0; v < logitValues.length; v++) {
                    if (!Float.isFinite(logitValues[v])) {
                        // NaN logits make every attack "fail": robustness would be reported where there is none.
                        throw new IllegalStateException("the model's logits are " + logitValues[v] + " for example "
                                + batch.index(v / data.numClasses())
                                + " of " + data.source() + ": its weights or inputs are broken, so no accuracy can be measured");
                    }
                }
                int[] cleanPred = b.argmaxRows(logits);
                int[] batchLabels = new int[batch.size()];
                for (int r = 0; r < batchLabels.length; r++) batchLabels[r] = batch.label(r);
                int[] batchTargets = null;
                if (targeting != null && attack != null) {
                    batchTargets = targeting.choose(batchLabels, logitValues, data.numClasses(), rng);
                    float[] t = new float[batchTargets.length];
                    for (int r = 0; r < t.length; r++) t[r] = batchTargets[r] >= 0 ? batchTargets[r] : batchLabels[r];
                    tape.scratch(Evaluation.class, "aim", t.length).copyFrom(t);
                }
                int[] adv = null;
                if (attack != null) {
                    AttackResult result = attack.run(model, tape, x, y,
                            batchTargets == null ? null : tape.scratch(Evaluation.class, "aim", batchTargets.length), rng);
                    adv = result.predictions();
                    if (result.brokenBy() != null) {
                        if (brokenBy == null) brokenBy = new int[n];
                        System.arraycopy(result.brokenBy(), 0, brokenBy, at, batch.size());
                    }
                    if (sink != null && !sink.full()) {
                        int[] indices = new int[batch.size()];
                        for (int r = 0; r < indices.length; r++) indices[r] = batch.index(r);
                        sink.batch(batch.shape(), x.toArray(), result.adversarial().toArray(), indices, batchLabels, cleanPred, adv);
                    }
                }
                int[] rob = adv == null ? null : robustPredictions(batchLabels, cleanPred, adv);
                for (int r = 0; r < batch.size(); r++, at++) {
                    labels[at] = batchLabels[r];
                    clean[at] = cleanPred[r];
                    if (robust != null) { robust[at] = rob[r]; adversarial[at] = adv[r]; }
                    if (targets != null) targets[at] = batchTargets == null ? -1 : batchTargets[r];
                }
            }
        }
        return new Predictions(labels, clean, robust, adversarial, targets, data.numClasses(), brokenBy);
    }

    /** Returns {clean, robust}; robust is null when attack is null. */
    public static ClassAccuracy[] run(Model model, ImageDataset data, Transform transform, Attack attack, int batchSize, Rng rng) {
        Predictions p = predict(model, data, transform, attack, batchSize, rng);
        return new ClassAccuracy[] {p.cleanAccuracy(), p.robustAccuracy()};
    }
}
