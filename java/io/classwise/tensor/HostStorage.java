package io.classwise.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.function.ToLongFunction;

/**
 * Off-heap host memory (a direct, native-order buffer). Off-heap so that native BLAS reads and
 * writes it in place: JavaCPP's float[] overloads copy whole arrays in and out on every call.
 */
public final class HostStorage implements Storage {
    private volatile FloatBuffer buffer; // null once released: the direct buffer goes to the garbage collector
    private final int capacity;
    private volatile long address;

    public HostStorage(int floats) {
        this.buffer = ByteBuffer.allocateDirect(Math.multiplyExact(Math.max(floats, 1), Float.BYTES))
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
        this.capacity = buffer.capacity();
    }

    private HostStorage(FloatBuffer memory) {
        this.buffer = memory;
        this.capacity = memory.capacity();
    }

    /**
     * A tensor's storage over host memory owned elsewhere (a direct, native-order buffer): the emulated GPU's
     * memory, which the CPU routines compute on in place. Releasing it only drops this view.
     */
    public static HostStorage view(FloatBuffer memory) {
        if (!memory.isDirect() || memory.order() != ByteOrder.nativeOrder()) throw new IllegalArgumentException("a view needs a direct, "
                + "native-order buffer");
        return new HostStorage(memory);
    }

    /** Absolute-indexed view; never change its position/limit from outside. */
    public FloatBuffer buffer() {
        FloatBuffer b = buffer;
        if (b == null) throw new IllegalStateException("a tensor was used after its memory was released (its owner, e.g. a Tape, was closed)");
        return b;
    }

    /**
     * The native address of element 0, for native kernels that take raw pointers, found once by
     * {@code resolver} (the native backend's own binding: this package stays free of JavaCPP) and cached.
     */
    public long address(ToLongFunction<FloatBuffer> resolver) {
        long a = address;
        FloatBuffer b = buffer(); // throws once released
        if (a == 0) address = a = resolver.applyAsLong(b);
        return a;
    }

    @Override
    public int capacity() { return capacity; }

    @Override
    public void release() { buffer = null; address = 0; }

    @Override
    public boolean released() { return buffer == null; }

    public static FloatBuffer of(Tensor t) { return storageOf(t).buffer(); }

    public static HostStorage storageOf(Tensor t) {
        if (!(t.storage() instanceof HostStorage h)) {
            throw new IllegalArgumentException(t + " does not live in host memory");
        }
        return h;
    }
}
