package io.classwise.tensor.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The device under {@link CudaBackend}: memory, copies, the stream, and kernel launches by name. One seam with two
 * implementations — {@link CudaRuntime} (the CUDA runtime and driver through JavaCPP, on a GPU) and
 * {@link EmulatedRuntime} (host memory with guard bytes, native/cuda's kernels run by cuda_emu on the CPU) — so the
 * backend's own code (argument order, launch shapes, allocator, ownership) runs and is tested on any machine.
 * Addresses are device addresses as {@code long}s; a launch's arguments are 8-byte slots in {@code args} (see
 * {@link KernelModule}). Not thread-safe: one thread drives a device.
 */
interface DeviceRuntime extends AutoCloseable {
    /** A new block of at least {@code bytes}; a {@link CudaException} marked as out-of-memory when there is no room. */
    long malloc(long bytes);

    void free(long address);

    /** Fills a block handed back to the allocator's cache with a pattern where the device can (NaN floats): reads of stale memory show. */
    default void poison(long address, long bytes) {}

    void copyToDevice(long dst, Pointer host, long bytes);

    void copyToHost(Pointer host, long src, long bytes);

    void copyOnDevice(long dst, long src, long bytes);

    void memsetZero(long dst, long bytes);

    /** Waits until every queued operation has finished (a no-op where they run at once). */
    void synchronize();

    /** Queues kernel<<<blocks, threads>>> with its arguments in the first 8-byte slots of args. */
    void launch(String kernel, int blocks, int threads, BytePointer args, int argCount);

    /** Streaming multiprocessors: grid-stride launches use at most 32 blocks per SM. */
    int multiprocessors();

    /** Free and total device memory in bytes, for an out-of-memory message. */
    long[] memoryInfo();

    @Override
    void close();
}
