package io.classwise.nn;

import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One forward pass's memory: every layer keeps what its backward needs (inputs, outputs, saved
 * statistics) and its output/gradient buffers here, keyed by the layer. Reusing a tape for the next
 * batch reuses those buffers, so the steady state allocates nothing. Two tapes let the same model
 * hold two forward passes at once (TRADES: clean and adversarial).
 *
 * <p>A layer's output is only valid until the next forward through the same tape.
 *
 * <p>The tape owns the memory it hands out: a buffer replaced by one of another shape is released at
 * once, and {@link #close()} releases the rest, so device memory returns when the pass's owner is done
 * rather than when the garbage collector runs.
 */
public final class Tape implements AutoCloseable {
    private final Backend backend;
    private final Map<Object, Object> caches = new IdentityHashMap<>();
    private final Set<Tensor> owned = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean training, closed;

    public Tape(Backend backend) { this.backend = backend; }

    public Backend backend() { return backend; }

    /** Training mode: batch norm uses and updates batch statistics. */
    public boolean training() { return training; }

    public Tape training(boolean on) { this.training = on; return this; }

    @SuppressWarnings("unchecked")
    /** What {@code owner} (a layer, an attack) keeps on this tape between passes; its tensors come from {@link #reuse}. */
    public <C> C cache(Object owner, Supplier<C> create) {
        requireOpen();
        return (C) caches.computeIfAbsent(owner, k -> create.get());
    }

    /**
     * Returns {@code t} if it already has the shape, otherwise a new zero tensor of that shape, owned by
     * this tape; {@code t}, if this tape made it, is released.
     */
    public Tensor reuse(Tensor t, int... shape) {
        requireOpen();
        if (t != null && t.hasShape(shape)) return t;
        if (t != null && owned.remove(t)) t.release();
        Tensor fresh = backend.allocate(shape);
        owned.add(fresh);
        return fresh;
    }

    /**
     * A working tensor of {@code owner} (an attack) under a role name, kept on this tape from batch to batch
     * (reallocated only when the shape changes). Its contents are whatever the last user left: not zeroed.
     */
    public Tensor scratch(Object owner, String role, int... shape) {
        Map<String, Tensor> mine = cache(owner, HashMap::new);
        Tensor t = reuse(mine.get(role), shape);
        mine.put(role, t);
        return t;
    }

    /** Releases every buffer this tape handed out; outputs of its passes are invalid afterwards. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        List<Tensor> all = new ArrayList<>(owned);
        List<Object> kept = new ArrayList<>(caches.values());
        owned.clear();
        caches.clear();
        for (Tensor t : all) t.release();
        for (Object o : kept) if (o instanceof Tape nested) nested.close(); // e.g. a transfer attack's surrogate pass
    }

    private void requireOpen() {
        if (closed) throw new IllegalStateException("this Tape was closed; its buffers were released");
    }
}
