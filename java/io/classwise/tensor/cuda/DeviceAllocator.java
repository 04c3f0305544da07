package io.classwise.tensor.cuda;


import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A caching device-memory allocator: cudaMalloc is slow and synchronising, so freed blocks are kept
 * per rounded size and handed out again. Sizes round up to 512 bytes (small) or 2 MiB (from 1 MiB
 * on), which bounds the waste and makes the same tensors of the next batch hit the cache. Tracks
 * the bytes in use and their peak ({@code bench} reports it). When cudaMalloc runs out of memory,
 * unreachable tensors are collected, the cache is returned to the driver and the call retried once;
 * then the error says what was asked and what is free. Any other cudaMalloc error is reported as itself.
 */
final class DeviceAllocator implements AutoCloseable {
    record Block(long address, long bytes) {}

    private static final Cleaner CLEANER = Cleaner.create();

    private final DeviceRuntime runtime;
    private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();
    private long inUse, peak, cached, releasedByCleaner;

    DeviceAllocator(DeviceRuntime runtime) { this.runtime = runtime; }

    /**
     * One tensor's hold on a block: released once, either by its owner or (as a fallback) by the Cleaner
     * when the tensor became unreachable unreleased. Holds no reference to the tensor, so it can be the Cleaner's action.
     */
    final class Lease implements Runnable {
        private final Block block;
        private final AtomicBoolean released = new AtomicBoolean();

        private Lease(Block block) { this.block = block; }

        long address() { return block.address(); }

        boolean released() { return released.get(); }

        void release(boolean byCleaner) {
            if (!released.compareAndSet(false, true)) return;
            synchronized (DeviceAllocator.this) { if (byCleaner) releasedByCleaner += block.bytes(); }
            DeviceAllocator.this.release(block);
        }

        @Override
        public void run() { release(true); } // the Cleaner's action
    }

    /** A block of at least {@code bytes} for {@code owner}, handed back by the lease or, failing that, when the owner is unreachable. */
    Lease lease(Object owner, long bytes) {
        Lease l = new Lease(allocate(bytes));
        CLEANER.register(owner, l);
        return l;
    }

    static long rounded(long bytes) {
        long unit = bytes >= (1 << 20) ? 2L << 20 : 512;
        return (bytes + unit - 1) / unit * unit;
    }

    Block allocate(long bytes) {
        long size = rounded(bytes);
        synchronized (this) {
            ArrayDeque<Long> list = free.get(size);
            if (list != null && !list.isEmpty()) return taken(list.pop(), size, true);
        }
        long address = cudaMalloc(size); // may wait for the Cleaner, so not under the lock
        synchronized (this) { return taken(address, size, false); }
    }

    private Block taken(long address, long size, boolean fromCache) {
        if (fromCache) cached -= size;
        inUse += size;
        peak = Math.max(peak, inUse);
        return new Block(address, size);
    }

    synchronized void release(Block block) {
        runtime.poison(block.address(), block.bytes());
        free.computeIfAbsent(block.bytes(), k -> new ArrayDeque<>()).push(block.address());
        inUse -= block.bytes();
        cached += block.bytes();
    }

    synchronized long inUseBytes() { return inUse; }

    synchronized long peakBytes() { return peak; }

    /** Bytes handed back by the Cleaner rather than by their owner: memory whose release waited for a garbage collection. */
    synchronized long releasedByCleanerBytes() { return releasedByCleaner; }

    synchronized void resetPeak() { peak = inUse; }

    private long cudaMalloc(long size) {
        try {
            return runtime.malloc(size);
        } catch (CudaException e) {
            if (!e.outOfMemory()) throw e;
        }
        freeUnreachable();
        emptyCache();
        try {
            return runtime.malloc(size);
        } catch (CudaException e) {
            if (!e.outOfMemory()) throw e;
            long[] info = runtime.memoryInfo();
            throw new CudaException(String.format(Locale.ROOT,
                    "out of GPU memory: asked for %.1f MiB with %.1f MiB in use by Classwise; the device has %.1f MiB free of %.1f MiB "
                            + "(try a smaller --batch)", size / 1048576.0, inUseBytes() / 1048576.0, info[0] / 1048576.0, info[1] / 1048576.0),
                    true);
        }
    }

    /**
     * Tensors dropped without close() return their blocks through the Cleaner once the garbage
     * collector finds them unreachable: ask for a collection and give the Cleaner's thread a moment
     * (up to ~200 ms, stopping as soon as nothing more comes back), so that memory is usable again.
     * Called outside the lock: the Cleaner's release() needs it.
     */
    private void freeUnreachable() {
        long before;
        synchronized (this) { before = cached; }
        for (int i = 0; i < 4; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            synchronized (this) {
                if (cached == before && i > 0) return;
                before = cached;
            }
        }
    }

    /** Gives every cached block back to the driver. */
    synchronized void emptyCache() {
        runtime.synchronize();
        for (ArrayDeque<Long> list : free.values()) {
            for (long a : list) runtime.free(a);
        }
        free.clear();
        cached = 0;
    }

    @Override
    public void close() { emptyCache(); }
}
