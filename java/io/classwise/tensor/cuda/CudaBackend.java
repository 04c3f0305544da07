package io.classwise.tensor.cuda;

import io.classwise.tensor.Backend;
import io.classwise.tensor.ConvGeometry;
import io.classwise.tensor.PadGeometry;
import io.classwise.tensor.PoolGeometry;
import io.classwise.tensor.Tensor;
import io.classwise.tensor.cuda.CudaKernels.Grid;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;

import static io.classwise.tensor.Tensor.requireSize;

/**
 * The GPU backend: cuDNN for convolutions and training-mode batch norm, cuBLAS for dense products,
 * native/cuda's kernels (one fatbin in the jar) for everything else. Java allocates, launches and
 * synchronises; all work is queued on one stream, and the host waits only where a result is read
 * (download, argmax, sum). Under it one seam: a {@link DeviceRuntime} (memory, copies, launches) and
 * {@link VendorLibraries} — the real ones on a GPU, or an emulated device ({@link #emulated}) on which this
 * class's own code and the same kernels run on any machine, for the tests.
 *
 * <p>fp32 throughout by default (cuBLAS pedantic math, cuDNN FMA math): results match the CPU
 * backend to float32 rounding. {@code tf32 = true} lets convolutions and GEMMs use tensor cores.
 *
 * <p>Status: compiled against JavaCPP's CUDA 13.1 / cuDNN 9.19 bindings, NOT YET RUN ON A GPU (no GPU
 * was lent to the sessions that wrote it); {@code --device auto} therefore still picks the CPU, and
 * {@code --device cuda} warns. The GPU parity tests (tests/.../cuda, tag "gpu") are the gate.
 */
public final class CudaBackend implements Backend {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CudaBackend.class);

    private final DeviceRuntime runtime;
    private final DeviceAllocator allocator;
    private final VendorLibraries vendor;
    private final KernelModule module;
    private final CudaKernels kernels;
    private final String name, description;
    /** Per channel count: sinks for the parameter gradients cuDNN's BN backward always writes when the caller wants none. */
    private final Map<Integer, Tensor[]> bnScratch = new HashMap<>();

    /** The GPU numbered {@code device}: the CUDA runtime, cuDNN and cuBLAS through JavaCPP; tf32: tensor cores allowed. */
    public CudaBackend(int device, boolean tf32) {
        String why = CudaProbe.reasonUnusable();
        if (why != null) throw new IllegalStateException("--device cuda: " + why);
        CudaRuntime cuda = new CudaRuntime(device);
        this.runtime = cuda;
        this.allocator = new DeviceAllocator(runtime);
        CudnnCublas libraries = new CudnnCublas(cuda.stream(), allocator, tf32);
        this.vendor = libraries;
        this.module = new KernelModule(runtime);
        this.kernels = new CudaKernels(module);
        this.name = "cuda";
        this.description = "cuda:" + device + " (" + runtime.multiprocessors() + " SMs, " + libraries.version() + (tf32 ? ", TF32" : ", fp32") + ")";
        LOG.warn("the CUDA backend has not yet been verified on a GPU by its parity tests; compare with --device cpu before trusting results");
    }

    private CudaBackend(DeviceRuntime runtime, int threads, String name, String description) {
        this.runtime = runtime;
        this.allocator = new DeviceAllocator(runtime);
        this.vendor = new CpuVendorLibraries(threads);
        this.module = new KernelModule(runtime);
        this.kernels = new CudaKernels(module);
        this.name = name;
        this.description = description;
    }

    /**
     * The CUDA backend on an emulated device ({@code --device cuda-emulated}): this class's own code and native/cuda's
     * kernels run on the CPU (cuda_emu, {@link EmulatedRuntime}), the vendor operations are the CPU backend's. For
     * correctness, not speed. order 0/1/2: forward, reverse or random thread schedule (seeded).
     */
    public static CudaBackend emulated(int threads, int order, long seed) {
        return new CudaBackend(new EmulatedRuntime(order, seed), threads, "cuda-emulated", "cuda-emulated (native/cuda's kernels on the CPU under "
                + "cuda_emu, " + EmulatedRuntime.MULTIPROCESSORS + " emulated SMs; cuDNN/cuBLAS replaced by the CPU backend; a correctness device, "
                + "slow, not a GPU)");
    }

    /** Why the emulated device cannot be created in this build (its native library did not load); null when it can. */
    public static String emulatedUnavailabilityCause() { return EmulatedKernels.unavailabilityCause(); }

    @Override public String name() { return name; }

    @Override public String toString() { return description; }

    // ---------------------------------------------------------------- memory

    private static long a(Tensor t) { return DeviceStorage.address(t); }

    private static long aOrNull(Tensor t) { return t == null ? 0 : a(t); }

    @Override
    public Tensor allocate(int... shape) {
        Tensor t = Tensor.of(this, new DeviceStorage(allocator, Tensor.sizeOf(shape)), shape);
        fill(t, 0f);
        return t;
    }

    @Override
    public void upload(float[] src, Tensor dst) {
        requireSize(dst, src.length, "upload");
        try (FloatPointer host = new FloatPointer(src)) {
            runtime.copyToDevice(a(dst), host, (long) src.length * Float.BYTES);
            synchronize(); // the host copy is freed on return
        }
    }

    @Override
    public void upload(FloatBuffer src, Tensor dst) {
        if (src.capacity() < dst.size()) throw new IllegalArgumentException("upload: buffer holds " + src.capacity() + " floats, "
                + dst + " needs " + dst.size());
        FloatPointer host = new FloatPointer(src);
        runtime.copyToDevice(a(dst), host, (long) dst.size() * Float.BYTES);
        synchronize(); // the caller may refill the buffer once this returns
    }

    @Override
    public float[] download(Tensor src) {
        float[] out = new float[src.size()];
        try (FloatPointer host = new FloatPointer(src.size())) {
            runtime.copyToHost(host, a(src), (long) out.length * Float.BYTES);
            synchronize();
            host.get(out);
        }
        return out;
    }

    void synchronize() { runtime.synchronize(); }

    @Override
    public void copy(Tensor src, Tensor dst) {
        requireSize(dst, src.size(), "copy");
        runtime.copyOnDevice(a(dst), a(src), (long) src.size() * Float.BYTES);
    }

    @Override
    public void fill(Tensor t, float value) {
        if (value == 0f && Float.floatToRawIntBits(value) == 0) {
            runtime.memsetZero(a(t), (long) t.size() * Float.BYTES);
        } else {
            kernels.fill(a(t), value, t.size(), Grid.elements(t.size()));
        }
    }

    @Override public long peakBytes() { return allocator.peakBytes(); }

    @Override public void resetPeakBytes() { allocator.resetPeak(); }

    @Override public long inUseBytes() { return allocator.inUseBytes(); }

    @Override public long bytesReleasedByCleaner() { return allocator.releasedByCleanerBytes(); }

    // ---------------------------------------------------------------- elementwise

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        requireSize(y, x.size(), "axpy");
        kernels.axpy(alpha, a(x), a(y), x.size(), Grid.elements(x.size()));
    }

    @Override
    public void scale(Tensor x, float alpha) {
        kernels.scale(a(x), alpha, x.size(), Grid.elements(x.size()));
    }

    @Override
    public void add(Tensor x, Tensor y, Tensor out) {
        requireSize(y, x.size(), "add");
        requireSize(out, x.size(), "add");
        kernels.add(a(x), a(y), a(out), x.size(), Grid.elements(x.size()));
    }

    @Override
    public void relu(Tensor x, Tensor y) {
        requireSize(y, x.size(), "relu");
        kernels.relu(a(x), a(y), x.size(), Grid.elements(x.size()));
    }

    @Override
    public void reluBackward(Tensor y, Tensor dy, Tensor dx) {
        requireSize(dy, y.size(), "reluBackward");
        requireSize(dx, y.size(), "reluBackward");
        kernels.reluBackward(a(y), a(dy), a(dx), y.size(), Grid.elements(y.size()));
    }

    @Override
    public double sum(Tensor x) {
        double s = 0;
        for (float v : download(x)) s += v;
        return s;
    }

    // ---------------------------------------------------------------- dense algebra

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Tensor A, Tensor B, float beta, Tensor C) {
        requireSize(A, m * k, "gemm A");
        requireSize(B, k * n, "gemm B");
        requireSize(C, m * n, "gemm C");
        if (m == 0 || n == 0) return;
        if (k == 0) {
            // An empty product: C = beta·C. (cuBLAS would reject the leading dimension k = 0.)
            if (beta == 0f) fill(C, 0f); else if (beta != 1f) scale(C, beta);
            return;
        }
        vendor.gemm(transA, transB, m, n, k, alpha, a(A), a(B), beta, a(C));
    }

    @Override
    public void addRowVector(Tensor y, Tensor bias) {
        int cols = bias.size(), rows = y.size() / cols;
        kernels.addRowVector(a(y), a(bias), rows, cols, Grid.elements(y.size()));
    }

    @Override
    public void sumRows(Tensor dy, Tensor db) {
        int cols = db.size(), rows = dy.size() / cols;
        kernels.sumRows(a(dy), a(db), rows, cols, Grid.elements(cols));
    }

    // ---------------------------------------------------------------- convolution (cuDNN, or the CPU backend's when emulated)

    @Override
    public void conv2dForward(Tensor x, Tensor w, Tensor b, Tensor y, ConvGeometry g) {
        g.requireShapes(x, w, y);
        vendor.conv2dForward(a(x), a(w), aOrNull(b), a(y), g);
    }

    @Override
    public void conv2dBackwardData(Tensor dy, Tensor w, Tensor dx, ConvGeometry g) {
        g.requireShapes(dx, w, dy);
        vendor.conv2dBackwardData(a(dy), a(w), a(dx), g);
    }

    @Override
    public void conv2dBackwardFilter(Tensor x, Tensor dy, Tensor dw, Tensor db, ConvGeometry g) {
        g.requireShapes(x, dw, dy);
        vendor.conv2dBackwardFilter(a(x), a(dy), a(dw), aOrNull(db), g);
    }

    // ---------------------------------------------------------------- batch norm

    /** (N, C, H, W) of a batch-norm input; (N, C) counts as (N, C, 1, 1). */
    private static int[] nchw(Tensor x) {
        return new int[] {x.dim(0), x.dim(1), x.rank() > 2 ? x.dim(2) : 1, x.rank() > 3 ? x.dim(3) : 1};
    }

    @Override
    public void batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                      float momentum, float eps, Tensor y, Tensor saveMean, Tensor saveInvStd) {
        vendor.batchNormTrainForward(a(x), a(gamma), a(beta), a(runningMean), a(runningVar), momentum, eps, a(y), a(saveMean), a(saveInvStd),
                nchw(x));
    }

    @Override
    public void batchNormInferenceForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps, Tensor y) {
        vendor.batchNormInferenceForward(a(x), a(gamma), a(beta), a(runningMean), a(runningVar), eps, a(y), nchw(x));
    }

    @Override
    public void batchNormTrainBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                       Tensor dx, Tensor dGamma, Tensor dBeta) {
        // cuDNN writes both parameter gradients (accumulating). Null ones (the attacks' input-only backward, every step) go
        // to scratch kept between calls, whose contents nobody reads.
        Tensor[] sink = bnScratch.computeIfAbsent(gamma.size(), c -> new Tensor[] {allocate(c), allocate(c)});
        Tensor dg = dGamma != null ? dGamma : sink[0], dbt = dBeta != null ? dBeta : sink[1];
        vendor.batchNormTrainBackward(a(x), a(dy), a(gamma), a(saveMean), a(saveInvStd), a(dx), a(dg), a(dbt), nchw(x));
    }

    @Override
    public void batchNormInferenceBackward(Tensor x, Tensor dy, Tensor gamma, Tensor runningMean, Tensor runningVar,
                                           float eps, Tensor dx, Tensor dGamma, Tensor dBeta) {
        int n = x.dim(0), c = x.dim(1), hw = x.size() / (n * c);
        kernels.bnInferenceBackward(a(x), a(dy), a(gamma), a(runningMean), a(runningVar), eps, a(dx), aOrNull(dGamma),
                aOrNull(dBeta), n, c, hw, Grid.rows(c));
    }

    // ---------------------------------------------------------------- pooling

    private void maxPoolForward(Tensor x, Tensor y, PoolGeometry g, int relu) {
        g.requireShapes(x, y);
        kernels.maxPoolForward(a(x), a(y), (long) g.n() * g.c(), g.h(), g.w(), g.kernel(), g.stride(), g.pad(), relu,
                Grid.elements((long) g.n() * g.c() * g.p() * g.q()));
    }

    private void maxPoolBackward(Tensor x, Tensor dy, Tensor dx, PoolGeometry g, int relu) {
        g.requireShapes(x, dy);
        fill(dx, 0f);
        kernels.maxPoolBackward(a(x), a(dy), a(dx), (long) g.n() * g.c(), g.h(), g.w(), g.kernel(), g.stride(), g.pad(), relu,
                Grid.elements((long) g.n() * g.c() * g.p() * g.q()));
    }

    @Override public void maxPoolForward(Tensor x, Tensor y, PoolGeometry g) { maxPoolForward(x, y, g, 0); }

    @Override public void reluMaxPoolForward(Tensor x, Tensor y, PoolGeometry g) { maxPoolForward(x, y, g, 1); }

    @Override public void maxPoolBackward(Tensor x, Tensor dy, Tensor dx, PoolGeometry g) { maxPoolBackward(x, dy, dx, g, 0); }

    @Override public void reluMaxPoolBackward(Tensor x, Tensor dy, Tensor dx, PoolGeometry g) { maxPoolBackward(x, dy, dx, g, 1); }

    @Override
    public void avgPoolForward(Tensor x, Tensor y, PoolGeometry g) {
        g.requireShapes(x, y);
        kernels.avgPoolForward(a(x), a(y), (long) g.n() * g.c(), g.h(), g.w(), g.kernel(), g.stride(), g.pad(),
                Grid.elements((long) g.n() * g.c() * g.p() * g.q()));
    }

    @Override
    public void avgPoolBackward(Tensor dy, Tensor dx, PoolGeometry g) {
        kernels.avgPoolBackward(a(dy), a(dx), (long) g.n() * g.c(), g.h(), g.w(), g.kernel(), g.stride(), g.pad(),
                Grid.elements(dx.size()));
    }

    @Override
    public void swish(Tensor x, Tensor y) {
        requireSize(y, x.size(), "swish");
        kernels.swish(a(x), a(y), x.size(), Grid.elements(x.size()));
    }

    @Override
    public void swishBackward(Tensor x, Tensor dy, Tensor dx) {
        requireSize(dy, x.size(), "swishBackward");
        requireSize(dx, x.size(), "swishBackward");
        kernels.swishBackward(a(x), a(dy), a(dx), x.size(), Grid.elements(x.size()));
    }

    @Override
    public void zeroPad2d(Tensor x, Tensor y, int top, int left) {
        PadGeometry g = PadGeometry.of(x, y, top, left, "zeroPad2d");
        kernels.zeroPad2d(a(x), a(y), g.planes(), g.h(), g.w(), g.hp(), g.wp(), top, left, Grid.elements(y.size()));
    }

    @Override
    public void zeroPad2dBackward(Tensor dy, Tensor dx, int top, int left) {
        PadGeometry g = PadGeometry.of(dx, dy, top, left, "zeroPad2dBackward");
        kernels.zeroPad2dBackward(a(dy), a(dx), g.planes(), g.h(), g.w(), g.hp(), g.wp(), top, left, Grid.elements(dx.size()));
    }

    // ---------------------------------------------------------------- normalisation layers

    @Override
    public void normalizeChannels(Tensor x, Tensor mean, Tensor std, Tensor y) {
        int n = x.dim(0), c = mean.size(), hw = x.size() / (n * c);
        kernels.normalizeChannels(a(x), a(mean), a(std), a(y), n, c, hw, Grid.elements(x.size()));
    }

    @Override
    public void normalizeChannelsBackward(Tensor dy, Tensor std, Tensor dx) {
        int n = dy.dim(0), c = std.size(), hw = dy.size() / (n * c);
        kernels.normalizeChannelsBackward(a(dy), a(std), a(dx), n, c, hw, Grid.elements(dy.size()));
    }

    @Override
    public void l2NormalizeRows(Tensor x, Tensor y, Tensor norms, float eps) {
        int rows = norms.size();
        kernels.l2NormalizeRows(a(x), a(y), a(norms), eps, rows, x.size() / rows, Grid.rows(rows));
    }

    @Override
    public void l2NormalizeRowsBackward(Tensor y, Tensor norms, Tensor dy, Tensor dx) {
        int rows = norms.size();
        kernels.l2NormalizeRowsBackward(a(y), a(norms), a(dy), a(dx), rows, y.size() / rows, Grid.rows(rows));
    }

    // ---------------------------------------------------------------- losses
    // Labels outside [0, k) are not read out of bounds: the kernels write NaN for that row's loss and
    // gradient (the reference backend throws), which the trainer's finite-loss check then reports.

    /**
     * The loss kernels read a row's logits while other threads of the block write its gradient, so
     * the gradient must not be the logits' own memory (it would race).
     */
    private static void requireDistinct(Tensor logits, Tensor grad, String op) {
        if (grad != null && a(grad) == a(logits)) throw new IllegalArgumentException(op + ": the gradient must not alias the logits");
    }

    @Override
    public void softmaxCrossEntropy(Tensor logits, Tensor labels, float temperature, Tensor loss, Tensor dLogits, float gradScale) {
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        requireDistinct(logits, dLogits, "softmaxCrossEntropy");
        int n = logits.dim(0);
        kernels.softmaxCrossEntropy(a(logits), a(labels), temperature, a(loss), aOrNull(dLogits), gradScale, n, logits.size() / n,
                Grid.rows(n));
    }

    @Override
    public void softmax(Tensor logits, float temperature, Tensor probs) {
        int n = logits.dim(0);
        kernels.softmax(a(logits), temperature, a(probs), n, logits.size() / n, Grid.rows(n));
    }

    @Override
    public void klDivergence(Tensor logitsP, Tensor logitsQ, Tensor loss, Tensor dLogitsP, Tensor dLogitsQ, float gradScale) {
        requireDistinct(logitsP, dLogitsP, "klDivergence");
        requireDistinct(logitsP, dLogitsQ, "klDivergence");
        requireDistinct(logitsQ, dLogitsP, "klDivergence");
        requireDistinct(logitsQ, dLogitsQ, "klDivergence");
        int n = logitsP.dim(0);
        requireSize(logitsQ, logitsP.size(), "klDivergence");
        kernels.klDivergence(a(logitsP), a(logitsQ), a(loss), aOrNull(dLogitsP), aOrNull(dLogitsQ), gradScale, n,
                logitsP.size() / n, Grid.rows(n));
    }

    @Override
    public void boostedCrossEntropy(Tensor logits, Tensor labels, Tensor loss, Tensor dLogits, float gradScale) {
        requireDistinct(logits, dLogits, "boostedCrossEntropy");
        int n = logits.dim(0);
        Backend.requireClasses(logits.size() / n, 2, "MART's boosted cross-entropy"); // the kernel would find no other class
        kernels.boostedCrossEntropy(a(logits), a(labels), a(loss), aOrNull(dLogits), gradScale, n, logits.size() / n, Grid.rows(n));
    }

    @Override
    public void marginLoss(Tensor logits, Tensor labels, float kappa, Tensor loss, Tensor dLogits, float gradScale) {
        requireDistinct(logits, dLogits, "marginLoss");
        int n = logits.dim(0);
        Backend.requireClasses(logits.size() / n, 2, "the margin loss");
        kernels.marginLoss(a(logits), a(labels), kappa, a(loss), aOrNull(dLogits), gradScale, n, logits.size() / n, Grid.rows(n));
    }

    @Override
    public void dlrLoss(Tensor logits, Tensor labels, Tensor loss, Tensor dLogits, float gradScale) {
        requireDistinct(logits, dLogits, "dlrLoss");
        int n = logits.dim(0), k = logits.size() / n;
        Backend.requireClasses(k, 3, "the DLR loss");
        kernels.dlrLoss(a(logits), a(labels), a(loss), aOrNull(dLogits), gradScale, n, k, Grid.elements(n));
    }

    @Override
    public int[] argmaxRows(Tensor logits) {
        int n = logits.dim(0);
        DeviceAllocator.Block out = allocator.allocate((long) n * Integer.BYTES);
        try (IntPointer host = new IntPointer(n)) {
            kernels.argmaxRows(a(logits), out.address(), n, logits.size() / n, Grid.rows(n));
            runtime.copyToHost(host, out.address(), (long) n * Integer.BYTES);
            synchronize();
            int[] result = new int[n];
            host.get(result);
            return result;
        } finally {
            allocator.release(out);
        }
    }

    // ---------------------------------------------------------------- optimiser and attack steps

    @Override
    public void sgdStep(Tensor param, Tensor grad, Tensor momentumBuf, float lr, float momentum, float dampening,
                        float weightDecay, boolean nesterov, boolean firstStep) {
        requireSize(grad, param.size(), "sgdStep");
        kernels.sgdStep(a(param), a(grad), momentum != 0 ? a(momentumBuf) : 0, lr, momentum, dampening, weightDecay, nesterov ? 1
                : 0, firstStep ? 1 : 0, param.size(), Grid.elements(param.size()));
    }

    @Override
    public void linfPgdStep(Tensor xAdv, Tensor grad, Tensor xNat, float step, float eps) {
        requireSize(grad, xAdv.size(), "linfPgdStep");
        requireSize(xNat, xAdv.size(), "linfPgdStep");
        kernels.linfPgdStep(a(xAdv), a(grad), a(xNat), step, eps, xAdv.size(), Grid.elements(xAdv.size()));
    }

    @Override
    public void l2PgdStep(Tensor xAdv, Tensor grad, Tensor xNat, float step, float eps) {
        requireSize(grad, xAdv.size(), "l2PgdStep");
        requireSize(xNat, xAdv.size(), "l2PgdStep");
        int n = xAdv.dim(0);
        kernels.l2PgdStep(a(xAdv), a(grad), a(xNat), step, eps, n, xAdv.size() / n, Grid.rows(n));
    }

    @Override
    public void linfPgdStepPerRow(Tensor xAdv, Tensor grad, Tensor xNat, Tensor stepPerRow, float eps) {
        requireSize(grad, xAdv.size(), "linfPgdStepPerRow");
        requireSize(xNat, xAdv.size(), "linfPgdStepPerRow");
        kernels.linfPgdStepPerRow(a(xAdv), a(grad), a(xNat), a(stepPerRow), eps, xAdv.size(), xAdv.size() / stepPerRow.size(),
                Grid.elements(xAdv.size()));
    }

    @Override
    public void linfPgdStepRows(Tensor xAdv, Tensor grad, Tensor xNat, Tensor stepPerRow, Tensor epsPerRow) {
        requireSize(grad, xAdv.size(), "linfPgdStepRows");
        requireSize(xNat, xAdv.size(), "linfPgdStepRows");
        requireSize(epsPerRow, stepPerRow.size(), "linfPgdStepRows");
        kernels.linfPgdStepRows(a(xAdv), a(grad), a(xNat), a(stepPerRow), a(epsPerRow), xAdv.size(), xAdv.size() / stepPerRow.size(),
                Grid.elements(xAdv.size()));
    }

    @Override
    public void scaleRows(Tensor x, Tensor scale) {
        int rows = scale.size();
        kernels.scaleRows(a(x), a(scale), rows, x.size() / rows, Grid.elements(x.size()));
    }

    @Override
    public void addAtLabels(Tensor logits, Tensor labels, float value, Tensor out) {
        int rows = logits.dim(0);
        kernels.addAtLabels(a(logits), a(labels), value, a(out), rows, logits.size() / rows, Grid.elements(logits.size()));
    }

    @Override
    public void copyRowsWhere(Tensor src, Tensor dst, Tensor mask) {
        requireSize(dst, src.size(), "copyRowsWhere");
        int rows = mask.size();
        kernels.copyRowsWhere(a(src), a(dst), a(mask), rows, src.size() / rows, Grid.elements(src.size()));
    }

    @Override
    public void momentumAccumulate(Tensor grad, Tensor buf, float mu) {
        requireSize(buf, grad.size(), "momentumAccumulate");
        int rows = grad.dim(0);
        kernels.momentumAccumulate(a(grad), a(buf), mu, rows, grad.size() / rows, Grid.rows(rows));
    }

    @Override
    public void close() {
        synchronize();
        module.close();
        vendor.close();
        allocator.close();
        runtime.close();
    }
}
