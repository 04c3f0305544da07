package io.classwise.tensor;

import java.util.Arrays;

/**
 * A dense float32 tensor, row-major (NCHW for images). The numbers live wherever the owning
 * {@link Backend} keeps them (host memory for CPU, device memory for CUDA); all arithmetic goes
 * through that backend. {@link #reshape} returns a view that shares the same storage.
 */
public final class Tensor {
    private final Backend backend;
    private final Storage storage;
    private final int[] shape;
    private final int size;

    Tensor(Backend backend, Storage storage, int[] shape) {
        this.backend = backend;
        this.storage = storage;
        this.shape = shape.clone();
        this.size = sizeOf(shape);
        if (size > storage.capacity()) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + size
                    + " floats but the storage holds " + storage.capacity());
        }
    }

    /** Wraps a backend's storage; only backends call this. */
    public static Tensor of(Backend backend, Storage storage, int... shape) {
        return new Tensor(backend, storage, shape);
    }

    public static int sizeOf(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n *= d;
        }
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor too large: " + Arrays.toString(shape));
        return (int) n;
    }

    public Backend backend() { return backend; }
    public Storage storage() { return storage; }
    public int[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }
    public int size() { return size; }

    /** A view with a new shape over the same numbers (sizes must agree). */
    public Tensor reshape(int... newShape) {
        if (sizeOf(newShape) != size) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
        }
        return new Tensor(backend, storage, newShape);
    }

    /**
     * Gives this tensor's memory back to its backend now, rather than when the garbage collector finds it
     * unreachable; any later use of it, or of a view sharing its storage, throws. For owners of scratch memory.
     */
    public void release() { storage.release(); }

    /** Releases each non-null tensor. */
    public static void release(Tensor... tensors) {
        for (Tensor t : tensors) if (t != null) t.release();
    }

    public boolean sameShape(Tensor o) { return Arrays.equals(shape, o.shape); }

    public boolean hasShape(int... s) { return Arrays.equals(shape, s); }

    /** The size check every backend makes on its arguments; {@code what} names the operation and argument. */
    public static void requireSize(Tensor t, int size, String what) {
        if (t.size() != size) {
            throw new IllegalArgumentException(what + ": expected " + size + " elements, got " + t + " (" + t.size() + ")");
        }
    }

    /** Copies the numbers to a new Java array (a device→host transfer on GPU backends). */
    public float[] toArray() { return backend.download(this); }

    /** Overwrites the numbers from a Java array of exactly {@link #size()} elements. */
    public Tensor copyFrom(float[] data) {
        if (data.length != size) throw new IllegalArgumentException("expected " + size + " values, got " + data.length);
        backend.upload(data, this);
        return this;
    }

    @Override
    public String toString() { return "Tensor" + Arrays.toString(shape) + "@" + backend.name(); }
}
