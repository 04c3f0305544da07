package io.classwise.analysis;

import io.classwise.attack.Attack;
import io.classwise.nn.Model;
import io.classwise.nn.Tape;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which classes each example can be pushed into inside the ε-ball: a targeted attack towards every
 * other class. Per true class, how many examples can reach exactly each set of classes — the study's
 * first finding is that many examples can only be attacked into one or two semantically close classes.
 *
 * <p>Population: the examples the model classifies correctly before the attack. One already predicted
 * as class j "reaches" j with no attack at all, so it would bias the sets (and the class-removal
 * experiment built on them) towards its clean prediction; such examples are counted per class as
 * clean errors and kept out of the sets.
 */
public final class Reachability {
    private final int classes;
    private final long[] cleanErrors;
    private final List<int[]> reachableSets = new ArrayList<>(); // per example: sorted reachable classes
    private final List<Integer> labels = new ArrayList<>();
    private final List<Integer> ids = new ArrayList<>();

    public Reachability(int classes) {
        this.classes = classes;
        this.cleanErrors = new long[classes];
    }

    /**
     * Runs a targeted attack towards each class ≠ label on a batch and records the reachable sets of
     * the examples the model classifies correctly (the others count as clean errors); ids name the
     * examples (e.g. their index in the test set).
     */
    public void add(Model model, Tape tape, Attack targeted, Tensor x, Tensor y, int[] yi, int[] exampleIds, Rng rng) {
        int n = yi.length;
        int[] clean = x.backend().argmaxRows(model.forward(tape, x));
        boolean[][] reach = new boolean[n][classes];
        float[] t = new float[n];
        Tensor targets = tape.scratch(this, "targets", n);
        for (int shift = 1; shift < classes; shift++) {
            for (int i = 0; i < n; i++) t[i] = (yi[i] + shift) % classes;
            targets.copyFrom(t);
            boolean[] ok = targeted.run(model, tape, x, y, targets, rng).success();
            for (int i = 0; i < n; i++) if (ok[i]) reach[i][(int) t[i]] = true;
        }
        for (int i = 0; i < n; i++) {
            if (clean[i] != yi[i]) {
                cleanErrors[yi[i]]++;
                continue;
            }
            List<Integer> s = new ArrayList<>();
            for (int c = 0; c < classes; c++) if (reach[i][c]) s.add(c);
            reachableSets.add(s.stream().mapToInt(Integer::intValue).toArray());
            labels.add(yi[i]);
            ids.add(exampleIds[i]);
        }
    }

    /** Examples recorded: those classified correctly before the attack. */
    public int examples() { return labels.size(); }

    /** Examples of class c the model got wrong before any attack (not in the reachable sets). */
    public long cleanErrors(int c) { return cleanErrors[c]; }

    public int[] reachable(int example) { return reachableSets.get(example).clone(); }

    public int label(int example) { return labels.get(example); }

    /** The id given for an example (its index in the dataset it came from). */
    public int id(int example) { return ids.get(example); }

    /** For class c: reachable set (as "a+b") → number of its examples reaching exactly that set, most frequent first. */
    public Map<String, Integer> setsOf(int c) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (int i = 0; i < labels.size(); i++) {
            if (labels.get(i) != c) continue;
            int[] s = reachableSets.get(i);
            StringBuilder key = new StringBuilder();
            for (int k = 0; k < s.length; k++) key.append(k == 0 ? "" : "+").append(s[k]);
            counts.merge(key.length() == 0 ? "none" : key.toString(), 1, Integer::sum);
        }
        List<Map.Entry<String, Integer>> e = new ArrayList<>(counts.entrySet());
        e.sort((a, b) -> b.getValue() - a.getValue());
        Map<String, Integer> sorted = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> x : e) sorted.put(x.getKey(), x.getValue());
        return sorted;
    }

    /** Ids of the examples of class c that can be attacked into some class, but only into classes inside {@code allowed}. */
    public List<Integer> onlyInto(int c, Set<Integer> allowed) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            if (labels.get(i) != c) continue;
            int[] s = reachableSets.get(i);
            if (s.length == 0) continue;
            boolean inside = true;
            for (int v : s) inside &= allowed.contains(v);
            if (inside) out.add(ids.get(i));
        }
        return out;
    }
}
