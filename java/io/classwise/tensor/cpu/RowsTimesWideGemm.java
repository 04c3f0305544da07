package io.classwise.tensor.cpu;

/**
 * fp32 C (m × n) = A (m × k) · op(B) (+ C), row-major, op(B) = B (k × n) or Bᵀ (B stored n × k), for the shapes OpenBLAS
 * multiplies slowly here: a few rows (a batch) times a wide matrix — a linear layer's input gradient dx (N, in) = dy
 * (N, out) · W (out, in) and its forward y (N, out) = x (N, in) · Wᵀ. native/cpu/classwise_gemm.h packs A once and
 * op(B) a block at a time into the convolutions' micro-kernel panels; threads split C's columns in panels of 32, so
 * the result does not depend on the thread count.
 */
final class RowsTimesWideGemm {
    /** Columns per panel (CW_NR): thread slices start on panel boundaries. */
    private static final int PANEL = 32;
    /** Rows per tile of packed A (CW_MR): threads split the packing by tiles. */
    private static final int TILE = 8;
    /**
     * Taken when C is at least this many times wider than tall and A has at most MAX_ROWS rows: OpenBLAS's own
     * packing of A is then cheap and its packing of B is what runs slowly (GemmBenchmark; benchmarks/RESULTS.md).
     */
    private static final int MIN_WIDTH_RATIO = 4;
    static final int MAX_ROWS = 256;
    /** Shallower products (a classifier's 10 logits back to 1024 features) are all C stores: OpenBLAS is as fast or faster. */
    static final int MIN_DEPTH = 64;

    private final CpuThreads threads;
    private final int kernel;
    private final ScratchBuffer packed = new ScratchBuffer();
    private final ScratchBuffer[] workspaces;

    /** {@code kernel}: an implicit-GEMM choice (its micro-kernel) the caller checked this CPU runs. */
    RowsTimesWideGemm(CpuThreads threads, CpuConvolution kernel) {
        if (kernel.kernelId < 0) throw new IllegalArgumentException(kernel + " has no micro-kernel");
        this.threads = threads;
        this.kernel = kernel.kernelId;
        this.workspaces = ScratchBuffer.perThread(threads.count());
    }

    /** Whether CpuBackend's gemm should run this product here: plain A, α = 1, β 0 or 1, few rows, wide C, deep enough. */
    static boolean handles(boolean transA, boolean transB, int m, int n, int k, float alpha, float beta) {
        return !transA && alpha == 1f && (beta == 0f || beta == 1f) && k >= MIN_DEPTH && m <= MAX_ROWS
                && (long) n >= (long) MIN_WIDTH_RATIO * m;
    }

    /** C = A · op(B) (beta 0) or C += A · op(B) (beta 1); addresses of row-major A (m × k), B (k × n, or n × k when transB), C (m × n). */
    void multiply(long a, long b, boolean transB, long c, int m, int n, int k, float beta) {
        long packedA = packed.floats(NativeCpuKernels.gemmPackedRowsFloats(m, k));
        int tiles = (m + TILE - 1) / TILE;
        threads.forRange(tiles, (t, t0, t1) -> NativeCpuKernels.packRowTiles(a, k, m, k, packedA, t0, t1));
        long workspace = NativeCpuKernels.gemmWorkspaceFloats();
        int accumulate = beta == 0f ? 0 : 1;
        threads.forRange((n + PANEL - 1) / PANEL, (t, p0, p1) -> NativeCpuKernels.gemmRowsWide(packedA, m, k, b, transB ? k : n, transB ? 1 : 0, c, n, accumulate,
                (long) p0 * PANEL, Math.min((long) p1 * PANEL, n), workspaces[t].floats(workspace), kernel));
    }
}
