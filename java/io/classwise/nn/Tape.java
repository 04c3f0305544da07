package io.classwise.nn;

import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One forward pass's memory: every layer keeps what its backward needs (inputs, outputs, saved
 * statistics) and its output/gradient buffers here, keyed by the layer. Reusing a tape for the next
 * batch reuses those buffers, so the steady state allocates nothing. Two tapes let the same model
 * hold two forward passes at once (TRADES: clean and adversarial).
 *
 * <p>A layer's output is only valid until the next forward through the same tape.
 */
public final class Tape {
    private final Backend backend;
    private final Map<Layer, Object> caches = new IdentityHashMap<>();
    private boolean training;

    public Tape(Backend backend) { this.backend = backend; }

    public Backend backend() { return backend; }

    /** Training mode: batch norm uses and updates batch statistics. */
    public boolean training() { return training; }

    public Tape training(boolean on) { this.training = on; return this; }

    @SuppressWarnings("unchecked")
    public <C> C cache(Layer layer, Supplier<C> create) {
        return (C) caches.computeIfAbsent(layer, k -> create.get());
    }

    /** Returns {@code t} if it already has the shape, otherwise a new zero tensor of that shape. */
    public Tensor reuse(Tensor t, int... shape) {
        return t != null && t.hasShape(shape) ? t : backend.allocate(shape);
    }
}
