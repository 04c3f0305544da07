package io.classwise.tensor.cpu;

import io.classwise.tensor.Tensor;

import static io.classwise.tensor.Tensor.requireSize;

/**
 * C = alpha · op(A) · op(B) + beta · C with bf16 operands and fp32 sums (native/cpu/classwise_bf16.h). The kernels
 * want one operand as rows with K contiguous (packed once per call) and the other as columns, packed panel by
 * panel; either C or Cᵀ is computed, whichever needs fewer elements transposed while packing. Threads split the
 * larger of the two output dimensions in blocks of 32; every output element is the same sequence of operations
 * whatever the split.
 */
final class Bf16Gemm {
    private static final int BLOCK = 32;
    /** Rows one kernel call accumulates at most: its fp32 block of C is (rows, 384), 1.5 MiB here. */
    private static final int ROWS_PER_PASS = 1024;

    private final CpuThreads threads;
    private final ScratchBuffer packedA = new ScratchBuffer();
    private final ScratchBuffer[] workspaces, threadRows;

    Bf16Gemm(CpuThreads threads) {
        this.threads = threads;
        this.workspaces = ScratchBuffer.perThread(threads.count());
        this.threadRows = ScratchBuffer.perThread(threads.count());
    }

    /** One way to pose the product to the kernels: rows (M × K) times columns (K × N), C or Cᵀ. */
    private record Orientation(long rows, int lda, boolean rowsKContiguous, int m,
                               long columns, int ldb, boolean columnsNContiguous, int n, boolean transposedC) {
        /** Elements the packers must gather across rows (the slow case), for K deep. */
        long transposedElements(int k) {
            return (rowsKContiguous ? 0 : (long) m * k) + (columnsNContiguous ? 0 : (long) n * k);
        }
    }

    void multiply(boolean transA, boolean transB, int m, int n, int k, float alpha, Tensor a, Tensor b, float beta, Tensor c,
                  Bf16Kernel kernel) {
        requireSize(a, m * k, "gemm A");
        requireSize(b, k * n, "gemm B");
        requireSize(c, m * n, "gemm C");
        if (!kernel.isNative()) throw new IllegalArgumentException(kernel + " is not a native bf16 kernel");
        long pa = HostAddresses.of(a), pb = HostAddresses.of(b), pc = HostAddresses.of(c);
        // C (m × n) = op(A) · op(B): op(A)'s rows have K contiguous unless transA; op(B)'s columns N contiguous unless transB.
        Orientation direct = new Orientation(pa, transA ? m : k, !transA, m, pb, transB ? k : n, !transB, n, false);
        // Cᵀ (n × m) = op(B)ᵀ · op(A)ᵀ, written into C transposed.
        Orientation flipped = new Orientation(pb, transB ? k : n, transB, n, pa, transA ? m : k, transA, m, true);
        Orientation o = flipped.transposedElements(k) < direct.transposedElements(k) ? flipped : direct;
        run(o, k, pc, n, alpha, beta, kernel);
    }

    /**
     * Packs a rows operand once for many products ({@link #multiplyPacked}): A (m × k), A[i, kk] = a[i·lda + kk] when
     * kContiguous, else a[kk·lda + i]; threads split the rows. Returns the packed rows' address, valid until the next
     * packing by this object.
     */
    long packRows(long a, int lda, boolean kContiguous, int m, int k, Bf16Kernel kernel) {
        long packed = packedA.bytes(2 * NativeCpuKernels.bf16PackedAElems(m, k));
        threads.forRange((m + BLOCK - 1) / BLOCK, (t, r0, r1) -> NativeCpuKernels.bf16PackA(a, lda, kContiguous ? 1 : 0, m, k,
                (long) r0 * BLOCK, Math.min((long) r1 * BLOCK, m), packed, kernel.id));
        return packed;
    }

    /**
     * C (m × n, row stride ldc) = packed rows (from {@link #packRows}) · B (k × n, B[kk, j] = b[kk·ldb + j]), on the
     * calling thread, which is thread {@code thread} of this object's pool (its workspace): for products inside a
     * loop the caller already split over threads, such as one per image or group of images.
     */
    void multiplyPacked(int thread, long packed, int m, int k, long b, int ldb, long c, int ldc, int n, Bf16Kernel kernel) {
        multiplyRows(thread, packed, m, k, b, ldb, true, c, ldc, false, 1f, 0f, 0, m, 0, n, kernel);
    }

    /**
     * On the calling thread, thread {@code thread} of this object's pool: C (m × n, row stride ldc) = A · B + beta · C with
     * A (m × k, A[i, kk] = a[i·lda + kk]) packed on this thread and B stored by columns (B[kk, j] = b[j·ldb + kk]):
     * a weight gradient's dy · colsᵀ for one image or a group of images side by side, inside the caller's split.
     */
    void multiplyOnThread(int thread, long a, int lda, int m, int k, long b, int ldb, long c, int ldc, int n, float beta, Bf16Kernel kernel) {
        long packed = threadRows[thread].bytes(2 * NativeCpuKernels.bf16PackedAElems(m, k));
        NativeCpuKernels.bf16PackA(a, lda, 1, m, k, 0, m, packed, kernel.id);
        multiplyRows(thread, packed, m, k, b, ldb, false, c, ldc, false, 1f, beta, 0, m, 0, n, kernel);
    }

    private void run(Orientation o, int k, long c, int ldc, float alpha, float beta, Bf16Kernel kernel) {
        if (o.m() >= o.n()) {
            // Each thread packs and multiplies its own rows: the rows operand (the larger) is read once.
            long packed = packedA.bytes(2 * NativeCpuKernels.bf16PackedAElems(o.m(), k));
            threads.forRange((o.m() + BLOCK - 1) / BLOCK, (t, r0, r1) -> {
                long m0 = (long) r0 * BLOCK, m1 = Math.min((long) r1 * BLOCK, o.m());
                NativeCpuKernels.bf16PackA(o.rows(), o.lda(), o.rowsKContiguous() ? 1 : 0, o.m(), k, m0, m1, packed, kernel.id);
                multiplyRows(t, packed, o.m(), k, o.columns(), o.ldb(), o.columnsNContiguous(), c, ldc, o.transposedC(), alpha, beta,
                        m0, m1, 0, o.n(), kernel);
            });
        } else {
            long packed = packRows(o.rows(), o.lda(), o.rowsKContiguous(), o.m(), k, kernel);
            threads.forRange((o.n() + BLOCK - 1) / BLOCK, (t, b0, b1) -> multiplyRows(t, packed, o.m(), k, o.columns(), o.ldb(),
                    o.columnsNContiguous(), c, ldc, o.transposedC(), alpha, beta, 0, o.m(), (long) b0 * BLOCK,
                    Math.min((long) b1 * BLOCK, o.n()), kernel));
        }
    }

    /** Rows [m0, m1) × columns [n0, n1) of packed rows times B on thread {@code thread}, at most ROWS_PER_PASS rows a kernel call. */
    private void multiplyRows(int thread, long packed, int m, int k, long b, int ldb, boolean bNContiguous, long c, int ldc,
                              boolean transposedC, float alpha, float beta, long m0, long m1, long n0, long n1, Bf16Kernel kernel) {
        for (long r0 = m0; r0 < m1; r0 += ROWS_PER_PASS) {
            long r1 = Math.min(r0 + ROWS_PER_PASS, m1);
            NativeCpuKernels.bf16Gemm(packed, m, k, b, ldb, bNContiguous ? 1 : 0, c, ldc, transposedC ? 1 : 0, alpha, beta, r0, r1, n0, n1,
                    workspaces[thread].bytes(NativeCpuKernels.bf16GemmWorkspaceBytes(r0, r1)), kernel.id);
        }
    }
}
