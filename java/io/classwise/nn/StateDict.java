package io.classwise.nn;

import io.classwise.tensor.Tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model's persistent state under PyTorch {@code state_dict} names, in PyTorch's order
 * (registration order; a module's parameters, then its buffers, then its children).
 */
public final class StateDict {

    /** One named entry: a float32 tensor, or an int64 scalar such as {@code num_batches_tracked}. */
    public sealed interface Entry permits FloatEntry, LongEntry {
        int[] shape();
    }

    /** A float32 tensor; {@code parameter} is false for buffers like running statistics. */
    public record FloatEntry(Tensor tensor, boolean parameter) implements Entry {
        public int[] shape() { return tensor.shape(); }
    }

    /** A 0-dimensional int64 counter (PyTorch stores num_batches_tracked this way). */
    public static final class LongEntry implements Entry {
        private long value;
        public long get() { return value; }
        public void set(long v) { value = v; }
        public int[] shape() { return new int[0]; }
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    public void put(String name, Entry e) {
        if (entries.putIfAbsent(name, e) != null) throw new IllegalStateException("duplicate state name " + name);
    }

    public Map<String, Entry> entries() { return Collections.unmodifiableMap(entries); }

    /** Number of trainable scalars (PyTorch's sum of p.numel() over parameters()). */
    public long parameterCount() {
        long n = 0;
        for (Entry e : entries.values()) if (e instanceof FloatEntry f && f.parameter()) n += f.tensor().size();
        return n;
    }
}
