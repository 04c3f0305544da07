package io.classwise.tensor.cpu;

import io.classwise.tensor.HostStorage;

/** Off-heap scratch memory grown on demand, never shrunk: packed operands and per-thread workspaces of the native kernels. */
final class ScratchBuffer {
    private HostStorage storage;

    /** The address of at least {@code floats} floats (contents undefined). */
    long floats(long floats) {
        if (storage == null || storage.capacity() < floats) storage = new HostStorage(Math.toIntExact(floats));
        return HostAddresses.of(storage);
    }

    /** One buffer per thread of a team, indexed by slice: the native kernels' per-thread workspaces. */
    static ScratchBuffer[] perThread(int threads) {
        ScratchBuffer[] buffers = new ScratchBuffer[threads];
        for (int t = 0; t < threads; t++) buffers[t] = new ScratchBuffer();
        return buffers;
    }

    /** The address of at least {@code bytes} bytes (contents undefined). */
    long bytes(long bytes) { return floats((bytes + Float.BYTES - 1) / Float.BYTES); }
}
