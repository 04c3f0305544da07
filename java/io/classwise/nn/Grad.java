package io.classwise.nn;

/** What a backward pass must produce. */
public enum Grad {
    /** Only ∂loss/∂input: what attacks need, many times per training step. No weight gradients. */
    INPUT,
    /** Only parameter gradients (accumulated into each parameter's grad); the model's input gradient is skipped. */
    PARAMS,
    /** Both. */
    INPUT_AND_PARAMS;

    public boolean params() { return this != INPUT; }

    public boolean input() { return this != PARAMS; }

    /** What an inner layer needs: its input gradient always feeds the layer before it. */
    public Grad inner() { return this == PARAMS ? INPUT_AND_PARAMS : this; }
}
