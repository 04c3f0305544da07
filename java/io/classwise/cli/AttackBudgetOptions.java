package io.classwise.cli;

import picocli.CommandLine.Option;

/** The threat model every attacking command takes: ε, step and steps (attack, eval, diagnose). */
final class AttackBudgetOptions {
    @Option(names = "--eps", description = "Budget in [0, 1] pixel units (ℓ∞; the ℓ2 radius for l2-pgd). Default: the ε the model was trained "
            + "with, else the dataset's preset (for l2-pgd the dataset's ℓ2 preset, e.g. 0.5 on CIFAR-10).")
    Float eps;

    @Option(names = "--step", description = "Step size (default: ε/4).")
    Float step;

    @Option(names = "--steps", defaultValue = "20", description = "Attack iterations (default: ${DEFAULT-VALUE}).")
    int steps = 20;
}
