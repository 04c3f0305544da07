// The input gradient of a stride-1 convolution with few input channels (an image's 1 or 3), computed directly:
// dx[n, c, h, x] = Σ_k Σ_r Σ_s dy[n, k, h + pad − r, x + pad − s] · w[k, c, r, s]  (terms outside dy are zero).
// As a GEMM this product has only C output rows per pixel: the implicit GEMM would compute 8 channels for each
// (its micro-tile), and im2col + sgemm writes the (C·R·S, P·Q) columns of every image, then folds them back (col2im).
// Measured side by side on 2 threads (benchmarks/RESULTS.md): PreActResNet-18's first layer (3 → 64, 3×3, 32×32)
// 4.7–4.9 ms against 6.7–8.5; the Madry CNN's (1 → 32, 5×5, 28×28) 1.2–1.3 ms against 1.4, where both wait on
// memory inside a training step.
//
// Vectors run along an output row: a block of 8 output rows × 32 columns (16 accumulators) shares every row of dy it
// loads between the up to R output rows that row reaches, with the kernel height fixed when compiled (1 … 7) so the
// loops unroll completely. Columns outside dy are masked off the loads (a masked lane is never read, so no padded
// copy of dy is needed); rows outside it read zeros. cw_conv_input_gradient_plane_ref is the plain loop with the
// same order of sums; CpuBackendParityTest compares both with ReferenceBackend.
#ifndef CLASSWISE_CONV_INPUT_GRADIENT_H
#define CLASSWISE_CONV_INPUT_GRADIENT_H

#include "classwise_conv.h"  // CW_F, the intrinsics and CW_HAVE_VECTOR_KERNELS

#define CW_IG_ROWS 8   // output rows per block
#define CW_IG_MAX_R 7  // the vector kernel's largest kernel height (taller kernels run the reference)

// One plane dx[n, c] (h, wd) from dy[n] (k, p, q) and w[·, c] (wc: w + c·r·s, wstride = C·r·s between output channels):
// the reference, summing over k, then s, then the rows of dy from the top (r from R − 1 down), as the vector kernel does.
static inline void cw_conv_input_gradient_plane_ref(const float* dy, const float* wc, int64_t wstride, float* dx, int64_t h,
                                                    int64_t wd, int64_t k, int64_t r, int64_t s, int64_t pad, int64_t p, int64_t q) {
    for (int64_t y = 0; y < h; y++)
        for (int64_t x = 0; x < wd; x++) {
            float sum = 0.f;
            for (int64_t kk = 0; kk < k; kk++)
                for (int64_t ss = 0; ss < s; ss++) {
                    const int64_t j = x + pad - ss;
                    if (j < 0 || j >= q) continue;
                    for (int64_t rr = r - 1; rr >= 0; rr--) {
                        const int64_t i = y + pad - rr;
                        if (i < 0 || i >= p) continue;
                        sum += dy[(kk * p + i) * q + j] * wc[kk * wstride + rr * s + ss];
                    }
                }
            dx[y * wd + x] = sum;
        }
}

#if CW_HAVE_VECTOR_KERNELS
// A block of 8 output rows × 32 columns in 16 accumulators (row t: acc[t][0] columns 0–15, acc[t][1] 16–31), for a
// kernel height R known when compiled (the loops over dy's rows and over R unroll completely). Per (k, s): the R
// weights w[k, c, ·, s] are broadcast into registers, then each of the R + 7 rows of dy the block reads is loaded once
// (two vectors) and multiplied into the up to R output rows it reaches: row u (dy row y0 − (R − 1) + pad + u) reaches
// output row t = u − (R − 1) + rr with weight rr. Rows of dy outside it read a row of zeros.
__attribute__((target("avx512f"), always_inline))
static inline void cw_conv_input_gradient_block_avx512(const float* dy, const float* wc, int64_t wstride, float* dx, int64_t wd,
                                                       int64_t k, int64_t s, int64_t pad, int64_t p, int64_t q, int64_t y0,
                                                       int64_t rows, int64_t x0, const int64_t R) {
    const float zeros[32] __attribute__((aligned(64))) = {0};
    const int64_t width = wd - x0 < 32 ? wd - x0 : 32;
    int64_t offs[CW_IG_ROWS + CW_IG_MAX_R - 1];  // dy row u's offset in a channel's plane; −1: outside it
    for (int64_t u = 0; u < CW_IG_ROWS + R - 1; u++) {
        const int64_t i = y0 - (R - 1) + pad + u;
        offs[u] = i >= 0 && i < p ? i * q : -1;
    }
    __m512 acc[CW_IG_ROWS][2];
#pragma GCC unroll 8
    for (int t = 0; t < CW_IG_ROWS; t++) acc[t][0] = acc[t][1] = _mm512_setzero_ps();
    for (int64_t kk = 0; kk < k; kk++) {
        const float* dk = dy + kk * p * q;
        const float* wk = wc + kk * wstride;
        for (int64_t ss = 0; ss < s; ss++) {
            // lane l reads column x0 + l + pad − ss of dy: inside [0, q) and l < width
            const int64_t j0 = x0 + pad - ss;
            const int64_t lo = j0 < 0 ? -j0 : 0, hi = q - j0 < width ? q - j0 : width;
            if (hi <= lo) continue;
            const uint32_t bits = (uint32_t) ((hi >= 32 ? ~0ull : (1ull << hi) - 1ull) & ~((1ull << lo) - 1ull));
            const __mmask16 m0 = (__mmask16) (bits & 0xFFFFu), m1 = (__mmask16) (bits >> 16);
            __m512 wr[CW_IG_MAX_R];
#pragma GCC unroll 8
            for (int64_t rr = 0; rr < R; rr++) wr[rr] = _mm512_set1_ps(wk[rr * s + ss]);
#pragma GCC unroll 16
            for (int64_t u = 0; u < CW_IG_ROWS + R - 1; u++) {
                const float* row = offs[u] < 0 ? zeros : dk + offs[u] + j0;
                const __m512 v0 = _mm512_maskz_loadu_ps(m0, row), v1 = _mm512_maskz_loadu_ps(m1, row + 16);
#pragma GCC unroll 8
                for (int64_t rr = 0; rr < R; rr++) {
                    const int64_t t = u - (R - 1) + rr;
                    if (t < 0 || t >= CW_IG_ROWS) continue;
                    acc[t][0] = _mm512_fmadd_ps(wr[rr], v0, acc[t][0]);
                    acc[t][1] = _mm512_fmadd_ps(wr[rr], v1, acc[t][1]);
                }
            }
        }
    }
    const uint32_t outBits = width >= 32 ? ~0u : (1u << width) - 1u;
    const __mmask16 o0 = (__mmask16) (outBits & 0xFFFFu), o1 = (__mmask16) (outBits >> 16);
#pragma GCC unroll 8
    for (int t = 0; t < CW_IG_ROWS; t++)
        if (t < rows) {
            _mm512_mask_storeu_ps(dx + (y0 + t) * wd + x0, o0, acc[t][0]);
            _mm512_mask_storeu_ps(dx + (y0 + t) * wd + x0 + 16, o1, acc[t][1]);
        }
}

// One plane with the block kernel compiled for its kernel height r (1 … CW_IG_MAX_R)
__attribute__((target("avx512f")))
static void cw_conv_input_gradient_plane_avx512(const float* dy, const float* wc, int64_t wstride, float* dx, int64_t h,
                                                int64_t wd, int64_t k, int64_t r, int64_t s, int64_t pad, int64_t p, int64_t q) {
    for (int64_t y0 = 0; y0 < h; y0 += CW_IG_ROWS) {
        const int64_t rows = h - y0 < CW_IG_ROWS ? h - y0 : CW_IG_ROWS;
        for (int64_t x0 = 0; x0 < wd; x0 += 32) {
#define CW_IG_BLOCK(R) cw_conv_input_gradient_block_avx512(dy, wc, wstride, dx, wd, k, s, pad, p, q, y0, rows, x0, R)
            switch (r) {
                case 1: CW_IG_BLOCK(1); break;
                case 2: CW_IG_BLOCK(2); break;
                case 3: CW_IG_BLOCK(3); break;
                case 4: CW_IG_BLOCK(4); break;
                case 5: CW_IG_BLOCK(5); break;
                case 6: CW_IG_BLOCK(6); break;
                default: CW_IG_BLOCK(7); break;
            }
#undef CW_IG_BLOCK
        }
    }
}
#endif

// dx planes [pl0, pl1) of the batch (plane pl = n·C + c: dx[n, c]) of the stride-1 convolution y (N, K, P, Q) =
// conv(x (N, C, H, W), w (K, C, R, S), pad); vector: 1 for the AVX-512 kernel (the caller checked the CPU has it),
// 0 for the reference.
static inline void cw_conv_input_gradient_direct(int64_t dy, int64_t w, int64_t dx, int64_t c, int64_t h, int64_t wd, int64_t k,
                                                 int64_t r, int64_t s, int64_t pad, int64_t pl0, int64_t pl1, int32_t vector) {
    const int64_t p = h + 2 * pad - r + 1, q = wd + 2 * pad - s + 1;
    for (int64_t pl = pl0; pl < pl1; pl++) {
        const int64_t n = pl / c, ch = pl % c;
        const float* dys = CW_F(dy) + n * k * p * q;
        const float* wc = CW_F(w) + ch * r * s;
        float* out = CW_F(dx) + pl * h * wd;
#if CW_HAVE_VECTOR_KERNELS
        if (vector && r <= CW_IG_MAX_R) { cw_conv_input_gradient_plane_avx512(dys, wc, c * r * s, out, h, wd, k, r, s, pad, p, q); continue; }
#else
        (void) vector;
#endif
        cw_conv_input_gradient_plane_ref(dys, wc, c * r * s, out, h, wd, k, r, s, pad, p, q);
    }
}

#endif
