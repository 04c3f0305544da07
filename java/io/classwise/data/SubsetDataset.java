package io.classwise.data;

import io.classwise.util.Rng;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * A view of some examples of another dataset, with labels possibly remapped: the class-removal
 * experiment drops classes and renumbers the rest 0..k−1, keeping the map back to the original ids.
 */
public final class SubsetDataset implements ImageDataset {
    private final ImageDataset base;
    private final int[] indices;
    /** newLabel → original class id. */
    private final int[] originalClass;
    /** original class id → new label, or −1 when the class was dropped. */
    private final int[] newLabel;
    private final List<String> names;

    private SubsetDataset(ImageDataset base, int[] indices, int[] originalClass) {
        this.base = base;
        this.indices = indices;
        this.originalClass = originalClass;
        this.newLabel = new int[base.numClasses()];
        Arrays.fill(newLabel, -1);
        List<String> n = new ArrayList<>();
        for (int i = 0; i < originalClass.length; i++) {
            newLabel[originalClass[i]] = i;
            n.add(base.classNames().get(originalClass[i]));
        }
        this.names = Collections.unmodifiableList(n);
    }

    /** Every example except those of the dropped classes; the remaining classes are renumbered in order. */
    public static SubsetDataset withoutClasses(ImageDataset base, Set<Integer> dropped) {
        for (int c : dropped) {
            if (c < 0 || c >= base.numClasses()) throw new IllegalArgumentException("class " + c + " does not exist (0.."
                    + (base.numClasses() - 1) + ")");
        }
        if (dropped.size() >= base.numClasses() - 1) throw new IllegalArgumentException("dropping " + dropped.size() + " of "
                + base.numClasses() + " classes leaves fewer than 2");
        int[] kept = new int[base.numClasses() - dropped.size()];
        for (int c = 0, k = 0; c < base.numClasses(); c++) if (!dropped.contains(c)) kept[k++] = c;
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < base.size(); i++) if (!dropped.contains(base.label(i))) idx.add(i);
        return new SubsetDataset(base, idx.stream().mapToInt(Integer::intValue).toArray(), kept);
    }

    /** n examples of every class, chosen at random with the seed (classes and labels unchanged). */
    public static SubsetDataset balanced(ImageDataset base, int perClass, long seed) { return balanced(base, perClass, seed, null); }

    /**
     * As above; {@code flag} (e.g. "--train-examples") is the option that asked for the subset, named
     * in the error when a class has too few examples, with the largest value that works.
     */
    public static SubsetDataset balanced(ImageDataset base, int perClass, long seed, String flag) {
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < base.numClasses(); c++) byClass.add(new ArrayList<>());
        for (int i = 0; i < base.size(); i++) byClass.get(base.label(i)).add(i);
        Rng rng = new Rng(seed);
        TreeSet<Integer> chosen = new TreeSet<>();
        for (int c = 0; c < byClass.size(); c++) {
            List<Integer> l = byClass.get(c);
            if (l.size() < perClass) {
                int fewest = byClass.stream().mapToInt(List::size).min().orElse(0);
                throw new IllegalArgumentException((flag == null ? "" : flag + " asks for " + perClass * base.numClasses()
                        + " examples, " + perClass
                        + " per class, but ") + "class " + c + " (" + base.classNames().get(c) + ") of " + base.source()
                                + " has only " + l.size()
                        + (flag == null ? ", fewer than " + perClass : "; use " + flag + " " + fewest * base.numClasses()
                                + " or less (0 = all)"));
            }
            int[] ids = l.stream().mapToInt(Integer::intValue).toArray();
            rng.shuffle(ids);
            for (int k = 0; k < perClass; k++) chosen.add(ids[k]);
        }
        int[] all = new int[base.numClasses()];
        for (int c = 0; c < all.length; c++) all[c] = c;
        return new SubsetDataset(base, chosen.stream().mapToInt(Integer::intValue).toArray(), all);
    }

    /**
     * Splits off a held-out part: of each class, round(fraction · its count) examples (at least one where the
     * class has two or more), chosen by a seeded shuffle; returns {rest, heldOut}, both in the base's order.
     */
    public static SubsetDataset[] heldOut(ImageDataset base, double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) throw new IllegalArgumentException("held-out fraction must be in (0, 1), got " + fraction);
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < base.numClasses(); c++) byClass.add(new ArrayList<>());
        for (int i = 0; i < base.size(); i++) byClass.get(base.label(i)).add(i);
        Rng rng = new Rng(seed);
        boolean[] held = new boolean[base.size()];
        for (List<Integer> ids : byClass) {
            for (int i = ids.size() - 1; i > 0; i--) Collections.swap(ids, i, rng.nextInt(i + 1));
            int take = ids.size() < 2 ? 0 : Math.max(1, (int) Math.round(fraction * ids.size()));
            for (int i = 0; i < take; i++) held[ids.get(i)] = true;
        }
        int[] rest = IntStream.range(0, base.size()).filter(i -> !held[i]).toArray();
        int[] out = IntStream.range(0, base.size()).filter(i -> held[i]).toArray();
        return new SubsetDataset[] {ofIndices(base, rest), ofIndices(base, out)};
    }

    /** The given examples, classes and labels unchanged. */
    public static SubsetDataset ofIndices(ImageDataset base, int[] indices) {
        for (int i : indices) if (i < 0 || i >= base.size()) throw new IllegalArgumentException("index " + i + " outside 0.."
                + (base.size() - 1));
        int[] all = new int[base.numClasses()];
        for (int c = 0; c < all.length; c++) all[c] = c;
        return new SubsetDataset(base, indices.clone(), all);
    }

    /** The original class id of a label of this subset. */
    public int originalClass(int label) { return originalClass[label]; }

    /** This subset's label of an original class id, or −1 if the class was dropped. */
    public int labelOf(int originalClassId) { return newLabel[originalClassId]; }

    /** Index in the base dataset of example i. */
    public int baseIndex(int i) { return indices[i]; }

    @Override public int size() { return indices.length; }
    @Override public int label(int i) { return newLabel[base.label(indices[i])]; }
    @Override public int numClasses() { return originalClass.length; }
    @Override public List<String> classNames() { return names; }
    @Override public String source() { return base.source() + " (subset)"; }
    @Override public Image image(int i) { return base.image(indices[i]); }
}
