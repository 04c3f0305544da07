package io.classwise.attack;

import io.classwise.nn.Model;
import io.classwise.nn.Tape;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;

/**
 * An adversarial attack on a batch. Inputs are [0, 1] pixels; every attack keeps the perturbation
 * inside its ε-ball and the pixels inside [0, 1]. The tape decides the model's mode (evaluation
 * for measuring robustness; training code may attack in training mode). Seeded: the same rng state
 * gives the same result.
 */
public interface Attack {
    String name();

    /**
     * Attacks x (N, C, H, W) with true labels (N). targets (N) is null for an untargeted attack, else
     * the class each example should be pushed to.
     */
    AttackResult run(Model model, Tape tape, Tensor x, Tensor labels, Tensor targets, Rng rng);

    default AttackResult run(Model model, Tape tape, Tensor x, Tensor labels, Rng rng) {
        return run(model, tape, x, labels, null, rng);
    }
}
