package io.classwise.analysis;

import io.classwise.train.Evaluation;

import java.util.ArrayList;
import java.util.List;

/**
 * A few adversarial examples per class to look at: for each true class, up to {@code perClass} of its
 * examples that were classified correctly and then flipped by the attack (what the attack did), filled
 * up with examples it could not flip. Clean errors are left out, as in the flip matrix. Collected from
 * the attacked batches of an evaluation ({@link Evaluation.ExampleSink}) in dataset order, so the
 * choice is fixed by the seed.
 */
public final class AdversarialExamples implements Evaluation.ExampleSink {
    /** One example: pixels (C·H·W) before and after the attack, its label and the two predictions. */
    public record Example(int index, int label, int cleanPrediction, int adversarialPrediction, float[] clean, float[] adversarial) {
        public boolean flipped() { return adversarialPrediction != label; }
    }

    private final int perClass;
    private final List<List<Example>> flipped = new ArrayList<>(), robust = new ArrayList<>();
    private int[] imageShape; // (C, H, W)

    public AdversarialExamples(int classes, int perClass) {
        this.perClass = perClass;
        for (int c = 0; c < classes; c++) { flipped.add(new ArrayList<>()); robust.add(new ArrayList<>()); }
    }

    @Override
    public void batch(int[] shape, float[] clean, float[] adversarial, int[] indices, int[] labels, int[] cleanPred, int[] advPred) {
        imageShape = new int[] {shape[1], shape[2], shape[3]};
        int size = shape[1] * shape[2] * shape[3];
        for (int i = 0; i < labels.length; i++) {
            if (cleanPred[i] != labels[i]) continue;
            List<Example> into = advPred[i] != labels[i] ? flipped.get(labels[i]) : robust.get(labels[i]);
            if (into.size() >= perClass) continue;
            float[] c = new float[size], a = new float[size];
            System.arraycopy(clean, i * size, c, 0, size);
            System.arraycopy(adversarial, i * size, a, 0, size);
            into.add(new Example(indices[i], labels[i], cleanPred[i], advPred[i], c, a));
        }
    }

    /** Every class has all the flipped examples it shows (robust ones are only a fill-up), so later batches add nothing. */
    @Override
    public boolean full() {
        for (List<Example> f : flipped) if (f.size() < perClass) return false;
        return true;
    }

    public int classes() { return flipped.size(); }

    /** (C, H, W) of the images; null before any batch. */
    public int[] imageShape() { return imageShape == null ? null : imageShape.clone(); }

    /** Class c's examples: the flipped ones first, then robust ones, at most perClass in all. */
    public List<Example> of(int c) {
        List<Example> out = new ArrayList<>(flipped.get(c));
        for (Example e : robust.get(c)) if (out.size() < perClass) out.add(e);
        return out;
    }
}
