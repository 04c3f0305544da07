package io.classwise.attack;

import io.classwise.util.Rng;

import java.util.List;

/**
 * Which class a targeted attack aims at, per example: one fixed class, the class the model finds least
 * likely on the clean image, or a uniformly random class other than the label (drawn from the seeded
 * generator, so runs repeat). An example whose label is the fixed target gets no target (-1): there is
 * nothing to push it into, and it is left out of the target-hit rate.
 */
public record TargetChoice(Kind kind, int fixedClass) {
    public enum Kind { CLASS, LEAST_LIKELY, RANDOM }

    /** Parses {@code --target}: a class id, a class name, {@code least-likely} or {@code random}. */
    public static TargetChoice parse(String s, List<String> classNames) {
        String v = s.trim();
        if (v.equalsIgnoreCase("least-likely")) return new TargetChoice(Kind.LEAST_LIKELY, -1);
        if (v.equalsIgnoreCase("random")) return new TargetChoice(Kind.RANDOM, -1);
        for (int c = 0; c < classNames.size(); c++) if (classNames.get(c).equalsIgnoreCase(v)) return new TargetChoice(Kind.CLASS, c);
        try {
            int c = Integer.parseInt(v);
            if (c >= 0 && c < classNames.size()) return new TargetChoice(Kind.CLASS, c);
        } catch (NumberFormatException ignored) {
            // fall through to the error
        }
        throw new IllegalArgumentException("--target must be a class id in [0, " + classNames.size() + "), a class name ("
                + String.join(", ", classNames)
                + "), least-likely or random; got '" + s + "'");
    }

    /**
     * Targets (N) for a batch: labels (N), the clean logits (N·K, row-major; used by least-likely), K classes.
     * -1 where an example has no target.
     */
    public int[] choose(int[] labels, float[] cleanLogits, int classes, Rng rng) {
        int n = labels.length;
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = switch (kind) {
                case CLASS -> fixedClass == labels[i] ? -1 : fixedClass;
                case RANDOM -> {
                    int r = rng.nextInt(classes - 1);
                    yield r >= labels[i] ? r + 1 : r; // uniform over the K − 1 other classes
                }
                case LEAST_LIKELY -> {
                    int best = -1;
                    for (int c = 0; c < classes; c++) {
                        if (c != labels[i] && (best < 0 || cleanLogits[i * classes + c] < cleanLogits[i * classes + best])) best = c;
                    }
                    yield best;
                }
            };
        }
        return t;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case CLASS -> "class " + fixedClass;
            case LEAST_LIKELY -> "least-likely";
            case RANDOM -> "random";
        };
    }
}
