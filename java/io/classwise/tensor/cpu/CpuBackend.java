package io.classwise.tensor.cpu;

import io.classwise.tensor.Backend;
import io.classwise.tensor.ConvGeometry;
import io.classwise.tensor.HostStorage;
import io.classwise.tensor.PoolGeometry;
import io.classwise.tensor.Precision;
import io.classwise.tensor.Tensor;
import io.classwise.tensor.reference.ReferenceBackend;
import org.bytedeco.javacpp.FloatPointer;

import java.nio.FloatBuffer;

import static io.classwise.tensor.Tensor.requireSize;

/**
 * The fast CPU backend: convolutions as an implicit GEMM with an AVX-512 or AVX2 micro-kernel where the
 * CPU has one, else im2col + OpenBLAS sgemm (weight gradients im2col + sgemm, small maps' images side by side; input
 * gradients of layers with few input channels directly), dense products of a few rows times a wide matrix on the
 * convolutions' micro-kernel (RowsTimesWideGemm), the others as sgemm split by rows or, where C has more columns than
 * rows, by columns, all parallel over the machine's cores (BLAS itself runs single-threaded so the work split, and so
 * the result, does not depend on BLAS's own threading). In bf16, native bf16 kernels (AMX, AVX-512 BF16) or the
 * emulation. Memory-bound layers run native/cpu's kernels (batch norm, ReLU, pooling, adds; fused where the Backend
 * names a fusion), else the reference loops.
 *
 * <p>Deterministic for a fixed thread count: every thread owns a fixed slice of the batch, and
 * per-thread weight-gradient partials are summed in thread order.
 */
public class CpuBackend implements Backend {
    /**
     * The plain loops, for every primitive this backend has no faster version of (the memory-bound
     * elementwise, loss and optimiser steps, listed at the end of this file) and for the layers whose
     * native kernels were turned off. Delegated one by one, so each fallback is a visible choice.
     */
    private final ReferenceBackend loops = new ReferenceBackend();
    private final CpuThreads threads;
    /** 1×1 convolutions with stride > 1 as stride-1 ones on the pixels they read; null without the native kernels. */
    private final StridedPointwise strided;
    /** Per-thread im2col columns (C·R·S, P·Q) and weight-gradient partials (K, C·R·S); grown on demand. */
    private final Workspace[] workspaces;
    private final boolean nativeKernels;
    private final CpuConvolution convolution;
    /** Null when convolutions run as im2col + sgemm. */
    private final ImplicitConvolution implicit;
    /** fp32 products of a few rows times a wide matrix with the convolutions' micro-kernel; null where OpenBLAS does them all. */
    private final RowsTimesWideGemm rowsTimesWide;
    /** Non-null in bf16 precision: how convolutions and GEMMs multiply bf16 operands. */
    private Bf16Kernel bf16Kernel;
    /** Non-null in bf16 precision: operands rounded to bf16 for the fp32 kernels (the emulation, and what the native kernels leave). */
    private Bf16Operands bf16;
    /** Non-null with a native bf16 kernel: the matrix products. */
    private Bf16Gemm bf16Gemm;

    public CpuBackend() { this(Runtime.getRuntime().availableProcessors()); }

    public CpuBackend(int threadCount) { this(threadCount, NativeCpuKernels.AVAILABLE); }

    /** {@code nativeKernels}: use native/cpu's kernels for the memory-bound layers (false: Java loops; tests compare both). */
    public CpuBackend(int threadCount, boolean nativeKernels) {
        this(threadCount, nativeKernels, nativeKernels ? CpuConvolution.best() : CpuConvolution.IM2COL_SGEMM);
    }

    /** As above, with the convolution algorithm chosen by the caller (benchmarks and tests compare them). */
    public CpuBackend(int threadCount, boolean nativeKernels, CpuConvolution convolution) {
        Blas.ensureLoaded();
        if (nativeKernels && !NativeCpuKernels.AVAILABLE) throw new IllegalStateException(NativeCpuKernels.REASON);
        String convWhy = convolution.unavailabilityCause();
        if (convWhy != null) throw new IllegalStateException(convolution + " is unavailable: " + convWhy);
        this.nativeKernels = nativeKernels;
        this.convolution = convolution;
        this.threads = new CpuThreads(threadCount);
        this.implicit = convolution == CpuConvolution.IM2COL_SGEMM ? null
                : new ImplicitConvolution(threads, convolution);
        this.rowsTimesWide = replacesBlasProducts(convolution) ? new RowsTimesWideGemm(threads, convolution) : null;
        this.workspaces = new Workspace[threadCount];
        for (int t = 0; t < threadCount; t++) workspaces[t] = new Workspace();
        this.strided = nativeKernels ? new StridedPointwise(this, threads) : null;
    }

    /** How this backend computes convolutions. */
    public CpuConvolution convolution() { return convolution; }

    /**
     * Sets the precision of convolutions and GEMMs: BF16 multiplies bf16-rounded operands and sums in fp32, with
     * the fastest {@link Bf16Kernel} this CPU runs. Returns this backend.
     */
    public CpuBackend precision(Precision p) { return precision(p, Bf16Kernel.best()); }

    /** As above with the bf16 kernel chosen by the caller (tests and benchmarks force each one; fp32 ignores it). */
    public CpuBackend precision(Precision p, Bf16Kernel kernel) {
        if (p == Precision.BF16) {
            String why = kernel.unavailabilityCause();
            if (why != null) throw new IllegalStateException("bf16 kernel " + kernel.flag() + " is unavailable: " + why);
        }
        if (bf16 != null) bf16.close();
        bf16 = p == Precision.BF16 ? new Bf16Operands(this::allocate, nativeKernels ? threads : null) : null;
        bf16Kernel = p == Precision.BF16 ? kernel : null;
        bf16Gemm = p == Precision.BF16 && kernel.isNative() ? new Bf16Gemm(threads) : null;
        return this;
    }

    /** The kernel that multiplies in bf16 precision; null in fp32. */
    public Bf16Kernel bf16Kernel() { return bf16Kernel; }

    /** A native bf16 kernel for the convolutions the implicit GEMM handles, else null (fp32, or the emulation). */
    private Bf16Kernel nativeBf16Convolution() {
        return bf16Kernel != null && bf16Kernel.isNative() && implicit != null ? bf16Kernel : null;
    }

    @Override public Precision precision() { return bf16 == null ? Precision.FP32 : Precision.BF16; }

    @Override public String name() { return "cpu"; }

    public int threadCount() { return threads.count(); }

    /** For {@code info}: which kernels run the memory-bound layers on this machine, and why. */
    public static String kernelDescription() {
        return NativeCpuKernels.AVAILABLE ? "native kernels (native/cpu), convolutions " + CpuConvolution.best()
                : "Java loops: " + NativeCpuKernels.REASON;
    }

    /** Whether native/cpu's kernels load on this machine (they are needed for the implicit-GEMM convolutions). */
    public static boolean kernelsAvailable() { return NativeCpuKernels.AVAILABLE; }

    /** Whether the hand-written native kernels run the memory-bound layers (else Java loops). */
    public boolean usesNativeKernels() { return nativeKernels; }

    /** Address of element {@code offset} of a host tensor. */
    private static long addr(Tensor t, long offset) { return HostAddresses.of(t) + offset * Float.BYTES; }

    @Override
    public void close() {
        if (bf16 != null) bf16.close();
        if (strided != null) strided.close();
        threads.close();
    }

    // ---------------------------------------------------------------- dense algebra

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        if (bf16Gemm != null && k > 0) bf16Gemm.multiply(transA, transB, m, n, k, alpha, a, b, beta, c, bf16Kernel);
        else if (bf16 != null) gemmFp32(transA, transB, m, n, k, alpha, bf16.rounded(a, 0), bf16.rounded(b, 1), beta, c);
        else gemmFp32(transA, transB, m, n, k, alpha, a, b, beta, c);
    }

    private void gemmFp32(boolean transA, boolean transB, int m, int n, int k, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        requireSize(a, m * k, "gemm A");
        requireSize(b, k * n, "gemm B");
        requireSize(c, m * n, "gemm C");
        if (rowsTimesWide != null && RowsTimesWideGemm.handles(transA, transB, m, n, k, alpha, beta)) {
            rowsTimesWide.multiply(addr(a, 0), addr(b, 0), transB, addr(c, 0), m, n, k, beta);
            return;
        }
        FloatPointer pa = Blas.pointer(a), pb = Blas.pointer(b), pc = Blas.pointer(c);
        if (n > m) {
            // Split the columns of C: each thread reads its share of op(B) once — with C's rows split, every thread
            // streamed all of B (a linear layer's weights, 12 MiB on the Madry CNN) for half as many rows.
            // op(B)'s columns j0.. start at column j0 (plain) or row j0 (transposed).
            threads.forRange(n, (t, j0, j1) -> Blas.sgemm(transA, transB, m, j1 - j0, k, alpha,
                    pa, 0, transA ? m : k,
                    pb, transB ? (long) j0 * k : j0, transB ? k : n,
                    beta, pc, j0, n));
            return;
        }
        // Split the rows of C; op(A)'s rows i0.. start at i0·k (plain) or column i0 (transposed).
        threads.forRange(m, (t, i0, i1) -> Blas.sgemm(transA, transB, i1 - i0, n, k, alpha,
                pa, transA ? i0 : (long) i0 * k, transA ? m : k,
                pb, 0, transB ? k : n,
                beta, pc, (long) i0 * n, n));
    }

    // ---------------------------------------------------------------- convolution

    private static boolean isPointwise(ConvGeometry g) {
        return g.r() == 1 && g.s() == 1 && g.stride() == 1 && g.pad() == 0;
    }

    @Override
    public void conv2dForward(Tensor x, Tensor w, Tensor b, Tensor y, ConvGeometry g) {
        if (strided != null && StridedPointwise.handles(g)) { g.requireShapes(x, w, y); strided.forward(x, w, b, null, y, g); return; }
        Bf16Kernel kernel = nativeBf16Convolution();
        if (kernel != null) {
            g.requireShapes(x, w, y);
            implicit.forward(x, w, b, null, y, g, kernel);
        } else if (bf16 != null) conv2dForwardFp32(bf16.rounded(x, 0), bf16.rounded(w, 1), b, y, g);
        else conv2dForwardFp32(x, w, b, y, g);
    }

    /** The implicit GEMM and the AMX convolution add the residual as they store y; im2col + sgemm and the emulation add it after. */
    @Override
    public void conv2dForwardPlus(Tensor x, Tensor w, Tensor b, Tensor residual, Tensor y, ConvGeometry g) {
        if (strided != null && StridedPointwise.handles(g)) {
            g.requireShapes(x, w, y);
            strided.forward(x, w, b, residual, y, g);
            return;
        }
        Bf16Kernel kernel = nativeBf16Convolution();
        if (kernel == null && (bf16 != null || implicit == null)) { Backend.super.conv2dForwardPlus(x, w, b, residual, y, g); return; }
        g.requireShapes(x, w, y);
        requireSize(residual, y.size(), "conv2dForwardPlus residual");
        implicit.forward(x, w, b, residual, y, g, kernel);
    }

    private void conv2dForwardFp32(Tensor x, Tensor w, Tensor b, Tensor y, ConvGeometry g) {
        g.requireShapes(x, w, y);
        if (implicit != null) { implicit.forward(x, w, b, null, y, g, null); return; }
        int crs = g.c() * g.r() * g.s(), pq = g.p() * g.q(), chw = g.c() * g.h() * g.w();
        FloatPointer px = Blas.pointer(x), pw = Blas.pointer(w), py = Blas.pointer(y);
        FloatBuffer yb = HostStorage.of(y), bb = b == null ? null : HostStorage.of(b);
        threads.forRange(g.n(), (t, n0, n1) -> {
            Workspace ws = workspaces[t];
            for (int n = n0; n < n1; n++) {
                FloatPointer cols;
                long colOff;
                if (isPointwise(g)) { cols = px; colOff = (long) n * chw; }
                else { im2col(x, n, g, ws); cols = ws.colsPointer(); colOff = 0; }
                // y[n] (K, PQ) = W (K, CRS) · cols (CRS, PQ)
                Blas.sgemm(false, false, g.k(), pq, crs, 1f, pw, 0, crs, cols, colOff, pq, 0f, py, (long) n * g.k() * pq, pq);
                if (bb != null && nativeKernels) {
                    NativeCpuKernels.addChannelBias(addr(y, (long) n * g.k() * pq), addr(b, 0), 1, g.k(), pq);
                } else if (bb != null) {
                    for (int k = 0; k < g.k(); k++) {
                        float bias = bb.get(k);
                        int base = (n * g.k() + k) * pq;
                        for (int i = 0; i < pq; i++) yb.put(base + i, yb.get(base + i) + bias);
                    }
                }
            }
        });
    }

    @Override
    public void conv2dBackwardData(Tensor dy, Tensor w, Tensor dx, ConvGeometry g) {
        Bf16Kernel kernel = nativeBf16Convolution();
        if (kernel != null && ImplicitConvolution.handlesBackwardData(g, kernel)) {
            g.requireShapes(dx, w, dy);
            implicit.backwardData(dy, w, dx, g, kernel);
        } else if (bf16Gemm != null) conv2dBackwardDataBf16(dy, w, dx, g, bf16Kernel);
        else if (bf16 != null) conv2dBackwardDataFp32(bf16.rounded(dy, 0), bf16.rounded(w, 1), dx, g);
        else conv2dBackwardDataFp32(dy, w, dx, g);
    }

    /**
     * The input gradient of the convolutions the bf16 convolution kernels leave (stride 2, few input channels) with the
     * bf16 matrix product: cols (C·R·S, G·P·Q) = Wᵀ (C·R·S × K, packed once) · dy (K × G·P·Q) for groups of G images
     * side by side (as the weight gradients: a downsampling layer's P·Q is 16–256), then col2im per image (a 1×1
     * stride-1 convolution writes dx[n] directly, one image at a time).
     */
    private void conv2dBackwardDataBf16(Tensor dy, Tensor w, Tensor dx, ConvGeometry g, Bf16Kernel kernel) {
        g.requireShapes(dx, w, dy);
        int crs = g.c() * g.r() * g.s(), pq = g.p() * g.q(), chw = g.c() * g.h() * g.w(), k = g.k();
        long packed = bf16Gemm.packRows(addr(w, 0), crs, false, crs, k, kernel); // Wᵀ[i, kk] = w[kk·crs + i]
        boolean pointwise = isPointwise(g);
        int group = pointwise ? 1 : Math.max(1, (WEIGHT_GRADIENT_DEPTH + pq - 1) / pq);
        threads.forRange(g.n(), (t, n0, n1) -> {
            Workspace ws = workspaces[t];
            for (int n = n0; n < n1; n += group) {
                int images = Math.min(group, n1 - n), width = images * pq;
                if (pointwise) {
                    bf16Gemm.multiplyPacked(t, packed, crs, k, addr(dy, (long) n * k * pq), pq, addr(dx, (long) n * chw), pq, pq, kernel);
                    continue;
                }
                ws.cols(crs * width);
                long dyRows = addr(dy, (long) n * k * pq);
                if (images > 1) {
                    dyRows = ws.sideBySide(k * width).address();
                    NativeCpuKernels.sideBySide(addr(dy, (long) n * k * pq), dyRows, images, k, pq);
                }
                bf16Gemm.multiplyPacked(t, packed, crs, k, dyRows, width, ws.colsAddress(), width, width, kernel);
                for (int j = 0; j < images; j++)
                    NativeCpuKernels.col2imStrided(ws.colsAddress() + 4L * j * pq, width, addr(dx, (long) (n + j) * chw), g.c(), g.h(),
                            g.w(), g.r(), g.s(), g.stride(), g.pad());
            }
        });
    }

    /**
     * Whether the fp32 input gradient runs native/cpu/classwise_conv_input_gradient.h: stride 1 with fewer input channels
     * than the implicit GEMM takes (an image's 1 or 3), with its AVX-512 kernel, or its reference where the backend was
     * asked for the portable implicit GEMM (tests); else im2col + sgemm + col2im.
     */
    private boolean computesInputGradientDirectly(ConvGeometry g) {
        return g.stride() == 1 && g.c() < ImplicitConvolution.MIN_INPUT_GRADIENT_CHANNELS && replacesBlasProducts(convolution);
    }

    /**
     * Whether the own kernels take over products OpenBLAS would run (RowsTimesWideGemm, the direct few-channel input
     * gradient): with the AVX-512 kernel, the one they were measured faster with, and with the portable kernel, their
     * reference, which the tests run. AVX2 CPUs keep OpenBLAS for those.
     */
    private static boolean replacesBlasProducts(CpuConvolution c) {
        return c == CpuConvolution.IMPLICIT_GEMM_AVX512 || c == CpuConvolution.IMPLICIT_GEMM_PORTABLE;
    }

    private void conv2dBackwardDataFp32(Tensor dy, Tensor w, Tensor dx, ConvGeometry g) {
        g.requireShapes(dx, w, dy);
        if (implicit != null && ImplicitConvolution.handlesBackwardData(g)) { implicit.backwardData(dy, w, dx, g, null); return; }
        if (computesInputGradientDirectly(g)) {
            int vector = convolution == CpuConvolution.IMPLICIT_GEMM_AVX512 ? 1 : 0;
            long pdy = addr(dy, 0), pw = addr(w, 0), pdx = addr(dx, 0);
            threads.forRange(g.n() * g.c(), (t, p0, p1) -> NativeCpuKernels.convInputGradientDirect(pdy, pw, pdx, g.c(), g.h(), g.w(), g.k(),
                    g.r(), g.s(), g.pad(), p0, p1, vector));
            return;
        }
        int crs = g.c() * g.r() * g.s(), pq = g.p() * g.q(), chw = g.c() * g.h() * g.w();
        FloatPointer pdy = Blas.pointer(dy), pw = Blas.pointer(w), pdx = Blas.pointer(dx);
        FloatBuffer dxb = HostStorage.of(dx);
        threads.forRange(g.n(), (t, n0, n1) -> {
            Workspace ws = workspaces[t];
            for (int n = n0; n < n1; n++) {
                long dyOff = (long) n * g.k() * pq;
                if (isPointwise(g)) {
                    // dx[n] (C, HW) = Wᵀ (C, K) · dy[n] (K, HW)
                    Blas.sgemm(true, false, crs, pq, g.k(), 1f, pw, 0, crs, pdy, dyOff, pq, 0f, pdx, (long) n * chw, pq);
                } else {
                    FloatBuffer cols = ws.cols(crs * pq);
                    Blas.sgemm(true, false, crs, pq, g.k(), 1f, pw, 0, crs, pdy, dyOff, pq, 0f, ws.colsPointer(), 0, pq);
                    if (nativeKernels) NativeCpuKernels.col2im(ws.colsAddress(), addr(dx, (long) n * chw), g.c(), g.h(), g.w(),
                            g.r(), g.s(), g.stride(), g.pad());
                    else Im2col.col2im(cols, g, dxb, n * chw, ws.scratch);
                }
            }
        });
    }

    @Override
    public void conv2dBackwardFilter(Tensor x, Tensor dy, Tensor dw, Tensor db, ConvGeometry g) {
        g.requireShapes(x, dw, dy);
        if (strided != null && StridedPointwise.handles(g)) { strided.backwardFilter(x, dy, dw, db, g); return; }
        if (bf16Gemm != null) weightGradient(x, dy, dw, g, bf16Kernel);
        else if (bf16 != null) weightGradient(bf16.rounded(x, 0), bf16.rounded(dy, 1), dw, g, null);
        else weightGradient(x, dy, dw, g, null);
        if (db != null) biasGradient(dy, db, g); // a sum, not a product: from the fp32 dy in every precision
    }

    /**
     * dw (K, C·R·S) += Σ_n dy[n] (K, P·Q) · cols[n]ᵀ, per thread into a partial summed in thread order. bf16: a native
     * bf16 kernel (each group's dy and columns rounded while packed), or null for sgemm.
     *
     * <p>A product per image is only P·Q deep: 16 on a 4×4 map, half of one AMX tile's depth and too shallow for any
     * GEMM to reach its rate. With the native kernels, images go in groups whose columns lie side by side,
     * dy (K, G·P·Q) · cols (C·R·S, G·P·Q)ᵀ, at least {@link #WEIGHT_GRADIENT_DEPTH} deep.
     */
    private void weightGradient(Tensor x, Tensor dy, Tensor dw, ConvGeometry g, Bf16Kernel bf16) {
        int crs = g.c() * g.r() * g.s(), pq = g.p() * g.q(), chw = g.c() * g.h() * g.w(), K = g.k();
        FloatPointer px = Blas.pointer(x), pdy = Blas.pointer(dy);
        boolean pointwise = isPointwise(g);
        int group = nativeKernels ? Math.max(1, (WEIGHT_GRADIENT_DEPTH + pq - 1) / pq) : 1;
        int used = threads.forRange(g.n(), (t, n0, n1) -> {
            Workspace ws = workspaces[t];
            ws.partial(K * crs);
            for (int n = n0; n < n1; n += group) {
                int images = Math.min(group, n1 - n), depth = images * pq;
                float beta = n == n0 ? 0f : 1f;
                // dy (K, depth) and cols (CRS, depth), rows depth floats apart: base pointer + offset in floats
                FloatPointer dyRows = pdy, cols = px;
                long dyOff = (long) n * K * pq, colsOff = (long) n * chw;
                if (images == 1) {
                    if (!pointwise) { im2col(x, n, g, ws); cols = ws.colsPointer(); colsOff = 0; }
                } else {
                    ws.cols(crs * depth);
                    cols = ws.colsPointer();
                    colsOff = 0;
                    for (int j = 0; j < images; j++)
                        NativeCpuKernels.im2colStrided(addr(x, (long) (n + j) * chw), ws.colsAddress() + 4L * j * pq, depth,
                                g.c(), g.h(), g.w(), g.r(), g.s(), g.stride(), g.pad());
                    dyRows = ws.sideBySide(K * depth);
                    dyOff = 0;
                    NativeCpuKernels.sideBySide(addr(dy, (long) n * K * pq), dyRows.address(), images, K, pq);
                }
                if (bf16 != null) {
                    // partial (K, CRS) (+)= dy (K rows, depth deep) · columns stored by column: cols (CRS, depth)
                    bf16Gemm.multiplyOnThread(t, dyRows.address() + 4 * dyOff, depth, K, depth, cols.address() + 4 * colsOff, depth,
                            ws.partialAddress(), crs, crs, beta, bf16);
                } else {
                    // partial (K, CRS) (+)= dy (K, depth) · colsᵀ (depth, CRS)
                    Blas.sgemm(false, true, K, crs, depth, 1f, dyRows, dyOff, depth, cols, colsOff, depth, beta, ws.partialPointer(), 0, crs);
                }
            }
        });
        FloatBuffer dwb = HostStorage.of(dw);
        for (int t = 0; t < used; t++) {
            FloatBuffer part = workspaces[t].partialBuffer();
            for (int i = 0; i < K * crs; i++) dwb.put(i, dwb.get(i) + part.get(i));
        }
    }

    /** Weight gradients multiply at least this deep, and GEMM-based input gradients at least this wide (images grouped on small maps). */
    private static final int WEIGHT_GRADIENT_DEPTH = 256;

    /** db (K) += Σ_{n, pixels} dy, each channel's sum in double. */
    private void biasGradient(Tensor dy, Tensor db, ConvGeometry g) {
        int pq = g.p() * g.q(), K = g.k();
        FloatBuffer dyb = HostStorage.of(dy), dbb = HostStorage.of(db);
        threads.forRange(K, (t, k0, k1) -> {
            for (int k = k0; k < k1; k++) {
                double s = 0;
                for (int n = 0; n < g.n(); n++) {
                    int base = (n * K + k) * pq;
                    for (int i = 0; i < pq; i++) s += dyb.get(base + i);
                }
                dbb.put(k, dbb.get(k) + (float) s);
            }
        });
    }

    /** The columns of image n of x into the thread's workspace. */
    private void im2col(Tensor x, int n, ConvGeometry g, Workspace ws) {
        int chw = g.c() * g.h() * g.w();
        FloatBuffer cols = ws.cols(g.c() * g.r() * g.s() * g.p() * g.q());
        if (nativeKernels) NativeCpuKernels.im2col(addr(x, (long) n * chw), ws.colsAddress(), g.c(), g.h(), g.w(), g.r(), g.s(),
                g.stride(), g.pad());
        else Im2col.im2col(HostStorage.of(x), n * chw, g, cols, ws.scratch);
    }

    // ---------------------------------------------------------------- memory-bound layers
    // native/cpu's kernels, each thread on its slice of the batch; without them (a platform the jar
    // was not built on) the reference loops.

    @Override
    public void relu(Tensor x, Tensor y) {
        if (!nativeKernels) { loops.relu(x, y); return; }
        requireSize(y, x.size(), "relu");
        threads.forRange(x.size(), (t, i0, i1) -> NativeCpuKernels.relu(addr(x, i0), addr(y, i0), i1 - i0));
    }

    @Override
    public void reluBackward(Tensor y, Tensor dy, Tensor dx) {
        if (!nativeKernels) { loops.reluBackward(y, dy, dx); return; }
        requireSize(dy, y.size(), "reluBackward");
        requireSize(dx, y.size(), "reluBackward");
        threads.forRange(y.size(), (t, i0, i1) -> NativeCpuKernels.reluBackward(addr(y, i0), addr(dy, i0), addr(dx, i0), i1 - i0));
    }

    @Override
    public void maxPoolForward(Tensor x, Tensor y, PoolGeometry g) {
        if (nativeKernels) maxPoolForward(x, y, g, false); else loops.maxPoolForward(x, y, g);
    }

    @Override
    public void reluMaxPoolForward(Tensor x, Tensor y, PoolGeometry g) {
        if (nativeKernels) maxPoolForward(x, y, g, true); else loops.reluMaxPoolForward(x, y, g);
    }

    @Override
    public void maxPoolBackward(Tensor x, Tensor dy, Tensor dx, PoolGeometry g) {
        if (nativeKernels) maxPoolBackward(x, dy, dx, g, false); else loops.maxPoolBackward(x, dy, dx, g);
    }

    @Override
    public void reluMaxPoolBackward(Tensor x, Tensor dy, Tensor dx, PoolGeometry g) {
        if (nativeKernels) maxPoolBackward(x, dy, dx, g, true); else loops.reluMaxPoolBackward(x, dy, dx, g);
    }

    private void maxPoolForward(Tensor x, Tensor y, PoolGeometry g, boolean relu) {
        g.requireShapes(x, y);
        int hw = g.h() * g.w(), pq = g.p() * g.q();
        threads.forRange(g.n() * g.c(), (t, c0, c1) -> NativeCpuKernels.maxPoolForward(addr(x, (long) c0 * hw), addr(y, (long) c0 * pq),
                c1 - c0, g.h(), g.w(), g.kernel(), g.stride(), g.pad(), relu ? 1 : 0));
    }

    private void maxPoolBackward(Tensor x, Tensor dy, Tensor dx, PoolGeometry g, boolean relu) {
        g.requireShapes(x, dy);
        requireSize(dx, x.size(), "maxPoolBackward");
        int hw = g.h() * g.w(), pq = g.p() * g.q();
        threads.forRange(g.n() * g.c(), (t, c0, c1) -> NativeCpuKernels.maxPoolBackward(addr(x, (long) c0 * hw), addr(dy, (long) c0 * pq),
                addr(dx, (long) c0 * hw), c1 - c0, g.h(), g.w(), g.kernel(), g.stride(), g.pad(), relu ? 1 : 0));
    }

    @Override
    public void linfPgdStep(Tensor xAdv, Tensor grad, Tensor xNat, float step, float eps) {
        if (!nativeKernels) { loops.linfPgdStep(xAdv, grad, xNat, step, eps); return; }
        requireSize(grad, xAdv.size(), "linfPgdStep");
        requireSize(xNat, xAdv.size(), "linfPgdStep");
        threads.forRange(xAdv.size(), (t, i0, i1) -> NativeCpuKernels.linfPgdStep(addr(xAdv, i0), addr(grad, i0), addr(xNat, i0),
                step, eps, i1 - i0));
    }

    // Batch norm: threads split the channels; each channel's sums stay in one thread (deterministic).

    @Override
    public void batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                      float momentum, float eps, Tensor y, Tensor saveMean, Tensor saveInvStd) {
        if (!nativeKernels) { loops.batchNormTrainForward(x, gamma, beta, runningMean, runningVar, momentum, eps, y, saveMean,
                saveInvStd); return; }
        int n = x.dim(0), c = x.dim(1), hw = x.size() / (n * c);
        requireSize(y, x.size(), "batchNormTrainForward");
        threads.forRange(c, (t, c0, c1) -> NativeCpuKernels.batchNormTrainForward(addr(x, 0), addr(gamma, 0), addr(beta, 0),
                addr(runningMean, 0),
                addr(runningVar, 0), momentum, eps, addr(y, 0), addr(saveMean, 0), addr(saveInvStd, 0), n, c, hw, c0, c1));
    }

    @Override
    public void batchNormTrainBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                       Tensor dx, Tensor dGamma, Tensor dBeta) {
        if (!nativeKernels) { loops.batchNormTrainBackward(x, dy, gamma, saveMean, saveInvStd, dx, dGamma, dBeta); return; }
        int n = x.dim(0), c = x.dim(1), hw = x.size() / (n * c);
        requireSize(dx, x.size(), "batchNormTrainBackward");
        threads.forRange(c, (t, c0, c1) -> NativeCpuKernels.batchNormTrainBackward(addr(x, 0), addr(dy, 0), addr(gamma, 0),
                addr(saveMean, 0),
                addr(saveInvStd, 0), addr(dx, 0), dGamma == null ? 0 : addr(dGamma, 0), dBeta == null ? 0 : addr(dBeta,
                        0), n, c, hw, c0, c1));
    }

    @Override
    public void batchNormReluTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                          float momentum, float eps, Tensor y, Tensor saveMean, Tensor saveInvStd) {
        if (!nativeKernels) { Backend.super.batchNormReluTrainForward(x, gamma, beta, runningMean, runningVar, momentum, eps, y, saveMean,
                saveInvStd); return; }
        int n = x.dim(0), c = x.dim(1), hw = x.size() / (n * c);
        requireSize(y, x.size(), "batchNormReluTrainForward");
        threads.forRange(c, (t, c0, c1) -> NativeCpuKernels.batchNormReluTrainForward(addr(x, 0), addr(gamma, 0), addr(beta, 0),
                addr(runningMean, 0), addr(runningVar, 0), momentum, eps, addr(y, 0), addr(saveMean, 0), addr(saveInvStd, 0), n, c, hw,
                c0, c1, 1));
    }

    @Override
    public void batchNormReluTrainBackward(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor beta, Tensor saveMean, Tensor saveInvStd,
                                           Tensor dx, Tensor dGamma, Tensor dBeta) {
        if (!nativeKernels) {
            Backend.super.batchNormReluTrainBackward(x, y, dy, gamma, beta, saveMean, saveInvStd, dx, dGamma, dBeta);
            return;
        }
        batchNormReluBackwardNative(x, dy, gamma, beta, saveMean, saveInvStd, null, dx, dGamma, dBeta);
    }

    @Override
    public void batchNormReluTrainBackwardPlus(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor beta, Tensor saveMean,
                                               Tensor saveInvStd, Tensor plus, Tensor dx, Tensor dGamma, Tensor dBeta) {
        if (!nativeKernels) {
            Backend.super.batchNormReluTrainBackwardPlus(x, y, dy, gamma, beta, saveMean, saveInvStd, plus, dx, dGamma, dBeta);
            return;
        }
        requireSize(plus, x.size(), "batchNormReluTrainBackwardPlus plus");
        batchNormReluBackwardNative(x, dy, gamma, beta, saveMean, saveInvStd, plus, dx, dGamma, dBeta);
    }

    /** The native kernel recomputes where the ReLU passed from x and β (its forward's arithmetic, replayed): y is not read. */
    private void batchNormReluBackwardNative(Tensor x, Tensor dy, Tensor gamma, Tensor beta, Tensor saveMean, Tensor saveInvStd, Tensor plus,
                                             Tensor dx, Tensor dGamma, Tensor dBeta) {
        int n = x.dim(0), c = x.dim(1), hw = x.size() / (n * c);
        requireSize(dx, x.size(), "batchNormReluTrainBackward");
        requireSize(beta, c, "batchNormReluTrainBackward beta");
        threads.forRange(c, (t, c0, c1) -> NativeCpuKernels.batchNormReluTrainBackward(addr(x, 0), addr(beta, 0), addr(dy, 0), addr(gamma, 0),
                addr(saveMean, 0), addr(saveInvStd, 0), plus == null ? 0 : addr(plus, 0), addr(dx, 0), dGamma == null ? 0 : addr(dGamma, 0),
                dBeta == null ? 0 : addr(dBeta, 0), n, c, hw, c0, c1));
    }

    @Override
    public void batchNormInferenceForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps, Tensor y) {
        if (!nativeKernels) { loops.batchNormInferenceForward(x, gamma, beta, runningMean, runningVar, eps, y); return; }
        int n = x.dim(0), c = x.dim(1), hw = x.size() / (n * c);
        requireSize(y, x.size(), "batchNormInferenceForward");
        threads.forRange(c, (t, c0, c1) -> NativeCpuKernels.batchNormInferenceForward(addr(x, 0), addr(gamma, 0), addr(beta, 0),
                addr(runningMean, 0), addr(runningVar, 0), eps, addr(y, 0), n, c, hw, c0, c1));
    }

    @Override
    public void batchNormInferenceBackward(Tensor x, Tensor dy, Tensor gamma, Tensor runningMean, Tensor runningVar,
                                           float eps, Tensor dx, Tensor dGamma, Tensor dBeta) {
        if (!nativeKernels) { loops.batchNormInferenceBackward(x, dy, gamma, runningMean, runningVar, eps, dx, dGamma, dBeta); return; }
        int n = x.dim(0), c = x.dim(1), hw = x.size() / (n * c);
        requireSize(dx, x.size(), "batchNormInferenceBackward");
        threads.forRange(c, (t, c0, c1) -> NativeCpuKernels.batchNormInferenceBackward(addr(x, 0), addr(dy, 0), addr(gamma, 0),
                addr(runningMean, 0), addr(runningVar, 0), eps, addr(dx, 0), dGamma == null ? 0 : addr(dGamma, 0),
                dBeta == null ? 0 : addr(dBeta, 0), n, c, hw, c0, c1));
    }

    /** Scratch memory of one worker thread. */
    private static final class Workspace {
        final Im2col.Scratch scratch = new Im2col.Scratch();

        private HostStorage cols, partial;
        private FloatPointer colsPtr, partialPtr;

        FloatBuffer cols(int floats) {
            if (cols == null || cols.capacity() < floats) {
                cols = new HostStorage(floats);
                colsPtr = new FloatPointer(cols.buffer());
            }
            return cols.buffer();
        }

        FloatPointer colsPointer() { return colsPtr; }

        private HostStorage sideBySide;
        private FloatPointer sideBySidePtr;

        /** A group's dy side by side (K, G·P·Q): at least {@code floats} long. */
        FloatPointer sideBySide(int floats) {
            if (sideBySide == null || sideBySide.capacity() < floats) {
                sideBySide = new HostStorage(floats);
                sideBySidePtr = new FloatPointer(sideBySide.buffer());
            }
            return sideBySidePtr;
        }

        long colsAddress() { return HostAddresses.of(cols); }

        void partial(int floats) {
            if (partial == null || partial.capacity() < floats) {
                partial = new HostStorage(floats);
                partialPtr = new FloatPointer(partial.buffer());
            }
        }

        FloatBuffer partialBuffer() { return partial.buffer(); }

        FloatPointer partialPointer() { return partialPtr; }

        long partialAddress() { return HostAddresses.of(partial); }
    }

    // ---------------------------------------------------------------- memory and the primitives the reference loops compute

    @Override
    public Tensor allocate(int... shape) { return Tensor.of(this, new HostStorage(Tensor.sizeOf(shape)), shape); }

    @Override public void upload(float[] src, Tensor dst) { loops.upload(src, dst); }

    @Override public void upload(FloatBuffer src, Tensor dst) { loops.upload(src, dst); }

    @Override public float[] download(Tensor src) { return loops.download(src); }

    @Override public void copy(Tensor src, Tensor dst) { loops.copy(src, dst); }

    @Override public void fill(Tensor t, float value) { loops.fill(t, value); }

    @Override public void axpy(float a, Tensor x, Tensor y) { loops.axpy(a, x, y); }

    @Override public void scale(Tensor x, float a) { loops.scale(x, a); }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        if (!nativeKernels) { loops.add(a, b, out); return; }
        requireSize(b, a.size(), "add b");
        requireSize(out, a.size(), "add out");
        threads.forRange(a.size(), (t, i0, i1) -> NativeCpuKernels.add(addr(a, i0), addr(b, i0), addr(out, i0), i1 - i0));
    }

    @Override public double sum(Tensor x) { return loops.sum(x); }

    @Override public void addRowVector(Tensor y, Tensor bias) { loops.addRowVector(y, bias); }

    @Override public void sumRows(Tensor dy, Tensor db) { loops.sumRows(dy, db); }

    @Override public void avgPoolForward(Tensor x, Tensor y, PoolGeometry g) { loops.avgPoolForward(x, y, g); }

    @Override public void avgPoolBackward(Tensor dy, Tensor dx, PoolGeometry g) { loops.avgPoolBackward(dy, dx, g); }

    @Override public void swish(Tensor x, Tensor y) { loops.swish(x, y); }

    @Override public void swishBackward(Tensor x, Tensor dy, Tensor dx) { loops.swishBackward(x, dy, dx); }

    @Override public void zeroPad2d(Tensor x, Tensor y, int top, int left) { loops.zeroPad2d(x, y, top, left); }

    @Override public void zeroPad2dBackward(Tensor dy, Tensor dx, int top, int left) { loops.zeroPad2dBackward(dy, dx, top, left); }

    @Override public void normalizeChannels(Tensor x, Tensor mean, Tensor std, Tensor y) { loops.normalizeChannels(x, mean, std, y); }

    @Override public void normalizeChannelsBackward(Tensor dy, Tensor std, Tensor dx) { loops.normalizeChannelsBackward(dy, std, dx); }

    @Override public void l2NormalizeRows(Tensor x, Tensor y, Tensor norms, float eps) { loops.l2NormalizeRows(x, y, norms, eps); }

    @Override public void l2NormalizeRowsBackward(Tensor y, Tensor norms, Tensor dy, Tensor dx) { loops.l2NormalizeRowsBackward(y, norms, dy, dx); }

    @Override
    public void softmaxCrossEntropy(Tensor logits, Tensor labels, float temperature, Tensor loss, Tensor dLogits, float gradScale) {
        loops.softmaxCrossEntropy(logits, labels, temperature, loss, dLogits, gradScale);
    }

    @Override public void softmax(Tensor logits, float temperature, Tensor probs) { loops.softmax(logits, temperature, probs); }

    @Override
    public void klDivergence(Tensor logitsP, Tensor logitsQ, Tensor loss, Tensor dLogitsP, Tensor dLogitsQ, float gradScale) {
        loops.klDivergence(logitsP, logitsQ, loss, dLogitsP, dLogitsQ, gradScale);
    }

    @Override
    public void boostedCrossEntropy(Tensor logits, Tensor labels, Tensor loss, Tensor dLogits, float gradScale) {
        loops.boostedCrossEntropy(logits, labels, loss, dLogits, gradScale);
    }

    @Override
    public void marginLoss(Tensor logits, Tensor labels, float kappa, Tensor loss, Tensor dLogits, float gradScale) {
        loops.marginLoss(logits, labels, kappa, loss, dLogits, gradScale);
    }

    @Override public void dlrLoss(Tensor logits, Tensor labels, Tensor loss, Tensor dLogits, float gradScale) { loops.dlrLoss(logits, labels, loss, dLogits, gradScale); }

    @Override public int[] argmaxRows(Tensor logits) { return loops.argmaxRows(logits); }

    @Override
    public void sgdStep(Tensor param, Tensor grad, Tensor momentumBuf, float lr, float momentum, float dampening,
                        float weightDecay, boolean nesterov, boolean firstStep) {
        loops.sgdStep(param, grad, momentumBuf, lr, momentum, dampening, weightDecay, nesterov, firstStep);
    }

    @Override public void l2PgdStep(Tensor xAdv, Tensor grad, Tensor xNat, float step, float eps) { loops.l2PgdStep(xAdv, grad, xNat, step, eps); }

    @Override
    public void linfPgdStepPerRow(Tensor xAdv, Tensor grad, Tensor xNat, Tensor stepPerRow, float eps) {
        loops.linfPgdStepPerRow(xAdv, grad, xNat, stepPerRow, eps);
    }

    @Override
    public void linfPgdStepRows(Tensor xAdv, Tensor grad, Tensor xNat, Tensor stepPerRow, Tensor epsPerRow) {
        loops.linfPgdStepRows(xAdv, grad, xNat, stepPerRow, epsPerRow);
    }

    @Override public void scaleRows(Tensor x, Tensor scale) { loops.scaleRows(x, scale); }

    @Override public void addAtLabels(Tensor logits, Tensor labels, float value, Tensor out) { loops.addAtLabels(logits, labels, value, out); }

    @Override public void copyRowsWhere(Tensor src, Tensor dst, Tensor mask) { loops.copyRowsWhere(src, dst, mask); }

    @Override public void momentumAccumulate(Tensor grad, Tensor buf, float mu) { loops.momentumAccumulate(grad, buf, mu); }

    @Override public String toString() { return name(); }
}
