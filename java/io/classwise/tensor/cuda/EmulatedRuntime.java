package io.classwise.tensor.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A device for correctness, not speed: host memory stands in for device memory and native/cuda's kernels run on the
 * CPU under cuda_emu ({@link EmulatedKernels}), so {@link CudaBackend}'s own code — its launches, argument order,
 * launch shapes, allocator and memory ownership — runs on machines without a GPU. Every block carries guard bytes
 * on both sides, checked after every launch and at free (a kernel writing past a buffer is named); blocks handed
 * back to the allocator's cache are filled with 0xFF (NaN floats), so a read of stale memory shows. Everything runs
 * at once, in order: {@link #synchronize()} has nothing to wait for.
 *
 * <p>What it cannot show: cuDNN and cuBLAS misuse (the vendor operations are the CPU backend's, see
 * {@link CpuVendorLibraries}), real stream ordering, races between blocks, the GPU memory model, shared-memory and
 * register limits, nvcc's FMA contraction and device math precision.
 */
final class EmulatedRuntime implements DeviceRuntime {
    private static final int GUARD = 64;
    private static final byte GUARD_BYTE = (byte) 0xA5;
    /** The SM count launch shapes are computed for: few, so grid-stride loops wrap as they do on large inputs on a GPU. */
    static final int MULTIPROCESSORS = 4;

    private final Map<Long, Long> blocks = new HashMap<>(); // address → bytes
    private final int order;
    private final long seed;
    private long launches;

    /** order 0/1/2: forward, reverse or seeded random thread schedule. */
    EmulatedRuntime(int order, long seed) {
        String why = EmulatedKernels.unavailabilityCause();
        if (why != null) throw new IllegalStateException("--device cuda-emulated: " + why);
        this.order = order;
        this.seed = seed;
    }

    /** A Pointer at a host address (no deallocator: the blocks are this runtime's). Not Cuda.at: no CUDA class is touched here. */
    static Pointer at(long address) { return new HostAddress(address); }

    private static final class HostAddress extends Pointer {
        HostAddress(long address) { this.address = address; }
    }

    @Override
    public long malloc(long bytes) {
        Pointer p = Pointer.malloc(bytes + 2L * GUARD);
        if (p == null || p.isNull()) throw new CudaException("emulated device: out of host memory for " + bytes + " bytes", true);
        long base = p.address();
        Pointer.memset(at(base), GUARD_BYTE, GUARD);
        Pointer.memset(at(base + GUARD + bytes), GUARD_BYTE, GUARD);
        Pointer.memset(at(base + GUARD), 0xFF, bytes); // uninitialised device memory reads as NaN, never as zeros
        blocks.put(base + GUARD, bytes);
        return base + GUARD;
    }

    @Override
    public void free(long address) {
        Long bytes = blocks.remove(address);
        if (bytes == null) throw new IllegalStateException("emulated device: free of " + hex(address) + ", which is not a live block");
        checkGuards(address, bytes, "at free");
        Pointer.free(at(address - GUARD));
    }

    /** Only live blocks: a tensor the Cleaner releases after the device was closed points at memory already freed. */
    @Override
    public void poison(long address, long bytes) {
        Long size = blocks.get(address);
        if (size != null) Pointer.memset(at(address), 0xFF, Math.min(bytes, size));
    }

    private void checkGuards(long address, long bytes, String when) {
        byte[] before = new byte[GUARD], after = new byte[GUARD];
        new BytePointer(at(address - GUARD)).capacity(GUARD).get(before);
        new BytePointer(at(address + bytes)).capacity(GUARD).get(after);
        for (int i = 0; i < GUARD; i++) {
            if (before[i] != GUARD_BYTE) throw new CudaException("emulated device: the " + GUARD + " bytes before the block at "
                    + hex(address) + " (" + bytes + " bytes) were overwritten " + when + " (byte " + (i - GUARD) + "): a kernel wrote before its buffer");
            if (after[i] != GUARD_BYTE) throw new CudaException("emulated device: the " + GUARD + " bytes after the block at "
                    + hex(address) + " (" + bytes + " bytes) were overwritten " + when + " (byte " + (bytes + i) + "): a kernel wrote past its buffer");
        }
    }

    private void requireInside(long address, long bytes, String what) {
        if (bytes == 0) return;
        for (Map.Entry<Long, Long> b : blocks.entrySet()) {
            if (address >= b.getKey() && address + bytes <= b.getKey() + b.getValue()) return;
        }
        throw new CudaException("emulated device: " + what + " of " + bytes + " bytes at " + hex(address) + " is not inside one live block");
    }

    private static String hex(long a) { return String.format(Locale.ROOT, "0x%x", a); }

    @Override
    public void copyToDevice(long dst, Pointer host, long bytes) {
        requireInside(dst, bytes, "an upload");
        Pointer.memcpy(at(dst), host, bytes);
    }

    @Override
    public void copyToHost(Pointer host, long src, long bytes) {
        requireInside(src, bytes, "a download");
        Pointer.memcpy(host, at(src), bytes);
    }

    @Override
    public void copyOnDevice(long dst, long src, long bytes) {
        requireInside(src, bytes, "a device copy's source");
        requireInside(dst, bytes, "a device copy's destination");
        Pointer.memmove(at(dst), at(src), bytes);
    }

    @Override
    public void memsetZero(long dst, long bytes) {
        requireInside(dst, bytes, "a memset");
        Pointer.memset(at(dst), 0, bytes);
    }

    @Override public void synchronize() {}

    @Override
    public void launch(String kernel, int blocks, int threads, BytePointer args, int argCount) {
        String error = EmulatedKernels.launch(kernel, blocks, threads, args.address(), order, seed + launches++);
        if (error != null) throw new CudaException("emulated launch of " + kernel + "<<<" + blocks + ", " + threads + ">>> failed: " + error);
        for (Map.Entry<Long, Long> b : this.blocks.entrySet()) checkGuards(b.getKey(), b.getValue(), "by " + kernel);
    }

    @Override public int multiprocessors() { return MULTIPROCESSORS; }

    @Override
    public long[] memoryInfo() {
        long max = Runtime.getRuntime().maxMemory();
        return new long[] {max, max};
    }

    /** Blocks still allocated (the allocator's cache included). */
    int liveBlocks() { return blocks.size(); }

    /** Frees what is left (tensors nobody released: a GPU context's teardown frees them too), each block's guards checked. */
    @Override
    public void close() {
        for (long address : new java.util.ArrayList<>(blocks.keySet())) free(address);
    }
}
