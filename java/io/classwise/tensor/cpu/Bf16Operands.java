package io.classwise.tensor.cpu;

import io.classwise.tensor.HostStorage;
import io.classwise.tensor.Precision;
import io.classwise.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * bf16 arithmetic on the CPU, emulated: the operands of a convolution or matrix product are rounded to
 * bf16 into scratch copies, then multiplied and accumulated in fp32 by the usual kernels. That is exactly
 * what bf16 tensor cores compute (bf16 products are exact in fp32), up to the order of the fp32 sums: the
 * reference a GPU bf16 path is checked against, and a way to measure bf16's accuracy effect without a GPU.
 */
final class Bf16Operands implements AutoCloseable {
    private final Function<int[], Tensor> allocate;
    /** Round with native/cpu's vector loop (the same bits), split over these threads; null: the Java loop. */
    private final CpuThreads threads;
    /** One scratch tensor per (operand slot, shape): a network has a handful of distinct layer shapes. */
    private final Map<List<Integer>, Tensor> scratch = new HashMap<>();

    Bf16Operands(Function<int[], Tensor> allocate, CpuThreads threads) {
        this.allocate = allocate;
        this.threads = threads;
    }

    /** t rounded to bf16, in the scratch tensor of this slot and shape (valid until the next call for them). */
    Tensor rounded(Tensor t, int slot) {
        List<Integer> key = new ArrayList<>();
        key.add(slot);
        for (int d : t.shape()) key.add(d);
        Tensor s = scratch.computeIfAbsent(key, k -> allocate.apply(t.shape()));
        if (threads == null) {
            Precision.roundToBf16(HostStorage.of(t), HostStorage.of(s), t.size());
            return s;
        }
        long from = HostAddresses.of(t), to = HostAddresses.of(s);
        threads.forRange(t.size(), (thread, i0, i1) -> NativeCpuKernels.bf16RoundFloats(from + 4L * i0, to + 4L * i0, i1 - i0));
        return s;
    }

    @Override
    public void close() {
        for (Tensor t : scratch.values()) t.release();
        scratch.clear();
    }

    @Override
    public String toString() { return "bf16 operands (" + scratch.size() + " scratch shapes: " + Arrays.toString(scratch.keySet().toArray()) + ")"; }
}
