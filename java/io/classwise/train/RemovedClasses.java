package io.classwise.train;

import io.classwise.data.ImageDataset;
import io.classwise.data.SubsetDataset;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The classes a run left out (TrainConfig.removeClasses), as its checkpoints record them: every evaluation of such
 * a model — attack, evaluate, compare — leaves the same classes out of its test set, so that numbers are comparable
 * with the run's own and a removed class never counts as a 0 % class.
 */
public final class RemovedClasses {
    private RemovedClasses() {}

    /** Checkpoint metadata key: the removed class ids, comma-separated. */
    public static final String KEY = "classwise.removed_classes";

    static String format(java.util.Collection<Integer> classes) {
        StringBuilder sb = new StringBuilder();
        for (int c : new TreeSet<>(classes)) sb.append(sb.length() == 0 ? "" : ",").append(c);
        return sb.toString();
    }

    /** The removed classes a checkpoint's metadata records (empty when none). */
    public static Set<Integer> of(Map<String, String> metadata) {
        Set<Integer> out = new TreeSet<>();
        String v = metadata.get(KEY);
        if (v == null || v.isBlank()) return out;
        for (String p : v.split(",")) {
            try {
                out.add(Integer.parseInt(p.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("checkpoint metadata " + KEY + " = '" + v + "' is not a list of class ids");
            }
        }
        return out;
    }

    /** The test set without the removed classes (the same set when none). */
    public static ImageDataset apply(ImageDataset test, Set<Integer> removed) {
        return removed.isEmpty() ? test : SubsetDataset.withoutClasses(test, removed);
    }
}
