package io.classwise.tensor.cuda;

import org.bytedeco.javacpp.BytePointer;

/**
 * Launches native/cuda's kernels by name on a {@link DeviceRuntime}, with the launch shapes every kernel is
 * written for: "elements" kernels run a grid-stride loop (blocks of {@value #BLOCK}, at most 32 blocks per SM),
 * "rows" kernels one block of {@value #ROW_BLOCK} per row.
 *
 * <p>Arguments: one 8-byte slot per argument lives in a preallocated arena; a launch only writes the values
 * ({@link Args}), so it allocates nothing. Not thread-safe: one thread drives the device.
 */
final class KernelModule implements AutoCloseable {
    static final int BLOCK = 256;
    /** Threads per block of the row kernels (one block per example row). */
    static final int ROW_BLOCK = 128;
    static final int MAX_ARGS = 16;

    private final DeviceRuntime runtime;
    private final BytePointer arena = new BytePointer(MAX_ARGS * 8L);
    private final Args args = new Args();
    private final int maxGrid;

    KernelModule(DeviceRuntime runtime) {
        this.runtime = runtime;
        this.maxGrid = Math.max(1, runtime.multiprocessors()) * 32;
    }

    /** Starts a launch: {@code args().ptr(..).f(..).i64(..)} then {@link #launch}. */
    Args args() { return args.reset(); }

    /** Grid-stride kernel over n elements. */
    void launch(String kernel, long n) {
        long blocks = Math.max(1, Math.min((n + BLOCK - 1) / BLOCK, maxGrid));
        launch(kernel, (int) blocks, BLOCK);
    }

    /** Launches with a grid from {@link CudaKernels.Grid}: elements (grid-stride) or one block per row. */
    void launch(String kernel, CudaKernels.Grid grid) {
        if (grid.rows()) launchRows(kernel, Math.toIntExact(grid.count()));
        else launch(kernel, grid.count());
    }

    /** One block of ROW_BLOCK threads per row. */
    void launchRows(String kernel, int rows) { launch(kernel, Math.max(1, rows), ROW_BLOCK); }

    void launch(String kernel, int blocks, int threads) { runtime.launch(kernel, blocks, threads, arena, args.next); }

    /** The values of the next launch's arguments, in the kernel's order. */
    final class Args {
        private int next;

        Args reset() { next = 0; return this; }

        private long slot() {
            if (next == MAX_ARGS) throw new IllegalStateException("more than " + MAX_ARGS + " kernel arguments");
            arena.putLong(8L * next, 0L); // a float or int fills half a slot: the other half is zero, not stale
            return 8L * next++;
        }

        /** A device pointer (or 0 for a null pointer). */
        Args ptr(long address) { arena.putLong(slot(), address); return this; }

        Args f(float v) { arena.putFloat(slot(), v); return this; }

        Args i32(int v) { arena.putInt(slot(), v); return this; }

        Args i64(long v) { arena.putLong(slot(), v); return this; }
    }

    @Override
    public void close() { arena.close(); }
}
