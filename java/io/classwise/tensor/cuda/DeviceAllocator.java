package io.classwise.tensor.cuda;

import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * A caching device-memory allocator: cudaMalloc is slow and synchronising, so freed blocks are kept
 * per rounded size and handed out again. Sizes round up to 512 bytes (small) or 2 MiB (from 1 MiB
 * on), which bounds the waste and makes the same tensors of the next batch hit the cache. Tracks
 * the bytes in use and their peak ({@code bench} reports it). When cudaMalloc fails, the cache is
 * returned to the driver and the call retried once; then the error says what was asked and what is free.
 */
final class DeviceAllocator implements AutoCloseable {
    record Block(long address, long bytes) {}

    private static final Cleaner CLEANER = Cleaner.create();

    private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();
    private long inUse, peak, cached;

    static long rounded(long bytes) {
        long unit = bytes >= (1 << 20) ? 2L << 20 : 512;
        return (bytes + unit - 1) / unit * unit;
    }

    synchronized Block allocate(long bytes) {
        long size = rounded(bytes);
        ArrayDeque<Long> list = free.get(size);
        long address;
        if (list != null && !list.isEmpty()) {
            address = list.pop();
            cached -= size;
        } else {
            address = cudaMalloc(size);
        }
        inUse += size;
        peak = Math.max(peak, inUse);
        return new Block(address, size);
    }

    /** Returns the block to the cache once {@code owner} is unreachable. */
    void releaseWhenUnreachable(Object owner, Block block) {
        CLEANER.register(owner, () -> release(block));
    }

    synchronized void release(Block block) {
        free.computeIfAbsent(block.bytes(), k -> new ArrayDeque<>()).push(block.address());
        inUse -= block.bytes();
        cached += block.bytes();
    }

    synchronized long inUseBytes() { return inUse; }

    synchronized long peakBytes() { return peak; }

    synchronized void resetPeak() { peak = inUse; }

    private long cudaMalloc(long size) {
        Pointer p = new Pointer();
        int status = cudart.cudaMalloc(p, size);
        if (status == cudart.cudaErrorMemoryAllocation) {
            cudart.cudaGetLastError(); // clear the sticky-free error state
            emptyCache();
            p = new Pointer();
            status = cudart.cudaMalloc(p, size);
        }
        if (status != cudart.cudaSuccess) {
            cudart.cudaGetLastError();
            SizeTPointer freeBytes = new SizeTPointer(1), total = new SizeTPointer(1);
            cudart.cudaMemGetInfo(freeBytes, total);
            throw new CudaException(String.format(java.util.Locale.ROOT,
                    "out of GPU memory: asked for %.1f MiB with %.1f MiB in use by Classwise; the device has %.1f MiB free of %.1f MiB "
                            + "(try a smaller --batch)", size / 1048576.0, inUse / 1048576.0, freeBytes.get() / 1048576.0, total.get() / 1048576.0));
        }
        return p.address();
    }

    /** Gives every cached block back to the driver. */
    synchronized void emptyCache() {
        cudart.cudaDeviceSynchronize();
        for (ArrayDeque<Long> list : free.values()) {
            for (long a : list) cudart.cudaFree(Cuda.at(a));
        }
        free.clear();
        cached = 0;
    }

    @Override
    public void close() { emptyCache(); }
}
