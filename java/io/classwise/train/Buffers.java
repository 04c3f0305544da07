package io.classwise.train;

import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;

import java.util.HashMap;
import java.util.Map;

/**
 * Tensors reused from batch to batch, keyed by role, so that steady-state training allocates nothing.
 * Owns them: a tensor replaced by one of another shape is released at once, the rest on {@link #close()}.
 */
final class Buffers implements AutoCloseable {
    private final Backend b;
    private final Map<String, Tensor> byRole = new HashMap<>();

    Buffers(Backend b) { this.b = b; }

    /** The tensor of this role, reallocated only when the shape changes (the last, smaller batch). */
    Tensor get(String role, int... shape) {
        Tensor t = byRole.get(role);
        if (t == null || !t.hasShape(shape)) {
            if (t != null) t.release();
            byRole.put(role, t = b.allocate(shape));
        }
        return t;
    }

    @Override
    public void close() {
        for (Tensor t : byRole.values()) t.release();
        byRole.clear();
    }
}
