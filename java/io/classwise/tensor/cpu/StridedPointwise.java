package io.classwise.tensor.cpu;

import io.classwise.tensor.ConvGeometry;
import io.classwise.tensor.Tensor;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * 1×1 convolutions with stride > 1 and no padding (a residual block's downsampling shortcut) as stride-1 ones on the
 * pixels they read: x subsampled into a scratch copy (N, C, P, Q) — a quarter of x at stride 2 — then the backend's own
 * pointwise convolution, whose fast paths (the direct AMX convolution, the pointwise GEMM) take stride 1 only; the
 * weight gradient likewise. The same sums as the strided convolution: only which kernel computes them changes. (The
 * input gradient stays with the GEMM + col2im: the stride-1 one spread back to every stride-th pixel measured slower,
 * 45 → 74–84 ms per PreActResNet-18 step for the 64→128 shortcut.)
 */
final class StridedPointwise implements AutoCloseable {
    private final CpuBackend backend;
    private final CpuThreads threads;
    /** One subsampled input per shape: a network has a few downsampling shapes. */
    private final Map<List<Integer>, Tensor> scratch = new HashMap<>();

    StridedPointwise(CpuBackend backend, CpuThreads threads) {
        this.backend = backend;
        this.threads = threads;
    }

    /** Whether g is such a convolution. */
    static boolean handles(ConvGeometry g) {
        return g.r() == 1 && g.s() == 1 && g.pad() == 0 && g.stride() > 1;
    }

    /** The stride-1 convolution on the subsampled input. */
    private static ConvGeometry pointwise(ConvGeometry g) {
        return new ConvGeometry(g.n(), g.c(), g.p(), g.q(), g.k(), 1, 1, 1, 0);
    }

    /** y = conv(x, w) + b (+ residual, nullable). */
    void forward(Tensor x, Tensor w, Tensor b, Tensor residual, Tensor y, ConvGeometry g) {
        Tensor sub = subsampled(x, g);
        if (residual == null) backend.conv2dForward(sub, w, b, y, pointwise(g));
        else backend.conv2dForwardPlus(sub, w, b, residual, y, pointwise(g));
    }

    /** dw (+ db) = the weight gradient, from the subsampled input. */
    void backwardFilter(Tensor x, Tensor dy, Tensor dw, Tensor db, ConvGeometry g) {
        backend.conv2dBackwardFilter(subsampled(x, g), dy, dw, db, pointwise(g));
    }

    private Tensor subsampled(Tensor x, ConvGeometry g) {
        Tensor sub = scratch.computeIfAbsent(List.of(g.n(), g.c(), g.p(), g.q()), key -> backend.allocate(g.n(), g.c(), g.p(), g.q()));
        long from = HostAddresses.of(x), to = HostAddresses.of(sub);
        threads.forRange(g.n(), (t, n0, n1) -> NativeCpuKernels.convSubsample(from, to, n0, n1, g.c(), g.h(), g.w(), g.stride(), g.p(), g.q()));
        return sub;
    }

    @Override
    public void close() {
        for (Tensor t : scratch.values()) t.release();
        scratch.clear();
    }
}
