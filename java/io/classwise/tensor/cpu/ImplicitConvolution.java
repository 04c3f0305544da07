package io.classwise.tensor.cpu;

import io.classwise.tensor.ConvGeometry;
import io.classwise.tensor.HostStorage;
import io.classwise.tensor.Tensor;

/**
 * Convolutions as an implicit GEMM (native/cpu/classwise_conv.h): the receptive fields are packed
 * straight from a zero-bordered copy of the input into the micro-kernel's panels, never written out
 * as an im2col matrix. Forward for every geometry; the input gradient of a stride-1 convolution as
 * the forward convolution of dy with the kernel turned by 180° and padding R − 1 − pad.
 *
 * <p>Threads split the batch's pixels (N·P·Q) in panels of 32; every output element is the same
 * sequence of FMAs whatever the split, so results do not depend on the thread count.
 */
final class ImplicitConvolution {
    /** Pixels per micro-tile (CW_NR): thread slices start on panel boundaries. */
    private static final int PANEL = 32;

    private final CpuThreads threads;
    private final int kernel;
    private final Buffer padded = new Buffer(), packed = new Buffer(), turned = new Buffer();
    private final Buffer[] workspaces;

    /** {@code kernel}: an implicit-GEMM choice the caller checked this CPU runs. */
    ImplicitConvolution(CpuThreads threads, CpuConvolution kernel) {
        if (kernel.kernelId < 0) throw new IllegalArgumentException(kernel + " is not an implicit GEMM");
        this.threads = threads;
        this.kernel = kernel.kernelId;
        this.workspaces = new Buffer[threads.count()];
        for (int t = 0; t < workspaces.length; t++) workspaces[t] = new Buffer();
    }

    /**
     * Whether {@link #backwardData} computes this geometry: stride 1, a square kernel with pad ≤ R − 1,
     * and at least 8 input channels (they become the output channels, computed 8 at a time).
     */
    static boolean handlesBackwardData(ConvGeometry g) {
        return g.stride() == 1 && g.r() == g.s() && g.pad() <= g.r() - 1 && g.c() >= 8;
    }

    /** y (N, K, P, Q) = conv(x, w) + b; b nullable. */
    void forward(Tensor x, Tensor w, Tensor b, Tensor y, ConvGeometry g) {
        convolve(address(x), address(w), b == null ? 0 : address(b), address(y), g);
    }

    /** dx (N, C, H, W) = the input gradient of a convolution handled by {@link #handlesBackwardData}. */
    void backwardData(Tensor dy, Tensor w, Tensor dx, ConvGeometry g) {
        if (!handlesBackwardData(g)) throw new IllegalArgumentException("implicit input gradient needs stride 1 and a square kernel: " + g);
        long turnedAddress = turned.ensure((long) g.k() * g.c() * g.r() * g.s());
        NativeCpuKernels.convFlipWeights(address(w), turnedAddress, g.k(), g.c(), g.r(), g.s());
        ConvGeometry transposed = new ConvGeometry(g.n(), g.k(), g.p(), g.q(), g.c(), g.r(), g.s(), 1, g.r() - 1 - g.pad());
        convolve(address(dy), turnedAddress, 0, address(dx), transposed);
    }

    private void convolve(long x, long w, long bias, long y, ConvGeometry g) {
        long paddedAddress = padded.ensure(NativeCpuKernels.convPaddedInputFloats(g.n(), g.c(), g.h(), g.w(), g.pad()));
        threads.forRange(g.n(), (t, n0, n1) -> NativeCpuKernels.convPadInput(x, paddedAddress, n0, n1, g.c(), g.h(), g.w(), g.pad()));
        long crs = (long) g.c() * g.r() * g.s();
        long packedAddress = packed.ensure(NativeCpuKernels.convPackedWeightsFloats(g.k(), crs));
        NativeCpuKernels.convPackWeights(w, packedAddress, g.k(), crs);
        long pixels = (long) g.n() * g.p() * g.q();
        long workspaceFloats = NativeCpuKernels.convWorkspaceFloats(g.k());
        int panels = Math.toIntExact((pixels + PANEL - 1) / PANEL);
        threads.forRange(panels, (t, a, b) -> NativeCpuKernels.conv2dForwardImplicit(paddedAddress, packedAddress, bias, y,
                g.n(), g.c(), g.h(), g.w(), g.k(), g.r(), g.s(), g.stride(), g.pad(),
                (long) a * PANEL, Math.min((long) b * PANEL, pixels), workspaces[t].ensure(workspaceFloats), kernel));
    }

    private static long address(Tensor t) { return HostAddresses.of(t); }

    /** Off-heap floats grown on demand; returns the address. */
    private static final class Buffer {
        private HostStorage storage;

        long ensure(long floats) {
            if (storage == null || storage.capacity() < floats) storage = new HostStorage(Math.toIntExact(floats));
            return HostAddresses.of(storage);
        }
    }
}
