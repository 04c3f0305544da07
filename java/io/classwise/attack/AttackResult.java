package io.classwise.attack;

import io.classwise.tensor.Tensor;

/**
 * What an attack found for a batch: the adversarial images (N, C, H, W) (owned by the attack, valid
 * until its next run), the model's prediction on each, and whether the attack succeeded per example
 * (untargeted: prediction ≠ label; targeted: prediction = target). An ensemble (AutoAttack) also says which
 * of its components broke each example (brokenBy: index into its components, −1 = none); null otherwise.
 */
public record AttackResult(Tensor adversarial, int[] predictions, boolean[] success, int[] brokenBy) {

    /** A single attack's result (no ensemble components). */
    public AttackResult(Tensor adversarial, int[] predictions, boolean[] success) { this(adversarial, predictions, success, null); }

    /** Examples the model still classifies correctly after the attack. */
    public int robustCount(int[] labels) {
        int n = 0;
        for (int i = 0; i < labels.length; i++) if (predictions[i] == labels[i]) n++;
        return n;
    }

    public int successCount() {
        int n = 0;
        for (boolean s : success) if (s) n++;
        return n;
    }
}
