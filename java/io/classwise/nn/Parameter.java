package io.classwise.nn;

import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;

/** A trainable tensor and its gradient accumulator (same shape). */
public final class Parameter {
    private final Tensor value;
    private final Tensor grad;

    public Parameter(Backend backend, int... shape) {
        this.value = backend.allocate(shape);
        this.grad = backend.allocate(shape);
    }

    public Tensor value() { return value; }

    public Tensor grad() { return grad; }

    public int size() { return value.size(); }
}
