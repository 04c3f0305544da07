package io.classwise.nn;

import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;

/**
 * A trainable tensor and its gradient accumulator (same shape). The gradient is allocated by the first
 * backward pass that needs it: a model that is only evaluated or attacked (an imported WideResNet-70-16:
 * 1 GB of weights) never holds a second copy of its size.
 */
public final class Parameter {
    private final Backend backend;
    private final Tensor value;
    private Tensor grad;

    public Parameter(Backend backend, int... shape) {
        this.backend = backend;
        this.value = backend.allocate(shape);
    }

    public Tensor value() { return value; }

    /** The gradient accumulator, allocated (zero) on first use. */
    public Tensor grad() {
        if (grad == null) grad = backend.allocate(value.shape());
        return grad;
    }

    /** Sets the gradient to zero (nothing to do when none was ever allocated). */
    public void zeroGrad() { if (grad != null) backend.fill(grad, 0f); }

    /** Gives the value's and the gradient's memory back. */
    public void release() { Tensor.release(value, grad); }

    public int size() { return value.size(); }
}
