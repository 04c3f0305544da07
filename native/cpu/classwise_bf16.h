// bf16 products on the CPU: convolutions (implicit GEMM) and matrix products whose operands are rounded
// to bfloat16 while the sums stay fp32, as bf16 tensor cores and PyTorch's CPU autocast compute them.
//
// The operands are rounded while they are packed (round to nearest even, NaN kept NaN: bit for bit
// Precision.roundToBf16 on the Java side), into two layouts that every kernel here reads:
//   A, the operand whose rows become the output's rows (a convolution's weights, one side of a
//   matrix product): per block of CW_BF_KC rows of K, per panel of 32 rows, (32, kcp) bf16 row-major,
//   kcp = the block's K rounded up to 32, the tail zero.
//   B, the operand whose columns become the output's columns (pixels, or the other side): per panel
//   of 32 columns, (kcp / 2, 32) 32-bit words, word (kp, l) = the bf16 pair (B[2kp, l], B[2kp + 1, l]),
//   low half first: the "VNNI" layout both vdpbf16ps and AMX's tdpbf16ps multiply pair by pair.
//
// Three micro-kernels compute C (32, 32) (+)= A-panel · B-panel with fp32 sums:
//   cw_bf16_ukr_ref      plain C, the reference (pair products are exact in fp32; then two fp32 adds);
//   cw_bf16_ukr_avx512   AVX-512 BF16: vdpbf16ps, 16 accumulators per 8 rows, the A pair broadcast;
//   cw_bf16_ukr_amx      AMX: four 16 × 16 fp32 tiles, tdpbf16ps on (16, 32) × (16 pairs, 16) tiles.
// They differ only in the order of the fp32 additions (the hardware adds a pair's two products, and
// AMX the pairs of a 32-wide step, in its own order); tests bound the difference (Bf16KernelsTest).
//
// Which one runs is chosen once, from CPUID and the OS (AMX needs the kernel's permission to use tile
// state: cw_cpu_amx_ready), by the Java side (Bf16Kernel), which can also be forced to any of them.
#ifndef CLASSWISE_BF16_H
#define CLASSWISE_BF16_H

#include <stdint.h>
#include <string.h>
#include "classwise_conv.h"
#include "classwise_cpuid.h"

#define CW_BF_KC 256  // rows of K per block: A and B panels of 16 KiB each, together in L1
#define CW_BF_MR 32   // rows of A per panel
#define CW_BF_NR 32   // columns of B per panel

#define CW_BF16_KERNEL_REF 0
#define CW_BF16_KERNEL_AVX512 1
#define CW_BF16_KERNEL_AMX 2

static inline int64_t cw_bf16_round32(int64_t v) { return (v + 31) / 32 * 32; }

// The bits of v rounded to bf16 (nearest, ties to even; NaN keeps a quiet NaN), in the low 16 bits
static inline uint32_t cw_bf16_bits(float v) {
    uint32_t bits;
    memcpy(&bits, &v, 4);
    if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu)) return (bits | 0x00400000u) >> 16;
    return (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
}

static inline float cw_bf16_float(uint16_t h) {
    const uint32_t bits = (uint32_t) h << 16;
    float v;
    memcpy(&v, &bits, 4);
    return v;
}

// K rows padded block by block: (number of full blocks) · CW_BF_KC + the last block rounded up to 32
static inline int64_t cw_bf16_padded_depth(int64_t k) {
    return k / CW_BF_KC * CW_BF_KC + cw_bf16_round32(k % CW_BF_KC);
}

// bf16 elements of packed A for m rows and depth k
static inline int64_t cw_bf16_packed_a_elems(int64_t m, int64_t k) { return cw_bf16_round32(m) * cw_bf16_padded_depth(k); }

// dst[i] = src[i] rounded to bf16, as fp32 (cw_bf16_bits << 16), for i < n: the emulation's operand rounding,
// bit for bit Precision.roundToBf16 (subnormals kept, unlike vcvtne2ps2bf16), 16 lanes at a time with AVX-512F.
#if CW_VECTOR
__attribute__((target("avx512f")))
static void cw_bf16_round_floats_avx512(const float* src, float* dst, int64_t n) {
    int64_t i = 0;
    for (; i < n; i += 16) {
        const __mmask16 m = cw_lanes(n - i);
        const __m512 v = _mm512_maskz_loadu_ps(m, src + i);
        const __m512i bits = _mm512_castps_si512(v);
        const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
        const __m512i rounded = _mm512_add_epi32(bits, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7fff)));
        const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        const __m512i kept = _mm512_mask_blend_epi32(nan, rounded, _mm512_or_si512(bits, _mm512_set1_epi32(0x00400000)));
        _mm512_mask_storeu_ps(dst + i, m, _mm512_castsi512_ps(_mm512_and_si512(kept, _mm512_set1_epi32((int) 0xffff0000u))));
    }
}
#endif

static inline void cw_bf16_round_floats(int64_t src, int64_t dst, int64_t n) {
#if CW_VECTOR
    if (cw_cpu_avx512_level() >= 1) { cw_bf16_round_floats_avx512(CW_F(src), CW_F(dst), n); return; }
#endif
    const float* s = CW_F(src);
    uint32_t* d = (uint32_t*) (intptr_t) dst;
    for (int64_t i = 0; i < n; i++) d[i] = cw_bf16_bits(s[i]) << 16;
}

// ---------------------------------------------------------------- B panels

// Word (kp, l) of a B panel from two fp32 values: the pair (lo = row 2kp, hi = row 2kp + 1)
static inline uint32_t cw_bf16_pair(float lo, float hi) { return cw_bf16_bits(lo) | cw_bf16_bits(hi) << 16; }

// A B panel of a matrix: columns [j, j + len) of B rows [k0, k0 + kc), zero past len and past kc up to kcp.
// B[kk, l] = b[kk·ldb + l] when nContiguous, else b[l·ldb + kk]. The reference packer.
static inline void cw_bf16_pack_b_ref(const float* b, int64_t ldb, int nContiguous, int64_t k0, int64_t kc, int64_t kcp,
                                      int64_t j, int64_t len, uint32_t* panel) {
    for (int64_t kp = 0; kp < kcp / 2; kp++)
        for (int64_t l = 0; l < CW_BF_NR; l++) {
            const int64_t r0 = k0 + 2 * kp, col = j + l;
            float lo = 0.f, hi = 0.f;
            if (l < len && 2 * kp < kc) lo = nContiguous ? b[r0 * ldb + col] : b[col * ldb + r0];
            if (l < len && 2 * kp + 1 < kc) hi = nContiguous ? b[(r0 + 1) * ldb + col] : b[col * ldb + r0 + 1];
            panel[kp * CW_BF_NR + l] = cw_bf16_pair(lo, hi);
        }
}

// A B panel of a convolution's unrolled receptive fields (rows k0 … of cols, pixels as in cw_conv_runs),
// any stride: the reference packer. offsets[kk] = cw_conv_row_offset(k0 + kk).
static inline void cw_bf16_pack_pixels_ref(const float* xp, const cw_conv_shape* g, const cw_conv_runs* runs,
                                           const int64_t* offsets, int64_t kc, int64_t kcp, uint32_t* panel) {
    for (int64_t kp = 0; kp < kcp / 2; kp++) {
        uint32_t* dst = panel + kp * CW_BF_NR;
        int64_t lane = 0;
        for (int64_t t = 0; t < runs->count; t++) {
            const float* src = xp + runs->base[t];
            for (int64_t l = 0; l < runs->len[t]; l++, lane++) {
                const int64_t at = l * g->stride;
                const float lo = 2 * kp < kc ? src[offsets[2 * kp] + at] : 0.f;
                const float hi = 2 * kp + 1 < kc ? src[offsets[2 * kp + 1] + at] : 0.f;
                dst[lane] = cw_bf16_pair(lo, hi);
            }
        }
        for (; lane < CW_BF_NR; lane++) dst[lane] = 0;
    }
}

#if CW_VECTOR
// 16 words of a B panel from rows lo and hi (16 fp32 lanes each): vcvtne2ps2bf16 rounds both to bf16
// (nearest even, as cw_bf16_bits, except that fp32 subnormals, below 1.2e-38, become zero), then one
// word permutation interleaves them.
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static inline __m512i cw_bf16_pairs16(__m512 lo, __m512 hi) {
    const __m512i both = (__m512i) _mm512_cvtne2ps_pbh(hi, lo);  // words 0–15 lo, 16–31 hi
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    return _mm512_permutexvar_epi16(interleave, both);
}

// dst[0, kcp) = src[0, n) rounded to bf16 in order (cvtne2ps2bf16 keeps lo's words before hi's), zero past n
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void cw_bf16_round_row_avx512(const float* src, int64_t n, int64_t kcp, uint16_t* dst) {
    for (int64_t i = 0; i < kcp; i += 32) {
        const __m512 lo = _mm512_maskz_loadu_ps(cw_lanes(n - i), src + i), hi = _mm512_maskz_loadu_ps(cw_lanes(n - i - 16), src + i + 16);
        _mm512_storeu_si512(dst + i, (__m512i) _mm512_cvtne2ps_pbh(hi, lo));
    }
}

// The len (≤ 16) pixels of a run, stride 1 or 2 apart in the padded input: one masked load, or two and the even lanes
__attribute__((target("avx512f")))
static inline __m512 cw_bf16_load_run(const float* src, int64_t len, int64_t stride) {
    if (stride == 1) return _mm512_maskz_loadu_ps(cw_lanes(len), src);
    const int64_t span = 2 * len - 1;  // elements the run covers
    const __mmask16 lo = cw_lanes(span), hi = cw_lanes(span - 16);
    const __m512i evens = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    return _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(lo, src), evens, _mm512_maskz_loadu_ps(hi, src + 16));
}

// cw_bf16_pack_pixels_ref for stride 1 or 2 with AVX-512: per run of ≤ 16 pixels and pair of rows, the two rows'
// loads, the rounding, one masked store.
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void cw_bf16_pack_pixels_avx512(const float* xp, const cw_conv_runs* runs, const int64_t* offsets, int64_t kc,
                                       int64_t kcp, int64_t stride, uint32_t* panel) {
    int64_t filled = 0;
    for (int64_t t = 0; t < runs->count; t++) {
        const int64_t len = runs->len[t];
        const __mmask16 m = cw_lanes(len);
        const float* src = xp + runs->base[t];
        uint32_t* dst = panel + runs->lane[t];
        int64_t kp = 0;
        for (; 2 * kp + 1 < kc; kp++) {
            const __m512 lo = cw_bf16_load_run(src + offsets[2 * kp], len, stride), hi = cw_bf16_load_run(src + offsets[2 * kp + 1], len, stride);
            _mm512_mask_storeu_epi32(dst + kp * CW_BF_NR, m, cw_bf16_pairs16(lo, hi));
        }
        if (2 * kp < kc) {  // odd depth: the last pair's high half is zero
            _mm512_mask_storeu_epi32(dst + kp * CW_BF_NR, m, cw_bf16_pairs16(cw_bf16_load_run(src + offsets[2 * kp], len, stride),
                                                                             _mm512_setzero_ps()));
            kp++;
        }
        for (; kp < kcp / 2; kp++) _mm512_mask_storeu_epi32(dst + kp * CW_BF_NR, m, _mm512_setzero_si512());
        filled += len;
    }
    for (int64_t kp = 0; filled < CW_BF_NR && kp < kcp / 2; kp++)
        for (int64_t l = filled; l < CW_BF_NR; l++) panel[kp * CW_BF_NR + l] = 0;  // past the batch's last pixel
}

// cw_bf16_pack_b_ref for a B stored by columns (B[kk, l] = b[l·ldb + kk]) with AVX-512: each column's K values rounded
// into pairs (cvtne2ps2bf16 keeps them in order, so a column's words are its pairs), then 16 × 16 blocks of words
// transposed into the panel's rows. Columns past len and rows past kc are zero.
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void cw_bf16_pack_b_columns_avx512(const float* b, int64_t ldb, int64_t k0, int64_t kc, int64_t kcp, int64_t j, int64_t len,
                                          uint32_t* panel) {
    float block[256] __attribute__((aligned(64)));
    for (int64_t l0 = 0; l0 < CW_BF_NR; l0 += 16)
        for (int64_t kp0 = 0; kp0 < kcp / 2; kp0 += 16) {
            const int64_t left = kc - 2 * kp0;  // K values of this block still inside the depth
            const __mmask16 lo = cw_lanes(left), hi = cw_lanes(left - 16);
            for (int64_t l = 0; l < 16; l++) {
                __m512i words = _mm512_setzero_si512();
                if (l0 + l < len) {
                    const float* column = b + (j + l0 + l) * ldb + k0 + 2 * kp0;
                    words = (__m512i) _mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(hi, column + 16), _mm512_maskz_loadu_ps(lo, column));
                }
                _mm512_store_si512(block + 16 * l, words);
            }
            __m512 rows[16];
            cw_transpose16(block, rows);
            for (int64_t i = 0; i < 16 && kp0 + i < kcp / 2; i++) _mm512_storeu_ps((float*) (panel + (kp0 + i) * CW_BF_NR + l0), rows[i]);
        }
}

// cw_bf16_pack_b_ref for a row-major B (nContiguous) with AVX-512: rows 2kp and 2kp + 1 interleaved 16 columns at a time
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void cw_bf16_pack_b_rows_avx512(const float* b, int64_t ldb, int64_t k0, int64_t kc, int64_t kcp, int64_t j, int64_t len,
                                       uint32_t* panel) {
    for (int64_t h = 0; h < CW_BF_NR; h += 16) {
        const __mmask16 m = cw_lanes(len - h);
        for (int64_t kp = 0; kp < kcp / 2; kp++) {
            const int64_t r0 = k0 + 2 * kp;
            const __m512 lo = 2 * kp < kc ? _mm512_maskz_loadu_ps(m, b + r0 * ldb + j + h) : _mm512_setzero_ps();
            const __m512 hi = 2 * kp + 1 < kc ? _mm512_maskz_loadu_ps(m, b + (r0 + 1) * ldb + j + h) : _mm512_setzero_ps();
            _mm512_storeu_si512(panel + kp * CW_BF_NR + h, cw_bf16_pairs16(lo, hi));
        }
    }
}
#endif

// Packs rows [m0, m1) of A (m0 a multiple of 32) into packed, with the vector rounding unless kernel is CW_BF16_KERNEL_REF (layout above; packed holds all rows 0 …
// mpad): A[i, kk] = a[i·lda + kk] when kContiguous, else a[kk·lda + i]. Rows ≥ m zero. Threads may pack
// disjoint row ranges of the same buffer.
static inline void cw_bf16_pack_a(int64_t a, int64_t lda, int32_t kContiguous, int64_t m, int64_t k, int64_t m0, int64_t m1,
                                  int64_t packed, int32_t kernel) {
    const float* as = CW_F(a);
    uint16_t* out = (uint16_t*) (intptr_t) packed;
    const int64_t mpad = cw_bf16_round32(m);
    if (m1 >= m) m1 = mpad;  // the last rows of A: their zero padding too
    for (int64_t k0 = 0; k0 < k; k0 += CW_BF_KC) {
        const int64_t kc = k - k0 < CW_BF_KC ? k - k0 : CW_BF_KC, kcp = cw_bf16_round32(kc);
        uint16_t* block = out + mpad * k0;  // every earlier block is CW_BF_KC deep
        for (int64_t i = m0; i < m1; i++) {
            uint16_t* row = block + i * kcp;  // panels of 32 rows are consecutive: row i at i·kcp
            if (i >= m) { memset(row, 0, (size_t) kcp * 2); continue; }
#if CW_VECTOR
            if (kContiguous && kernel != CW_BF16_KERNEL_REF) { cw_bf16_round_row_avx512(as + i * lda + k0, kc, kcp, row); continue; }
#else
            (void) kernel;
#endif
            if (kContiguous) for (int64_t kk = 0; kk < kc; kk++) row[kk] = (uint16_t) cw_bf16_bits(as[i * lda + k0 + kk]);
            else for (int64_t kk = 0; kk < kc; kk++) row[kk] = (uint16_t) cw_bf16_bits(as[(k0 + kk) * lda + i]);
            for (int64_t kk = kc; kk < kcp; kk++) row[kk] = 0;
        }
    }
}

// ---------------------------------------------------------------- micro-kernels
// c (32, 32), row stride ldc, (+)= A-panel (32, kcp) · B-panel (kcp / 2 words, 32)

static inline void cw_bf16_ukr_ref(int64_t kcp, const uint16_t* a, const uint32_t* b, float* c, int64_t ldc, int accumulate) {
    for (int64_t i = 0; i < CW_BF_MR; i++)
        for (int64_t l = 0; l < CW_BF_NR; l++) {
            float acc = accumulate ? c[i * ldc + l] : 0.f;
            for (int64_t kp = 0; kp < kcp / 2; kp++) {
                const uint32_t w = b[kp * CW_BF_NR + l];
                acc += cw_bf16_float(a[i * kcp + 2 * kp]) * cw_bf16_float((uint16_t) w);
                acc += cw_bf16_float(a[i * kcp + 2 * kp + 1]) * cw_bf16_float((uint16_t) (w >> 16));
            }
            c[i * ldc + l] = acc;
        }
}

#if CW_VECTOR
// 8 rows × 32 columns with vdpbf16ps: 16 accumulators; per pair of K rows two panel loads and 16 dot
// products whose A operand is one row's pair, broadcast.
__attribute__((target("avx512f,avx512bf16")))
static void cw_bf16_ukr_avx512_8x32(int64_t kcp, const uint16_t* a, const uint32_t* b, float* c, int64_t ldc, int accumulate) {
    CW_TILE_8X32_OPEN  // classwise_conv.h
    const uint32_t* a32 = (const uint32_t*) a;
    const int64_t row = kcp / 2;  // words per row of the A panel
    for (int64_t kp = 0; kp < kcp / 2; kp++, b += CW_BF_NR) {
        const __m512bh b0 = (__m512bh) _mm512_loadu_si512(b), b1 = (__m512bh) _mm512_loadu_si512(b + 16);
#define CW_DP(i) { const __m512bh ai = (__m512bh) _mm512_set1_epi32((int) a32[i * row + kp]); \
        c##i##0 = _mm512_dpbf16_ps(c##i##0, ai, b0); c##i##1 = _mm512_dpbf16_ps(c##i##1, ai, b1); }
        CW_DP(0) CW_DP(1) CW_DP(2) CW_DP(3) CW_DP(4) CW_DP(5) CW_DP(6) CW_DP(7)
#undef CW_DP
    }
    CW_TILE_8X32_CLOSE
}

__attribute__((target("avx512f,avx512bf16")))
static void cw_bf16_ukr_avx512(int64_t kcp, const uint16_t* a, const uint32_t* b, float* c, int64_t ldc, int accumulate) {
    for (int64_t i = 0; i < CW_BF_MR; i += 8) cw_bf16_ukr_avx512_8x32(kcp, a + i * kcp, b, c + i * ldc, ldc, accumulate);
}

// The AMX tile configuration every AMX call uses: tiles 0–3 C (16 rows × 16 fp32), 4–5 A (16 rows ×
// 32 bf16), 6–7 B (16 pairs of rows × 16 columns); 64 bytes a row each.
typedef struct {
    uint8_t palette, startRow, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} cw_amx_config;

// A constant in memory: gcc 12 drops stores into a local configuration before ldtilecfg reads it.
static const cw_amx_config cw_amx_tiles = {
    1, 0, {0}, {64, 64, 64, 64, 64, 64, 64, 64, 0, 0, 0, 0, 0, 0, 0, 0}, {16, 16, 16, 16, 16, 16, 16, 16, 0, 0, 0, 0, 0, 0, 0, 0}
};

__attribute__((target("amx-tile")))
static void cw_amx_begin(void) { _tile_loadconfig(&cw_amx_tiles); }

__attribute__((target("amx-tile")))
static void cw_amx_end(void) { _tile_release(); }

// 32 × 32 with AMX, after cw_amx_begin on this thread: C tiles (rows 0–15 | 16–31) × (columns 0–15 | 16–31)
__attribute__((target("amx-tile,amx-bf16")))
static void cw_bf16_ukr_amx(int64_t kcp, const uint16_t* a, const uint32_t* b, float* c, int64_t ldc, int accumulate) {
    const int64_t cs = ldc * 4, as = kcp * 2;
    if (accumulate) {
        _tile_loadd(0, c, cs); _tile_loadd(1, c + 16, cs); _tile_loadd(2, c + 16 * ldc, cs); _tile_loadd(3, c + 16 * ldc + 16, cs);
    } else {
        _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
    }
    for (int64_t kk = 0; kk < kcp; kk += 32) {
        _tile_loadd(4, a + kk, as);
        _tile_loadd(5, a + 16 * kcp + kk, as);
        _tile_loadd(6, b + kk / 2 * CW_BF_NR, CW_BF_NR * 4);
        _tile_loadd(7, b + kk / 2 * CW_BF_NR + 16, CW_BF_NR * 4);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
    }
    _tile_stored(0, c, cs); _tile_stored(1, c + 16, cs); _tile_stored(2, c + 16 * ldc, cs); _tile_stored(3, c + 16 * ldc + 16, cs);
}
#endif

#if CW_VECTOR
// How many more multiply-adds per second vdpbf16ps does than an fp32 FMA on this core: two register-only
// loops of 12 independent accumulators, 2^17 iterations each (≈ 1 ms), the faster of three tries each.
// Some CPUs run vdpbf16ps at half the FMA's instruction rate, where it gains nothing (the caller checks
// that the CPU has AVX-512 BF16).
#include <time.h>
static inline double cw_bf16_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + 1e-9 * (double) t.tv_nsec;
}

// 12 accumulators named one by one: kept in an array, gcc rolls the loop and goes through memory
#define CW_PROBE_LOOP(type, init, step)                                                                    \
    type a0 = init(0), a1 = init(1), a2 = init(2), a3 = init(3), a4 = init(4), a5 = init(5);                \
    type a6 = init(6), a7 = init(7), a8 = init(8), a9 = init(9), a10 = init(10), a11 = init(11);            \
    for (int64_t it = 0; it < iterations; it++) {                                                          \
        a0 = step(a0); a1 = step(a1); a2 = step(a2); a3 = step(a3); a4 = step(a4); a5 = step(a5);           \
        a6 = step(a6); a7 = step(a7); a8 = step(a8); a9 = step(a9); a10 = step(a10); a11 = step(a11);       \
    }                                                                                                      \
    float lanes[16];                                                                                       \
    _mm512_storeu_ps(lanes, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),     \
           _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)),                        \
                         _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)))));                   \
    return lanes[0] + lanes[15];
#define CW_PROBE_INIT(i) _mm512_set1_ps((float) (i))

__attribute__((target("avx512f"), noinline))
static float cw_bf16_fma_loop(int64_t iterations, float seed) {
    const __m512 x = _mm512_set1_ps(seed), y = _mm512_set1_ps(1.f - seed);
#define CW_PROBE_FMA(a) _mm512_fmadd_ps(x, y, a)
    CW_PROBE_LOOP(__m512, CW_PROBE_INIT, CW_PROBE_FMA)
#undef CW_PROBE_FMA
}

__attribute__((target("avx512f,avx512bf16"), noinline))
static float cw_bf16_dot_loop(int64_t iterations, float seed) {
    const __m512bh x = _mm512_cvtne2ps_pbh(_mm512_set1_ps(seed), _mm512_set1_ps(seed));
    const __m512bh y = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1.f - seed), _mm512_set1_ps(1.f - seed));
#define CW_PROBE_DOT(a) _mm512_dpbf16_ps(a, x, y)
    CW_PROBE_LOOP(__m512, CW_PROBE_INIT, CW_PROBE_DOT)
#undef CW_PROBE_DOT
}
#undef CW_PROBE_LOOP
#undef CW_PROBE_INIT

static inline double cw_bf16_dot_speedup(void) {
    const int64_t n = 1 << 17;
    double fma = 1e30, dot = 1e30;
    volatile float sink = 0.f;
    for (int t = 0; t < 3; t++) {
        double t0 = cw_bf16_seconds();
        sink += cw_bf16_fma_loop(n, 1e-3f);
        double t1 = cw_bf16_seconds();
        sink += cw_bf16_dot_loop(n, 1e-3f);
        double t2 = cw_bf16_seconds();
        if (t1 - t0 < fma) fma = t1 - t0;
        if (t2 - t1 < dot) dot = t2 - t1;
    }
    (void) sink;
    return dot > 0 ? 2.0 * fma / dot : 0.0;  // a dot instruction does two multiply-adds per lane
}
#else
static inline double cw_bf16_dot_speedup(void) { return 0.0; }
#endif

typedef void (*cw_bf16_ukr)(int64_t, const uint16_t*, const uint32_t*, float*, int64_t, int);

// The micro-kernel for CW_BF16_KERNEL_* (the caller checked that the CPU runs it); AMX's tile state set up
static inline cw_bf16_ukr cw_bf16_begin(int kernel) {
#if CW_VECTOR
    if (kernel == CW_BF16_KERNEL_AMX) { cw_amx_begin(); return cw_bf16_ukr_amx; }
    if (kernel == CW_BF16_KERNEL_AVX512) return cw_bf16_ukr_avx512;
#else
    (void) kernel;
#endif
    return cw_bf16_ukr_ref;
}

static inline void cw_bf16_end(int kernel) {
#if CW_VECTOR
    if (kernel == CW_BF16_KERNEL_AMX) cw_amx_end();
#else
    (void) kernel;
#endif
}

// ---------------------------------------------------------------- convolution

// Bytes of one thread's workspace for the bf16 convolution with k output channels
static inline int64_t cw_bf16_conv_workspace_bytes(int64_t k) {
    return (int64_t) CW_BF_KC / 2 * CW_BF_NR * 4 + cw_bf16_round32(k) * CW_NC * 4 + 128;
}

// y[n, k, p, q] for the pixels j ∈ [j0, j1) of the batch, bf16 operands: W·cols + bias + residual (0 = none; as
// cw_conv2d_forward_implicit).
// xp: cw_conv_pad_input of x (fp32; rounded while packed); wp: cw_bf16_pack_a of w (K, C·R·S); ws:
// cw_bf16_conv_workspace_bytes(k) bytes. The loop order of cw_conv2d_forward_implicit: each pixel panel is
// packed right before every output channel's product with it, while it is in L1.
static inline void cw_bf16_conv2d_forward(int64_t xp, int64_t wp, int64_t bias, int64_t residual, int64_t y,
                                          int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t r, int64_t s,
                                          int64_t stride, int64_t pad, int64_t j0, int64_t j1, int64_t ws, int32_t kernel) {
    cw_conv_shape g = { n, c, h, w, k, r, s, stride, pad, cw_conv_out_size(h, r, stride, pad), cw_conv_out_size(w, s, stride, pad) };
    const float* xs = CW_F(xp);
    const uint16_t* wps = (const uint16_t*) (intptr_t) wp;
    uint32_t* panel = (uint32_t*) (((uintptr_t) ws + 63) & ~(uintptr_t) 63);
    float* cbuf = (float*) (panel + CW_BF_KC / 2 * CW_BF_NR);  // (Kpad, CW_NC)
    const int64_t crs = c * r * s, kpad = cw_bf16_round32(k);
    const cw_bf16_ukr ukr = cw_bf16_begin(kernel);
    cw_conv_runs runs[CW_NC / CW_NR];
    int64_t offsets[CW_BF_KC];
    for (int64_t jb = j0; jb < j1; jb += CW_NC) {
        const int64_t nj = j1 - jb < CW_NC ? j1 - jb : CW_NC, npanels = (nj + CW_BF_NR - 1) / CW_BF_NR;
        for (int64_t k0 = 0; k0 < crs; k0 += CW_BF_KC) {
            const int64_t kc = crs - k0 < CW_BF_KC ? crs - k0 : CW_BF_KC, kcp = cw_bf16_round32(kc);
            for (int64_t kk = 0; kk < kc; kk++) offsets[kk] = cw_conv_row_offset(&g, k0 + kk);
            for (int64_t jr = 0; jr < npanels; jr++) {
                if (k0 == 0) {
                    const int64_t len = nj - jr * CW_BF_NR < CW_BF_NR ? nj - jr * CW_BF_NR : CW_BF_NR;
                    cw_conv_panel_runs(&g, jb + jr * CW_BF_NR, len, &runs[jr]);
                }
#if CW_VECTOR
                if (stride <= 2 && kernel != CW_BF16_KERNEL_REF) cw_bf16_pack_pixels_avx512(xs, &runs[jr], offsets, kc, kcp, stride, panel);
                else
#endif
                cw_bf16_pack_pixels_ref(xs, &g, &runs[jr], offsets, kc, kcp, panel);
                for (int64_t ir = 0; ir < kpad / CW_BF_MR; ir++)
                    ukr(kcp, wps + kpad * k0 + ir * CW_BF_MR * kcp, panel, cbuf + ir * CW_BF_MR * CW_NC + jr * CW_BF_NR, CW_NC, k0 > 0);
            }
        }
        cw_conv_scatter(cbuf, CW_NC, CW_F(y), bias ? CW_F(bias) : 0, residual ? CW_F(residual) : 0, jb, nj, k, g.p * g.q);
    }
    cw_bf16_end(kernel);
}

// ---------------------------------------------------------------- matrix product

// Bytes of one thread's workspace for cw_bf16_gemm over rows [m0, m1)
static inline int64_t cw_bf16_gemm_workspace_bytes(int64_t m0, int64_t m1) {
    return (int64_t) CW_NC / CW_BF_NR * (CW_BF_KC / 2) * CW_BF_NR * 4 + cw_bf16_round32(m1 - m0) * CW_NC * 4 + 128;
}

// C[i, j] = alpha · Σ_kk A[i, kk] · B[kk, j] + beta · C[i, j] for i ∈ [m0, m1) (m0 a multiple of 32),
// j ∈ [n0, n1), bf16 operands, fp32 sums. pa: cw_bf16_pack_a of A (m rows, depth k), covering [m0, m1);
// B[kk, j] = b[kk·ldb + j] (bNContiguous) or b[j·ldb + kk]; C[i, j] at c[i·ldc + j], or c[j·ldc + i] when
// cTransposed. beta = 0 never reads C. ws: cw_bf16_gemm_workspace_bytes(m0, m1) bytes.
// Per block of CW_NC columns and CW_BF_KC rows of K: every B panel of the block is packed first,
// then each A panel meets all of them (A may be large: it is read once per column block).
static inline void cw_bf16_gemm(int64_t pa, int64_t m, int64_t k, int64_t b, int64_t ldb, int32_t bNContiguous,
                                int64_t c, int64_t ldc, int32_t cTransposed, float alpha, float beta,
                                int64_t m0, int64_t m1, int64_t n0, int64_t n1, int64_t ws, int32_t kernel) {
    const uint16_t* pas = (const uint16_t*) (intptr_t) pa;
    const float* bs = CW_F(b);
    float* cs = CW_F(c);
    const int64_t mpad = cw_bf16_round32(m), mrows = cw_bf16_round32(m1 - m0);
    uint32_t* panels = (uint32_t*) (((uintptr_t) ws + 63) & ~(uintptr_t) 63);
    float* cbuf = (float*) (panels + CW_NC / CW_BF_NR * (CW_BF_KC / 2) * CW_BF_NR);  // (mrows, CW_NC)
    const cw_bf16_ukr ukr = cw_bf16_begin(kernel);
    for (int64_t jb = n0; jb < n1; jb += CW_NC) {
        const int64_t nj = n1 - jb < CW_NC ? n1 - jb : CW_NC, npanels = (nj + CW_BF_NR - 1) / CW_BF_NR;
        for (int64_t k0 = 0; k0 < k; k0 += CW_BF_KC) {
            const int64_t kc = k - k0 < CW_BF_KC ? k - k0 : CW_BF_KC, kcp = cw_bf16_round32(kc);
            for (int64_t jr = 0; jr < npanels; jr++) {
                uint32_t* panel = panels + jr * (CW_BF_KC / 2) * CW_BF_NR;
                const int64_t len = nj - jr * CW_BF_NR < CW_BF_NR ? nj - jr * CW_BF_NR : CW_BF_NR;
#if CW_VECTOR
                if (bNContiguous && kernel != CW_BF16_KERNEL_REF) cw_bf16_pack_b_rows_avx512(bs, ldb, k0, kc, kcp, jb + jr * CW_BF_NR, len, panel);
                else if (kernel != CW_BF16_KERNEL_REF) cw_bf16_pack_b_columns_avx512(bs, ldb, k0, kc, kcp, jb + jr * CW_BF_NR, len, panel);
                else
#endif
                cw_bf16_pack_b_ref(bs, ldb, bNContiguous, k0, kc, kcp, jb + jr * CW_BF_NR, len, panel);
            }
            for (int64_t ir = 0; ir < mrows / CW_BF_MR; ir++) {
                const uint16_t* apanel = pas + mpad * k0 + (m0 + ir * CW_BF_MR) * kcp;
                for (int64_t jr = 0; jr < npanels; jr++)
                    ukr(kcp, apanel, panels + jr * (CW_BF_KC / 2) * CW_BF_NR, cbuf + ir * CW_BF_MR * CW_NC + jr * CW_BF_NR, CW_NC, k0 > 0);
            }
        }
        for (int64_t i = m0; i < m1; i++) {
            const float* src = cbuf + (i - m0) * CW_NC;
            for (int64_t l = 0; l < nj; l++) {
                float* dst = cTransposed ? cs + (jb + l) * ldc + i : cs + i * ldc + jb + l;
                *dst = beta == 0.f ? alpha * src[l] : alpha * src[l] + beta * *dst;
            }
        }
    }
    cw_bf16_end(kernel);
}

#endif
