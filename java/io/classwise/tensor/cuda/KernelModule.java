package io.classwise.tensor.cuda;

import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * The jar's classwise_kernels.fatbin (native/cuda, compiled by nvcc at build time), loaded with the
 * driver API, and launches of its kernels by name.
 *
 * <p>Arguments: cuLaunchKernel wants an array of pointers to host memory holding each argument's
 * value. One 8-byte slot per argument lives in a preallocated arena, and the pointer array points at
 * the slots once and for all; a launch only writes the values ({@link Args}), so it allocates nothing.
 * Not thread-safe: one thread drives the GPU.
 */
final class KernelModule implements AutoCloseable {
    /** Where the build puts nvcc's output on the classpath (native/CMakeLists.txt, pom.xml). */
    static final String FATBIN = "/io/classwise/tensor/cuda/classwise_kernels.fatbin";
    static final int BLOCK = 256;
    /** Threads per block of the row kernels (one block per example row). */
    static final int ROW_BLOCK = 128;
    private static final int MAX_ARGS = 16;

    private final CUmod_st module = new CUmod_st();
    private final Map<String, CUfunc_st> functions = new HashMap<>();
    private final BytePointer arena = new BytePointer(MAX_ARGS * 8L);
    private final PointerPointer<Pointer> slots = new PointerPointer<>(MAX_ARGS);
    private final Args args = new Args();
    private final CUstream_st stream;
    private final int maxGrid;

    KernelModule(CUstream_st stream, int multiprocessors) {
        this.stream = stream;
        this.maxGrid = Math.max(1, multiprocessors) * 32;
        byte[] fatbin;
        try (InputStream in = KernelModule.class.getResourceAsStream(FATBIN)) {
            if (in == null) throw new CudaException("classwise_kernels.fatbin is missing from the jar (built without nvcc)");
            fatbin = in.readAllBytes();
        } catch (IOException e) {
            throw new CudaException("cannot read classwise_kernels.fatbin: " + e.getMessage());
        }
        BytePointer image = new BytePointer(fatbin.length);
        image.put(fatbin, 0, fatbin.length);
        Cuda.checkDriver(cudart.cuModuleLoadData(module, image), "cuModuleLoadData(classwise_kernels.fatbin)");
        image.close();
        for (int i = 0; i < MAX_ARGS; i++) slots.put(i, Cuda.at(arena.address() + 8L * i));
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

    void launch(String kernel, int blocks, int threads) {
        CUfunc_st f = functions.computeIfAbsent(kernel, name -> {
            CUfunc_st fn = new CUfunc_st();
            Cuda.checkDriver(cudart.cuModuleGetFunction(fn, module, name), "cuModuleGetFunction(" + name + ")");
            return fn;
        });
        Cuda.checkDriver(cudart.cuLaunchKernel(f, blocks, 1, 1, threads, 1, 1, 0, stream, slots, null), "cuLaunchKernel(" + kernel + ")");
    }

    /** The values of the next launch's arguments, in the kernel's order. */
    final class Args {
        private int next;

        Args reset() { next = 0; return this; }

        private long slot() {
            if (next == MAX_ARGS) throw new IllegalStateException("more than " + MAX_ARGS + " kernel arguments");
            return 8L * next++;
        }

        /** A device pointer (or 0 for a null pointer). */
        Args ptr(long address) { arena.putLong(slot(), address); return this; }

        Args f(float v) { arena.putFloat(slot(), v); return this; }

        Args i32(int v) { arena.putInt(slot(), v); return this; }

        Args i64(long v) { arena.putLong(slot(), v); return this; }
    }

    @Override
    public void close() {
        cudart.cuModuleUnload(module);
        arena.close();
        slots.close();
    }
}
