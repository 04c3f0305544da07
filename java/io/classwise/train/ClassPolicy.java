package io.classwise.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.classwise.nn.Model;

import java.util.Map;

/**
 * How a class-aware defense turns what it measured into the next epoch's {@link ClassPlan}: FRL from the
 * validation split's per-class errors, CFA from the last epoch's per-class training robustness, DAFA from
 * the classes' similarity after a warm-up. The trainer asks for a plan before each epoch and reports after
 * it; the policy's state (multipliers, weights) is saved with each epoch's checkpoint, so a resumed run
 * continues with the same numbers, and written to metrics.jsonl, so a report can plot it.
 */
interface ClassPolicy {
    /** What the trainer can measure for a policy. Measurements are of the model as it is when asked. */
    interface Evidence {
        /** Clean and robust accuracy per class on the held-out validation split (the evaluation PGD attack); {clean, robust}. */
        ClassAccuracy[] validation();

        /** The model being trained. */
        Model model();
    }

    /** The policy of a class-aware method; null for the others (their plan is the configuration's static one). */
    static ClassPolicy of(Method method, TrainConfig cfg, int classes) {
        return switch (method) {
            case FRL -> new FrlPolicy(cfg, classes);
            case CFA -> new CfaPolicy(cfg, classes);
            case DAFA -> new DafaPolicy(cfg, classes);
            default -> null;
        };
    }

    /** The plan of epoch {@code epoch} (1-based), asked before it starts. */
    ClassPlan beforeEpoch(int epoch, Evidence evidence);

    /**
     * After epoch {@code epoch}'s training: its per-class training accuracies (robust may be null for a
     * clean method) and, when {@link #wantsAdversarialProbabilities} asked for them, the mean softmax of the
     * training adversarial examples per true class (K × K).
     */
    /**
     * Whether afterEpoch's trainRobust is the accuracy on the adversarial examples alone (right on the adversarial
     * example, whatever the clean prediction) rather than Classwise's robust accuracy (right on both): CFA's
     * authors calibrate with the former.
     */
    default boolean calibratesOnAdversarialAccuracy() { return false; }

    default void afterEpoch(int epoch, ClassAccuracy trainClean, ClassAccuracy trainRobust, double[][] adversarialProbabilities,
                            Evidence evidence) {}

    /** Whether epoch {@code epoch}'s objective should collect the adversarial examples' mean softmax per class. */
    default boolean wantsAdversarialProbabilities(int epoch) { return false; }

    /** Whether the policy measures on a validation split held out of the training set. */
    default boolean needsValidation() { return false; }

    /** The state to save and to report (JSON). */
    ObjectNode state();

    /** Restores {@link #state()} on resume. */
    void restore(JsonNode state);

    /** The model the run should end with instead of the last epoch's (CFA's weight average), or null. */
    default FairWeightAverage finalAverage() { return null; }

    /** Tensors of the state (CFA's averaged weights), saved in the epoch's optimizer-state file; name → values. */
    default Map<String, float[]> tensors() { return Map.of(); }

    /** Restores {@link #tensors()} on resume (after {@link #restore}). */
    default void restoreTensors(Map<String, float[]> tensors) {}

    /** A JSON array of the values, NaN as null (JSON has no NaN). */
    static ArrayNode json(double[] values) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        for (double v : values) if (Double.isNaN(v)) a.addNull(); else a.add(v);
        return a;
    }

    /** The K-entry array {@code field} of a saved state, null entries as NaN. */
    static double[] array(JsonNode state, String field, int k) {
        return values(state.path(field), k, state.path("policy").asText("policy") + " state's '" + field + "'");
    }

    /** A K-entry JSON array (null entries as NaN); {@code what} names it when it is not one. */
    static double[] values(JsonNode a, int k, String what) {
        if (!a.isArray() || a.size() != k) throw new IllegalArgumentException("the saved " + what + " is not an array of " + k + " numbers");
        double[] out = new double[k];
        for (int i = 0; i < k; i++) out[i] = a.get(i).isNull() ? Double.NaN : a.get(i).asDouble();
        return out;
    }
}
