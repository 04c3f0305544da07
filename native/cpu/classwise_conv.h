// Convolution as an implicit GEMM on the CPU: y (K, pixels) = W (K, C·R·S) · cols (C·R·S, pixels),
// where cols, the unrolled receptive fields, never exist as a whole. Each 32-pixel panel of them is
// packed straight from a zero-bordered copy of the image into the layout the micro-kernel reads, one
// block of 256 rows at a time, and at once multiplied with every output channel. The alternative
// (im2col, then sgemm) writes the unrolled image out and has the BLAS copy it again into its own
// packing: that double handling cost 29 % of a convolution here, measured with perf
// (benchmarks/RESULTS.md).
//
// Blocking follows the BLIS recipe: a (KC × 32) pixel panel, packed right before use, stays in L1
// while the weight panels (KC × 8, packed once per call) stream from L2 past it; C accumulates in a
// (K × NC) buffer that is scattered into y (N, K, P, Q) with the bias at the end of each block of NC
// pixels.
//
// Three micro-kernels compute the same 8 × 32 tile: cw_ukr_ref, plain C (the reference, and the
// kernel where no vector kernel runs), cw_ukr_avx2 (three register-sized parts) and cw_ukr_avx512
// (16 zmm accumulators, the weights broadcast from memory); stride-1 panels have a packer per
// vector width. CpuBackendParityTest compares every kernel the CPU runs with ReferenceBackend.
//
// Pixels are numbered across the batch (j = n·P·Q + p·Q + q) so that panels run on over image
// boundaries and no lanes are wasted when P·Q is not a multiple of 32; callers split [0, N·P·Q) over
// threads. Every output element is one fixed sequence of FMAs, so results do not depend on the split.
#ifndef CLASSWISE_CONV_H
#define CLASSWISE_CONV_H

#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#ifndef CW_F
#define CW_F(a) ((float*) (intptr_t) (a))
#endif

#define CW_MR 8     // output channels per micro-tile
#define CW_NR 32    // pixels per micro-tile (two zmm registers)
#define CW_KC 256   // rows of cols per block: a 32 KiB pixel panel, inside L1
#define CW_NC 384   // pixels per block: 12 panels; the C block is (K, 384)

static inline int64_t cw_conv_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad) {
    return (in + 2 * pad - kernel) / stride + 1;
}

static inline int64_t cw_conv_padded_channels(int64_t k) { return (k + CW_MR - 1) / CW_MR * CW_MR; }

// Floats of the packed weights for K output channels and crs = C·R·S
static inline int64_t cw_conv_packed_weights_floats(int64_t k, int64_t crs) { return cw_conv_padded_channels(k) * crs; }

// Floats a packer may write past the end of a panel, and read past the end of the padded input
#define CW_PANEL_SLACK 16

// Floats of one thread's workspace (a pixel panel + its slack + C block + slack for 64-byte alignment)
static inline int64_t cw_conv_workspace_floats(int64_t k) {
    return (int64_t) CW_KC * CW_NR + CW_PANEL_SLACK + cw_conv_padded_channels(k) * CW_NC + 16;
}

// Floats of the zero-bordered input (N, C, H + 2·pad, W + 2·pad), with the slack the packers may read past its end
static inline int64_t cw_conv_padded_input_floats(int64_t n, int64_t c, int64_t h, int64_t w, int64_t pad) {
    return n * c * (h + 2 * pad) * (w + 2 * pad) + CW_PANEL_SLACK;
}

// Row tiles [t0, t1) of A (m × depth, A[i, kk] = a[i·lda + kk]) packed per block of CW_KC columns of depth, then per
// tile of 8 rows: ap[k0·mpad + t·kc·8 + kk·8 + i] = A[t·8 + i, k0 + kk], zero for rows ≥ m (mpad = m rounded up to 8).
// The rows operand of the fp32 micro-kernels: a convolution's weights (K, C·R·S), a product's A (classwise_gemm.h).
static inline void cw_pack_row_tiles(int64_t a, int64_t lda, int64_t m, int64_t depth, int64_t ap, int64_t t0, int64_t t1) {
    const float* as = CW_F(a);
    float* out = CW_F(ap);
    const int64_t mpad = cw_conv_padded_channels(m);
    for (int64_t k0 = 0; k0 < depth; k0 += CW_KC) {
        const int64_t kc = depth - k0 < CW_KC ? depth - k0 : CW_KC;
        for (int64_t t = t0; t < t1; t++)
            for (int64_t kk = 0; kk < kc; kk++)
                for (int64_t i = 0; i < CW_MR; i++) {
                    const int64_t row = t * CW_MR + i;
                    out[k0 * mpad + t * kc * CW_MR + kk * CW_MR + i] = row < m ? as[row * lda + k0 + kk] : 0.f;
                }
    }
}

// wp = w (K, crs) packed as row tiles: wp[k0·Kpad + ir·kc·8 + kk·8 + i] = w[ir·8 + i, k0 + kk], zero for channels ≥ K.
static inline void cw_conv_pack_weights(int64_t w, int64_t wp, int64_t k, int64_t crs) {
    cw_pack_row_tiles(w, crs, k, crs, wp, 0, cw_conv_padded_channels(k) / CW_MR);
}

// wf (C, K, R, S) = w (K, C, R, S) with the kernel turned by 180°: the input gradient of a stride-1
// convolution is the convolution of dy with wf and padding R − 1 − pad.
static inline void cw_conv_flip_weights(int64_t w, int64_t wf, int64_t k, int64_t c, int64_t r, int64_t s) {
    const float* in = CW_F(w);
    float* out = CW_F(wf);
    for (int64_t a = 0; a < k; a++)
        for (int64_t b = 0; b < c; b++)
            for (int64_t i = 0; i < r; i++)
                for (int64_t j = 0; j < s; j++)
                    out[((b * k + a) * r + (r - 1 - i)) * s + (s - 1 - j)] = in[((a * c + b) * r + i) * s + j];
}

typedef struct {
    int64_t n, c, h, w, k, r, s, stride, pad, p, q;
} cw_conv_shape;

// xp (N, C, H + 2·pad, W + 2·pad) = x with its zero border made explicit, for images [n0, n1): the
// packing then reads every receptive field without bounds checks. Callers split the images over threads.
static inline void cw_conv_pad_input(int64_t x, int64_t xp, int64_t n0, int64_t n1, int64_t c, int64_t h, int64_t w, int64_t pad) {
    const float* in = CW_F(x);
    float* out = CW_F(xp);
    const int64_t hp = h + 2 * pad, wp = w + 2 * pad;
    for (int64_t plane = n0 * c; plane < n1 * c; plane++) {
        float* o = out + plane * hp * wp;
        const float* i = in + plane * h * w;
        memset(o, 0, (size_t) (pad * wp) * sizeof(float));
        for (int64_t row = 0; row < h; row++) {
            float* line = o + (row + pad) * wp;
            for (int64_t t = 0; t < pad; t++) line[t] = line[pad + w + t] = 0.f;
            memcpy(line + pad, i + row * w, (size_t) w * sizeof(float));
        }
        memset(o + (pad + h) * wp, 0, (size_t) (pad * wp) * sizeof(float));
    }
}

// A pixel panel as runs of at most 16 pixels inside one output row: the first lane of each run, its
// length, and where its first receptive field starts in the padded input.
typedef struct {
    int64_t count, lane[CW_NR], len[CW_NR], base[CW_NR];
} cw_conv_runs;

static inline void cw_conv_panel_runs(const cw_conv_shape* g, int64_t j, int64_t len, cw_conv_runs* out) {
    const int64_t pq = g->p * g->q, hp = g->h + 2 * g->pad, wp = g->w + 2 * g->pad;
    out->count = 0;
    for (int64_t lane = 0; lane < len;) {
        const int64_t n = j / pq, rem = j % pq, p = rem / g->q, q = rem % g->q;
        int64_t run = g->q - q < len - lane ? g->q - q : len - lane;
        if (run > 16) run = 16;
        out->lane[out->count] = lane;
        out->len[out->count] = run;
        out->base[out->count] = n * g->c * hp * wp + p * g->stride * wp + q * g->stride;
        out->count++;
        lane += run;
        j += run;
    }
}

// Offset in the padded input of row k of cols (k = (c, r, s)), relative to a run's base
static inline int64_t cw_conv_row_offset(const cw_conv_shape* g, int64_t k) {
    const int64_t hp = g->h + 2 * g->pad, wp = g->w + 2 * g->pad, rs = g->r * g->s;
    return (k / rs) * hp * wp + ((k / g->s) % g->r) * wp + k % g->s;
}

// panel (kc, 32) = cols rows [k0, k0 + kc) for the panel's pixels, from the padded input xp, where
// offsets[kk] = cw_conv_row_offset(k0 + kk); lanes past the pixels are zero. The reference packer.
static inline void cw_conv_pack_pixels_ref(const float* xp, const cw_conv_shape* g, const cw_conv_runs* runs,
                                           const int64_t* offsets, int64_t kc, float* panel) {
    for (int64_t kk = 0; kk < kc; kk++) {
        float* dst = panel + kk * CW_NR;
        const int64_t off = offsets[kk];
        int64_t lane = 0;
        for (int64_t t = 0; t < runs->count; t++) {
            const float* src = xp + runs->base[t] + off;
            for (int64_t l = 0; l < runs->len[t]; l++) dst[lane++] = src[l * g->stride];
        }
        for (; lane < CW_NR; lane++) dst[lane] = 0.f;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
// The same for stride 1 with AVX-512, run by run: each row of a run is one masked load and one masked
// store. (Building each row in registers from merging masked loads, then two full stores, measured
// 10 % slower.) offsets[kk] = cw_conv_row_offset(k0 + kk), computed once per block for all panels.
__attribute__((target("avx512f")))
static void cw_conv_pack_pixels_avx512(const float* xp, const cw_conv_runs* runs, const int64_t* offsets,
                                       int64_t kc, float* panel) {
    int64_t filled = 0;
    for (int64_t t = 0; t < runs->count; t++) {
        const __mmask16 m = (__mmask16) ((1u << runs->len[t]) - 1u);
        const float* src = xp + runs->base[t];
        float* dst = panel + runs->lane[t];
        for (int64_t kk = 0; kk < kc; kk++)
            _mm512_mask_storeu_ps(dst + kk * CW_NR, m, _mm512_maskz_loadu_ps(m, src + offsets[kk]));
        filled += runs->len[t];
    }
    for (int64_t kk = 0; filled < CW_NR && kk < kc; kk++)
        for (int64_t l = filled; l < CW_NR; l++) panel[kk * CW_NR + l] = 0.f;  // past the batch's last pixel
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
// The same for stride 1 with AVX2, row by row: each run is copied in whole 8-float vectors, the
// vector past its end spilling into the next run's lanes (written next) or, after the last run,
// into the next row (written later; the panel has CW_PANEL_SLACK floats after it for the last row);
// lanes past the batch's last pixel are zeroed after the runs. AVX2's masked stores are slow on AMD.
__attribute__((target("avx2")))
static void cw_conv_pack_pixels_avx2(const float* xp, const cw_conv_runs* runs, const int64_t* offsets,
                                     int64_t kc, float* panel) {
    int64_t filled = 0;
    for (int64_t t = 0; t < runs->count; t++) filled += runs->len[t];
    for (int64_t kk = 0; kk < kc; kk++) {
        const float* src = xp + offsets[kk];
        float* dst = panel + kk * CW_NR;
        for (int64_t t = 0; t < runs->count; t++) {
            const float* from = src + runs->base[t];
            float* to = dst + runs->lane[t];
            for (int64_t l = 0; l < runs->len[t]; l += 8) _mm256_storeu_ps(to + l, _mm256_loadu_ps(from + l));
        }
        for (int64_t l = filled; l < CW_NR; l++) dst[l] = 0.f;
    }
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
// rows[i] = column i of the 16 × 16 float (or 32-bit word) matrix m (row-major): unpack, shuffle, and two 128-bit lane shuffles
__attribute__((target("avx512f")))
static inline void cw_transpose16(const float* m, __m512 rows[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i++) rows[i] = _mm512_loadu_ps(m + 16 * i);
    for (int i = 0; i < 16; i += 2) { t[i] = _mm512_unpacklo_ps(rows[i], rows[i + 1]); t[i + 1] = _mm512_unpackhi_ps(rows[i], rows[i + 1]); }
    for (int i = 0; i < 16; i += 4) {
        rows[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        rows[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        rows[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        rows[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int h = 0; h < 16; h += 8)
        for (int i = 0; i < 4; i++) {
            t[h + i] = _mm512_shuffle_f32x4(rows[h + i], rows[h + i + 4], 0x88);
            t[h + i + 4] = _mm512_shuffle_f32x4(rows[h + i], rows[h + i + 4], 0xdd);
        }
    for (int i = 0; i < 8; i++) {
        rows[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        rows[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
    }
}

#endif

// C tile (8, 32) with row stride ldc (+)= a (kc, 8)ᵀ · b (kc, 32): the reference micro-kernel
static inline void cw_ukr_ref(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int accumulate) {
    float acc[CW_MR][CW_NR];
    for (int i = 0; i < CW_MR; i++)
        for (int l = 0; l < CW_NR; l++) acc[i][l] = accumulate ? c[i * ldc + l] : 0.f;
    for (int64_t k = 0; k < kc; k++)
        for (int i = 0; i < CW_MR; i++)
            for (int l = 0; l < CW_NR; l++) acc[i][l] += a[k * CW_MR + i] * b[k * CW_NR + l];
    for (int i = 0; i < CW_MR; i++)
        for (int l = 0; l < CW_NR; l++) c[i * ldc + l] = acc[i][l];
}

#if defined(__x86_64__) && defined(__GNUC__)
#define CW_HAVE_VECTOR_KERNELS 1
// An 8 × 32 fp32 tile in 16 zmm accumulators c00 … c71 (row i: c<i>0 columns 0–15, c<i>1 columns 16–31), with row
// stride ldc in memory: declared and loaded (or zeroed), and stored back. Shared by the fp32 and bf16 micro-kernels.
#define CW_TILE_ROW_LOAD(i) c##i##0 = _mm512_loadu_ps(c + i * ldc); c##i##1 = _mm512_loadu_ps(c + i * ldc + 16);
#define CW_TILE_ROW_STORE(i) _mm512_storeu_ps(c + i * ldc, c##i##0); _mm512_storeu_ps(c + i * ldc + 16, c##i##1);
#define CW_TILE_8X32_OPEN                                                                                  \
    __m512 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;                  \
    if (accumulate) {                                                                                      \
        CW_TILE_ROW_LOAD(0) CW_TILE_ROW_LOAD(1) CW_TILE_ROW_LOAD(2) CW_TILE_ROW_LOAD(3)                     \
        CW_TILE_ROW_LOAD(4) CW_TILE_ROW_LOAD(5) CW_TILE_ROW_LOAD(6) CW_TILE_ROW_LOAD(7)                     \
    } else {                                                                                               \
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = _mm512_setzero_ps();                               \
        c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = _mm512_setzero_ps();                               \
    }
#define CW_TILE_8X32_CLOSE                                                                                 \
    CW_TILE_ROW_STORE(0) CW_TILE_ROW_STORE(1) CW_TILE_ROW_STORE(2) CW_TILE_ROW_STORE(3)                     \
    CW_TILE_ROW_STORE(4) CW_TILE_ROW_STORE(5) CW_TILE_ROW_STORE(6) CW_TILE_ROW_STORE(7)

// The same tile with AVX-512: 16 accumulators (8 channels × 2 vectors of 16 pixels); per row of the
// panels two vector loads and 16 FMAs whose weight operand is broadcast from memory.
__attribute__((target("avx512f")))
static void cw_ukr_avx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int accumulate) {
    CW_TILE_8X32_OPEN
    for (int64_t k = 0; k < kc; k++, a += CW_MR, b += CW_NR) {
        const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#define CW_FMA(i) { const __m512 ai = _mm512_set1_ps(a[i]); c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0); c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1); }
        CW_FMA(0) CW_FMA(1) CW_FMA(2) CW_FMA(3) CW_FMA(4) CW_FMA(5) CW_FMA(6) CW_FMA(7)
#undef CW_FMA
    }
    CW_TILE_8X32_CLOSE
}

// The 8 × 32 tile with AVX2 and FMA (no AVX-512) in three parts whose accumulators fit the 16 ymm
// registers beside the pixel vectors and a broadcast weight: rows 0–5 × pixels 0–15 and 16–31
// (12 accumulators each, the classic AVX2 shape), then rows 6–7 × all 32 pixels (8 accumulators).
#define CW_AVX2_ACC(v) v = accumulate ? _mm256_loadu_ps(c + CW_AVX2_AT(v)) : _mm256_setzero_ps();
#define CW_AVX2_PUT(v) _mm256_storeu_ps(c + CW_AVX2_AT(v), v);
__attribute__((target("avx2,fma")))
static void cw_ukr_avx2_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int accumulate) {
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
#define CW_AVX2_AT(v) ((#v[1] - '0') * ldc + (#v[2] - '0') * 8)
    CW_AVX2_ACC(c00) CW_AVX2_ACC(c01) CW_AVX2_ACC(c10) CW_AVX2_ACC(c11) CW_AVX2_ACC(c20) CW_AVX2_ACC(c21)
    CW_AVX2_ACC(c30) CW_AVX2_ACC(c31) CW_AVX2_ACC(c40) CW_AVX2_ACC(c41) CW_AVX2_ACC(c50) CW_AVX2_ACC(c51)
    for (int64_t k = 0; k < kc; k++, a += CW_MR, b += CW_NR) {
        const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        __m256 ai;
#define CW_AVX2_ROW(i) ai = _mm256_broadcast_ss(a + i); c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0); c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);
        CW_AVX2_ROW(0) CW_AVX2_ROW(1) CW_AVX2_ROW(2) CW_AVX2_ROW(3) CW_AVX2_ROW(4) CW_AVX2_ROW(5)
#undef CW_AVX2_ROW
    }
    CW_AVX2_PUT(c00) CW_AVX2_PUT(c01) CW_AVX2_PUT(c10) CW_AVX2_PUT(c11) CW_AVX2_PUT(c20) CW_AVX2_PUT(c21)
    CW_AVX2_PUT(c30) CW_AVX2_PUT(c31) CW_AVX2_PUT(c40) CW_AVX2_PUT(c41) CW_AVX2_PUT(c50) CW_AVX2_PUT(c51)
#undef CW_AVX2_AT
}

__attribute__((target("avx2,fma")))
static void cw_ukr_avx2_2x32(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int accumulate) {
    __m256 c00, c01, c02, c03, c10, c11, c12, c13;
#define CW_AVX2_AT(v) ((#v[1] - '0') * ldc + (#v[2] - '0') * 8)
    CW_AVX2_ACC(c00) CW_AVX2_ACC(c01) CW_AVX2_ACC(c02) CW_AVX2_ACC(c03) CW_AVX2_ACC(c10) CW_AVX2_ACC(c11) CW_AVX2_ACC(c12) CW_AVX2_ACC(c13)
    for (int64_t k = 0; k < kc; k++, a += CW_MR, b += CW_NR) {
        const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8), b2 = _mm256_loadu_ps(b + 16), b3 = _mm256_loadu_ps(b + 24);
        const __m256 a0 = _mm256_broadcast_ss(a), a1 = _mm256_broadcast_ss(a + 1);
        c00 = _mm256_fmadd_ps(a0, b0, c00); c01 = _mm256_fmadd_ps(a0, b1, c01); c02 = _mm256_fmadd_ps(a0, b2, c02); c03 = _mm256_fmadd_ps(a0, b3, c03);
        c10 = _mm256_fmadd_ps(a1, b0, c10); c11 = _mm256_fmadd_ps(a1, b1, c11); c12 = _mm256_fmadd_ps(a1, b2, c12); c13 = _mm256_fmadd_ps(a1, b3, c13);
    }
    CW_AVX2_PUT(c00) CW_AVX2_PUT(c01) CW_AVX2_PUT(c02) CW_AVX2_PUT(c03) CW_AVX2_PUT(c10) CW_AVX2_PUT(c11) CW_AVX2_PUT(c12) CW_AVX2_PUT(c13)
#undef CW_AVX2_AT
}
#undef CW_AVX2_ACC
#undef CW_AVX2_PUT

__attribute__((target("avx2,fma")))
static void cw_ukr_avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int accumulate) {
    cw_ukr_avx2_6x16(kc, a, b, c, ldc, accumulate);
    cw_ukr_avx2_6x16(kc, a, b + 16, c + 16, ldc, accumulate);
    cw_ukr_avx2_2x32(kc, a + 6, b, c + 6 * ldc, ldc, accumulate);
}
#else
#define CW_HAVE_VECTOR_KERNELS 0
#endif

// y (N, K, P·Q) for the pixels [jb, jb + nj) of the batch = cbuf (K rows, ldc) + bias + res (null = none; res as y):
// pixel runs inside one image are contiguous in y.
static inline void cw_conv_scatter(const float* cbuf, int64_t ldc, float* ys, const float* bs, const float* res, int64_t jb,
                                   int64_t nj, int64_t k, int64_t pq) {
    for (int64_t t = 0; t < nj;) {
        const int64_t j = jb + t, img = j / pq, at = j % pq, run = pq - at < nj - t ? pq - at : nj - t;
        for (int64_t ch = 0; ch < k; ch++) {
            const float bv = bs ? bs[ch] : 0.f;
            const float* src = cbuf + ch * ldc + t;
            float* dst = ys + (img * k + ch) * pq + at;
            if (res) {
                const float* add = res + (img * k + ch) * pq + at;
                for (int64_t l = 0; l < run; l++) dst[l] = src[l] + bv + add[l];
            } else {
                for (int64_t l = 0; l < run; l++) dst[l] = src[l] + bv;
            }
        }
        t += run;
    }
}

// Which micro-kernel cw_conv2d_forward_implicit runs
#define CW_KERNEL_PORTABLE 0
#define CW_KERNEL_AVX2 1
#define CW_KERNEL_AVX512 2

// 1 when this build has the AVX2 and AVX-512 micro-kernels (x86-64 with gcc/clang; the caller still checks the CPU)
static inline int cw_conv_has_vector_kernels(void) { return CW_HAVE_VECTOR_KERNELS; }

// y[n, k, p, q] for the pixels j ∈ [j0, j1) of the batch: W·cols + bias + residual (bias, residual 0 = none; residual
// (N, K, P, Q), a residual block's other path, added in the same store).
// xp: cw_conv_pad_input of x; wp: cw_conv_pack_weights of w; ws: cw_conv_workspace_floats(k) floats;
// kernel: CW_KERNEL_* (the caller checked that the CPU runs it).
static inline void cw_conv2d_forward_implicit(int64_t xp, int64_t wp, int64_t bias, int64_t residual, int64_t y,
                                              int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t r, int64_t s,
                                              int64_t stride, int64_t pad, int64_t j0, int64_t j1, int64_t ws, int kernel) {
    cw_conv_shape g = { n, c, h, w, k, r, s, stride, pad, cw_conv_out_size(h, r, stride, pad), cw_conv_out_size(w, s, stride, pad) };
    const float* xs = CW_F(xp);
    const float* wps = CW_F(wp);
    const float* bs = bias ? CW_F(bias) : 0;
    float* ys = CW_F(y);
    float* panels = (float*) (((uintptr_t) CW_F(ws) + 63) & ~(uintptr_t) 63);
    float* cbuf = panels + (int64_t) CW_KC * CW_NR + CW_PANEL_SLACK;  // (Kpad, CW_NC)
    const int64_t crs = c * r * s, kpad = cw_conv_padded_channels(k), pq = g.p * g.q;
    void (*ukr)(int64_t, const float*, const float*, float*, int64_t, int) = cw_ukr_ref;
    int fastPack = 0;  // the kernel's own packer (stride 1), else the reference one
#if CW_HAVE_VECTOR_KERNELS
    if (kernel == CW_KERNEL_AVX512) ukr = cw_ukr_avx512;
    else if (kernel == CW_KERNEL_AVX2) ukr = cw_ukr_avx2;
    fastPack = stride == 1 ? kernel : 0;
#else
    (void) kernel;
#endif
    cw_conv_runs runs[CW_NC / CW_NR];
    int64_t offsets[CW_KC];
    for (int64_t jb = j0; jb < j1; jb += CW_NC) {
        const int64_t nj = j1 - jb < CW_NC ? j1 - jb : CW_NC, npanels = (nj + CW_NR - 1) / CW_NR;
        for (int64_t k0 = 0; k0 < crs; k0 += CW_KC) {
            const int64_t kc = crs - k0 < CW_KC ? crs - k0 : CW_KC;
            for (int64_t kk = 0; kk < kc; kk++) offsets[kk] = cw_conv_row_offset(&g, k0 + kk);
            for (int64_t jr = 0; jr < npanels; jr++) {
                if (k0 == 0) {
                    const int64_t len = nj - jr * CW_NR < CW_NR ? nj - jr * CW_NR : CW_NR;
                    cw_conv_panel_runs(&g, jb + jr * CW_NR, len, &runs[jr]);
                }
                float* panel = panels;  // one panel at a time, reused: it stays in L1
#if CW_HAVE_VECTOR_KERNELS
                if (fastPack == CW_KERNEL_AVX512) cw_conv_pack_pixels_avx512(xs, &runs[jr], offsets, kc, panel);
                else if (fastPack == CW_KERNEL_AVX2) cw_conv_pack_pixels_avx2(xs, &runs[jr], offsets, kc, panel);
                else
#endif
                cw_conv_pack_pixels_ref(xs, &g, &runs[jr], offsets, kc, panel);
                // while the panel is in L1: every output channel's product with it
                for (int64_t ir = 0; ir < kpad / CW_MR; ir++)
                    ukr(kc, wps + k0 * kpad + ir * kc * CW_MR, panel, cbuf + ir * CW_MR * CW_NC + jr * CW_NR, CW_NC, k0 > 0);
            }
        }
        cw_conv_scatter(cbuf, CW_NC, ys, bs, residual ? CW_F(residual) : 0, jb, nj, k, pq);
    }
}

#endif
