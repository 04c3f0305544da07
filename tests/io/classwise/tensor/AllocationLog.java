package io.classwise.tensor;

import io.classwise.tensor.reference.ReferenceBackend;

import java.util.ArrayList;
import java.util.List;

/**
 * The reference backend, remembering every tensor it allocates, so that a test can ask which of the
 * tensors allocated since a mark were never released: on the GPU those would wait for the garbage collector.
 */
public final class AllocationLog extends ReferenceBackend {
    private final List<Tensor> allocated = new ArrayList<>();

    @Override
    public synchronized Tensor allocate(int... shape) {
        Tensor t = super.allocate(shape);
        allocated.add(t);
        return t;
    }

    /** A position in the log. */
    public synchronized int mark() { return allocated.size(); }

    /** Tensors allocated since {@code mark} that are still unreleased. */
    public synchronized List<Tensor> unreleasedSince(int mark) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : allocated.subList(mark, allocated.size())) if (!t.storage().released()) out.add(t);
        return out;
    }
}
