// fp32 matrix product for a few rows times a wide matrix: C (m × n) = A (m × k) · op(B), row-major, m small (a batch:
// 128) and n wide, op(B) = B (k × n) stored by rows or Bᵀ (B stored n × k). A linear layer's input gradient
// dx (N, in) = dy (N, out) · W (out, in) is the first; OpenBLAS 0.3's sgemm runs it at ~145 GFLOP/s on 2 threads here
// against ~220 for the same product with B transposed (benchmarks/RESULTS.md): its packing of a B whose rows lie
// 12 KiB apart is slow. Its forward y (N, out) = x (N, in) · Wᵀ is the second (a few percent faster than OpenBLAS).
// This kernel packs A once (it is small) and op(B) a block at a time (CW_KC rows × CW_NC columns; a row-major B read
// row by row, a transposed one as 16 × 16 blocks transposed in registers) into 32-column panels, each of which meets
// every 8-row tile of A through the convolutions' micro-kernels (classwise_conv.h) while it is in L1.
//
// Every element of C is one fixed sequence of FMAs in k order (blocks of CW_KC, each accumulated onto C), whatever
// the split of the columns over threads. With CW_KERNEL_PORTABLE it runs the plain C micro-kernel and packer;
// CpuBackendParityTest compares every kernel the CPU runs with ReferenceBackend's gemm.
#ifndef CLASSWISE_GEMM_H
#define CLASSWISE_GEMM_H

#include "classwise_conv.h"

// Floats of A packed by cw_pack_row_tiles (m rows, depth k)
static inline int64_t cw_gemm_packed_rows_floats(int64_t m, int64_t k) { return cw_conv_padded_channels(m) * k; }

// Floats of one thread's workspace: a block of B (CW_KC rows, CW_NC columns) as 32-column panels, with the packers'
// slack, an edge tile (8, 32), alignment
static inline int64_t cw_gemm_workspace_floats(void) { return (int64_t) CW_KC * CW_NC + CW_PANEL_SLACK + CW_MR * CW_NR + 32; }

// panels (CW_NC / 32 of them, each (kc, 32)) = B[k0 + kk, j + l] for l < len, zero beyond, where B[kk, j] =
// b[kk·ldb + j], or b[j·ldb + kk] when bTransposed (a linear layer's forward x · Wᵀ: B = Wᵀ, W stored by rows)
static inline void cw_gemm_pack_block_ref(const float* b, int64_t ldb, int32_t bTransposed, int64_t k0, int64_t kc, int64_t j,
                                          int64_t len, float* panels) {
    for (int64_t kk = 0; kk < kc; kk++)
        for (int64_t l = 0; l < (len + CW_NR - 1) / CW_NR * CW_NR; l++)
            panels[(l / CW_NR) * kc * CW_NR + kk * CW_NR + l % CW_NR] =
                    l >= len ? 0.f : bTransposed ? b[(j + l) * ldb + k0 + kk] : b[(k0 + kk) * ldb + j + l];
}

#if CW_HAVE_VECTOR_KERNELS
// The same for B stored by rows (B[kk, j] = b[kk·ldb + j]) with AVX-512, row by row so that B is read in runs of up to
// CW_NC floats: a (masked) load and a store per 16 floats
__attribute__((target("avx512f")))
static void cw_gemm_pack_block_avx512(const float* b, int64_t ldb, int64_t k0, int64_t kc, int64_t j, int64_t len, float* panels) {
    const int64_t halves = (len + 15) / 16, full = len / 16;
    const __mmask16 tail = (__mmask16) ((1u << (len % 16)) - 1u);
    for (int64_t kk = 0; kk < kc; kk++) {
        const float* src = b + (k0 + kk) * ldb + j;
        float* dst = panels + kk * CW_NR;
        int64_t v = 0;
        for (; v < full; v++) _mm512_storeu_ps(dst + (v / 2) * kc * CW_NR + (v % 2) * 16, _mm512_loadu_ps(src + v * 16));
        if (v < halves) { _mm512_storeu_ps(dst + (v / 2) * kc * CW_NR + (v % 2) * 16, _mm512_maskz_loadu_ps(tail, src + v * 16)); v++; }
        if (v % 2) _mm512_storeu_ps(dst + (v / 2) * kc * CW_NR + 16, _mm512_setzero_ps());
    }
}

// The same for B stored transposed (B[kk, j] = b[j·ldb + kk]: each column of the block is kc consecutive floats) with
// AVX-512: 16 columns × 16 rows of depth at a time, loaded as 16 vectors and transposed in registers
__attribute__((target("avx512f")))
static void cw_gemm_pack_block_transposed_avx512(const float* b, int64_t ldb, int64_t k0, int64_t kc, int64_t j, int64_t len,
                                                 float* panels) {
    float block[256] __attribute__((aligned(64)));
    const int64_t width = (len + CW_NR - 1) / CW_NR * CW_NR;  // whole panels; columns past len are zero
    for (int64_t l0 = 0; l0 < width; l0 += 16)
        for (int64_t kk0 = 0; kk0 < kc; kk0 += 16) {
            const int64_t depth = kc - kk0 < 16 ? kc - kk0 : 16;
            const __mmask16 rows = (__mmask16) ((1u << depth) - 1u);
            for (int64_t l = 0; l < 16; l++)
                _mm512_store_ps(block + 16 * l, l0 + l < len ? _mm512_maskz_loadu_ps(rows, b + (j + l0 + l) * ldb + k0 + kk0)
                                                             : _mm512_setzero_ps());
            __m512 t[16];
            cw_transpose16(block, t);  // t[i] = depth row kk0 + i of these 16 columns
            float* dst = panels + (l0 / CW_NR) * kc * CW_NR + kk0 * CW_NR + l0 % CW_NR;
            for (int64_t i = 0; i < depth; i++) _mm512_storeu_ps(dst + i * CW_NR, t[i]);
        }
}
#endif

// C[i, j] for all rows i < m and the columns j ∈ [j0, j1) = Σ_kk A[i, kk] · B[kk, j] (+ C[i, j] when accumulate).
// pa: A packed by cw_pack_row_tiles (all row tiles); B[kk, j] = b[kk·ldb + j], or b[j·ldb + kk] when bTransposed;
// C[i, j] at c[i·ldc + j];
// ws: cw_gemm_workspace_floats() floats; kernel: CW_KERNEL_* (the caller checked that the CPU runs it).
// Per block of CW_NC columns and CW_KC rows of B: the block is packed (into L2), then each of its panels meets every
// tile of A, the panel staying in L1 from the first tile on.
static inline void cw_gemm_rows_wide(int64_t pa, int64_t m, int64_t k, int64_t b, int64_t ldb, int32_t bTransposed, int64_t c,
                                     int64_t ldc, int32_t accumulate, int64_t j0, int64_t j1, int64_t ws, int kernel) {
    const float* as = CW_F(pa);
    const float* bs = CW_F(b);
    float* cs = CW_F(c);
    float* panels = (float*) (((uintptr_t) CW_F(ws) + 63) & ~(uintptr_t) 63);
    float* edge = panels + (int64_t) CW_KC * CW_NC + CW_PANEL_SLACK;  // (8, 32): tiles that overhang C
    const int64_t mpad = cw_conv_padded_channels(m), tiles = mpad / CW_MR;
    void (*ukr)(int64_t, const float*, const float*, float*, int64_t, int) = cw_ukr_ref;
    int vectorPack = 0;
#if CW_HAVE_VECTOR_KERNELS
    if (kernel == CW_KERNEL_AVX512) { ukr = cw_ukr_avx512; vectorPack = 1; }
    else if (kernel == CW_KERNEL_AVX2) ukr = cw_ukr_avx2;
#else
    (void) kernel;
#endif
    for (int64_t jb = j0; jb < j1; jb += CW_NC) {
        const int64_t nj = j1 - jb < CW_NC ? j1 - jb : CW_NC;
        for (int64_t k0 = 0; k0 < k; k0 += CW_KC) {
            const int64_t kc = k - k0 < CW_KC ? k - k0 : CW_KC;
#if CW_HAVE_VECTOR_KERNELS
            if (vectorPack && bTransposed) cw_gemm_pack_block_transposed_avx512(bs, ldb, k0, kc, jb, nj, panels);
            else if (vectorPack) cw_gemm_pack_block_avx512(bs, ldb, k0, kc, jb, nj, panels);
            else
#endif
            cw_gemm_pack_block_ref(bs, ldb, bTransposed, k0, kc, jb, nj, panels);
            const int acc = accumulate || k0 > 0;
            for (int64_t jr = 0; jr * CW_NR < nj; jr++) {
                const float* panel = panels + jr * kc * CW_NR;
                const int64_t j = jb + jr * CW_NR, len = nj - jr * CW_NR < CW_NR ? nj - jr * CW_NR : CW_NR;
                for (int64_t t = 0; t < tiles; t++) {
                    const float* apanel = as + k0 * mpad + t * kc * CW_MR;
                    const int64_t rows = m - t * CW_MR < CW_MR ? m - t * CW_MR : CW_MR;
                    float* ctile = cs + t * CW_MR * ldc + j;
                    if (rows == CW_MR && len == CW_NR) { ukr(kc, apanel, panel, ctile, ldc, acc); continue; }
                    for (int64_t i = 0; i < CW_MR; i++)
                        for (int64_t l = 0; l < CW_NR; l++) edge[i * CW_NR + l] = acc && i < rows && l < len ? ctile[i * ldc + l] : 0.f;
                    ukr(kc, apanel, panel, edge, CW_NR, acc);
                    for (int64_t i = 0; i < rows; i++)
                        for (int64_t l = 0; l < len; l++) ctile[i * ldc + l] = edge[i * CW_NR + l];
                }
            }
        }
    }
}

#endif
