package io.classwise.tensor.cpu;

import io.classwise.tensor.ConvGeometry;
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
    private final ScratchBuffer padded = new ScratchBuffer(), packed = new ScratchBuffer(), turned = new ScratchBuffer();
    private final ScratchBuffer[] workspaces;

    /** {@code kernel}: an implicit-GEMM choice the caller checked this CPU runs. */
    ImplicitConvolution(CpuThreads threads, CpuConvolution kernel) {
        if (kernel.kernelId < 0) throw new IllegalArgumentException(kernel + " is not an implicit GEMM");
        this.threads = threads;
        this.kernel = kernel.kernelId;
        this.workspaces = ScratchBuffer.perThread(threads.count());
    }

    /**
     * Whether {@link #backwardData} computes this geometry: stride 1, a square kernel with pad ≤ R − 1,
     * and at least 8 input channels (they become the output channels, computed 8 at a time).
     */
    static boolean handlesBackwardData(ConvGeometry g) {
        return g.stride() == 1 && g.r() == g.s() && g.pad() <= g.r() - 1 && g.c() >= MIN_INPUT_GRADIENT_CHANNELS;
    }

    /** Fewest input channels {@link #backwardData} takes: they become its output channels, computed 8 at a time. */
    static final int MIN_INPUT_GRADIENT_CHANNELS = 8;

    /**
     * y (N, K, P, Q) = conv(x, w) + b + residual; b and residual (N, K, P, Q) nullable, the residual added as y is stored.
     * bf16: a native {@link Bf16Kernel} for bf16 operands, or null for fp32.
     */
    void forward(Tensor x, Tensor w, Tensor b, Tensor residual, Tensor y, ConvGeometry g, Bf16Kernel bf16) {
        convolve(address(x), address(w), b == null ? 0 : address(b), residual == null ? 0 : address(residual), address(y), g, bf16);
    }

    /**
     * Whether {@link #backwardData} computes this geometry with this bf16 kernel: as {@link #handlesBackwardData}, and with AMX
     * (the direct convolution) stride 1 with at least 16 input channels.
     */
    static boolean handlesBackwardData(ConvGeometry g, Bf16Kernel bf16) {
        // Its output channels are the layer's input channels: below 16 (an image's 1 or 3), AMX would compute a whole
        // 32-channel tile for each and the implicit GEMM would pack R·S·K rows per pixel; im2col + sgemm is faster.
        return handlesBackwardData(g) && (bf16 != Bf16Kernel.AMX || g.c() >= MIN_DIRECT_CHANNELS);
    }

    /** Whether a convolution runs directly on AMX tiles (classwise_amx_conv.h) instead of as an implicit GEMM. */
    private static boolean runsDirectlyOnAmx(ConvGeometry g, Bf16Kernel bf16) {
        return bf16 == Bf16Kernel.AMX && g.stride() == 1 && g.c() >= MIN_DIRECT_CHANNELS;
    }

    /** Below this many input channels the direct AMX convolution wastes most of a tile's depth (32): the implicit GEMM is faster. */
    private static final int MIN_DIRECT_CHANNELS = 16;

    /** dx (N, C, H, W) = the input gradient of a convolution handled by {@link #handlesBackwardData(ConvGeometry, Bf16Kernel)}. */
    void backwardData(Tensor dy, Tensor w, Tensor dx, ConvGeometry g, Bf16Kernel bf16) {
        if (!handlesBackwardData(g, bf16)) throw new IllegalArgumentException("implicit input gradient needs stride 1 and a square kernel: " + g);
        ConvGeometry transposed = new ConvGeometry(g.n(), g.k(), g.p(), g.q(), g.c(), g.r(), g.s(), 1, g.r() - 1 - g.pad());
        if (runsDirectlyOnAmx(transposed, bf16)) { convolveOnAmx(address(dy), address(w), true, 0, 0, address(dx), transposed); return; }
        long turnedAddress = turned.floats((long) g.k() * g.c() * g.r() * g.s());
        NativeCpuKernels.convFlipWeights(address(w), turnedAddress, g.k(), g.c(), g.r(), g.s());
        convolve(address(dy), turnedAddress, 0, 0, address(dx), transposed, bf16);
    }

    private void convolve(long x, long w, long bias, long residual, long y, ConvGeometry g, Bf16Kernel bf16) {
        if (bf16 != null && !bf16.isNative()) throw new IllegalArgumentException(bf16 + " is not a native bf16 kernel");
        if (runsDirectlyOnAmx(g, bf16)) { convolveOnAmx(x, w, false, bias, residual, y, g); return; }
        long paddedAddress = padded.floats(NativeCpuKernels.convPaddedInputFloats(g.n(), g.c(), g.h(), g.w(), g.pad()));
        threads.forRange(g.n(), (t, n0, n1) -> NativeCpuKernels.convPadInput(x, paddedAddress, n0, n1, g.c(), g.h(), g.w(), g.pad()));
        long crs = (long) g.c() * g.r() * g.s();
        long pixels = (long) g.n() * g.p() * g.q();
        int panels = Math.toIntExact((pixels + PANEL - 1) / PANEL);
        if (bf16 != null) {
            // weights (K, C·R·S) rounded to bf16 into the kernels' row panels: the rows operand of the product
            long packedAddress = packed.bytes(2 * NativeCpuKernels.bf16PackedAElems(g.k(), crs));
            NativeCpuKernels.bf16PackA(w, crs, 1, g.k(), crs, 0, g.k(), packedAddress, bf16.id);
            long workspaceBytes = NativeCpuKernels.bf16ConvWorkspaceBytes(g.k());
            threads.forRange(panels, (t, a, b) -> NativeCpuKernels.bf16Conv2dForward(paddedAddress, packedAddress, bias, residual, y,
                    g.n(), g.c(), g.h(), g.w(), g.k(), g.r(), g.s(), g.stride(), g.pad(),
                    (long) a * PANEL, Math.min((long) b * PANEL, pixels), workspaces[t].bytes(workspaceBytes), bf16.id));
            return;
        }
        long packedAddress = packed.floats(NativeCpuKernels.convPackedWeightsFloats(g.k(), crs));
        NativeCpuKernels.convPackWeights(w, packedAddress, g.k(), crs);
        long workspaceFloats = NativeCpuKernels.convWorkspaceFloats(g.k());
        threads.forRange(panels, (t, a, b) -> NativeCpuKernels.conv2dForwardImplicit(paddedAddress, packedAddress, bias, residual, y,
                g.n(), g.c(), g.h(), g.w(), g.k(), g.r(), g.s(), g.stride(), g.pad(),
                (long) a * PANEL, Math.min((long) b * PANEL, pixels), workspaces[t].floats(workspaceFloats), kernel));
    }

    /**
     * A stride-1 convolution straight from a channels-last bf16 copy of the image (classwise_amx_conv.h). turned: w is the
     * weights (C, K, R, S) of the layer whose input gradient this convolution computes, read turned by 180° while packed.
     */
    private void convolveOnAmx(long x, long w, boolean turned, long bias, long residual, long y, ConvGeometry g) {
        long image = padded.bytes(2 * NativeCpuKernels.amxConvInputElems(g.n(), g.c(), g.h(), g.w(), g.r(), g.s(), g.pad()));
        long weights = packed.bytes(2 * NativeCpuKernels.amxConvWeightElems(g.k(), g.c(), g.r(), g.s()));
        // (block of 32 channels, block of 16 output channels) pairs; output channels padded to a multiple of 32, zero past K
        int units = (g.c() + 31) / 32 * ((g.k() + 31) / 32 * 2);
        threads.forRange(units, (t, a, b) -> NativeCpuKernels.amxConvPackWeights(w, weights, g.k(), g.c(), g.r(), g.s(),
                turned ? 1 : 0, a, b));
        threads.forRange(g.n(), (t, n0, n1) -> NativeCpuKernels.amxConvPackInput(x, image, n0, n1, g.c(), g.h(), g.w(), g.r(), g.s(), g.pad()));
        long tiles = NativeCpuKernels.amxConvTiles(g.n(), g.h(), g.w(), g.r(), g.s(), g.pad());
        int pairs = Math.toIntExact((tiles + 1) / 2);
        threads.forRange(pairs, (t, a, b) -> NativeCpuKernels.amxConvForward(image, weights, bias, residual, y, g.c(), g.h(), g.w(), g.k(),
                g.r(), g.s(), g.pad(), 2L * a, Math.min(2L * b, tiles)));
    }

    private static long address(Tensor t) { return HostAddresses.of(t); }
}
