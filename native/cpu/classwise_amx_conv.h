// Stride-1 convolution with AMX tiles, computed directly from the image: no unrolled receptive fields.
//
// y[n, k, p, q] = Σ_{r, s} Σ_c W[k, c, r, s] · x[n, c, p + r − pad, q + s − pad] is, for each kernel offset
// (r, s), a product of the image shifted by (r, s) (pixels × C) with W[:, :, r, s]ᵀ (C × K). With the
// zero-bordered image stored channels-last in blocks of 32 channels — 64 bytes of bf16 per pixel — an AMX A
// tile (16 pixels × 32 channels) at offset (r, s) is 1 KiB of consecutive, aligned memory: the R·S-fold
// copies an implicit GEMM packs (classwise_bf16.h; 57 % of its time on the Madry CNN's conv2) are never
// made, and the sums stay in tile registers across every offset and channel block.
//
// A pixel tile is 16 consecutive pixels of an output row (row tiles), or 16 consecutive "virtual pixels" along the
// padded width (j = p·Wp + q, q < Wp; wrapped tiles), whichever needs fewer tiles. Small maps waste lanes either
// way (a 4 × 4 image fills half of its two wrapped tiles, an 8 × 8 one 4/5 of five), so there the image is stored
// S times, copy s shifted left by s columns and cut to the output width Q (shifted tiles): at offset (r, s), the
// 16 output pixels j = p·Q + q ∈ [j0, j0 + 16) read copy s at j + r·Q, consecutive again, every lane a real
// pixel. Lanes past a row, or past the image, read the border or the next image and are never stored. Two pixel tiles and 32 output channels at a time: the four fp32 accumulator tiles of
// cw_bf16_ukr_amx, the tiles in groups that stay in L2 while the weights pass over them. Results
// differ from the implicit GEMM's only in the order of the fp32 sums (Bf16KernelsTest bounds it).
#ifndef CLASSWISE_AMX_CONV_H
#define CLASSWISE_AMX_CONV_H

#include "classwise_bf16.h"

// How an image's output pixels are cut into 16-lane tiles (see above)
enum { CW_AMX_ROW_TILES = 0, CW_AMX_WRAPPED_TILES = 1, CW_AMX_SHIFTED_TILES = 2 };

// An image's pixel tiles in each layout, indexed by CW_AMX_*_TILES
static inline void cw_amx_conv_tile_counts(int64_t h, int64_t w, int64_t r, int64_t s, int64_t pad, int64_t counts[3]) {
    const int64_t P = h + 2 * pad - r + 1, Q = w + 2 * pad - s + 1, wp = w + 2 * pad;
    counts[CW_AMX_ROW_TILES] = P * ((Q + 15) / 16);
    counts[CW_AMX_WRAPPED_TILES] = (P * wp + 15) / 16;
    counts[CW_AMX_SHIFTED_TILES] = (P * Q + 15) / 16;
}

static inline int cw_amx_conv_layout(int64_t h, int64_t w, int64_t r, int64_t s, int64_t pad) {
    int64_t counts[3];
    cw_amx_conv_tile_counts(h, w, r, s, pad, counts);
    const int best = counts[CW_AMX_ROW_TILES] <= counts[CW_AMX_WRAPPED_TILES] ? CW_AMX_ROW_TILES : CW_AMX_WRAPPED_TILES;
    // S copies cost S times the packing and L2: worth it where they save at least a fifth of the tiles
    return 5 * counts[CW_AMX_SHIFTED_TILES] <= 4 * counts[best] ? CW_AMX_SHIFTED_TILES : best;
}

// Pixel tiles of one output image
static inline int64_t cw_amx_conv_image_tiles(int64_t h, int64_t w, int64_t r, int64_t s, int64_t pad) {
    int64_t counts[3];
    cw_amx_conv_tile_counts(h, w, r, s, pad, counts);
    return counts[cw_amx_conv_layout(h, w, r, s, pad)];
}

// Number of pixel tiles of the batch (threads split [0, tiles) at even indices)
static inline int64_t cw_amx_conv_tiles(int64_t n, int64_t h, int64_t w, int64_t r, int64_t s, int64_t pad) {
    return n * cw_amx_conv_image_tiles(h, w, r, s, pad);
}

// Where the packed image's pixels lie, in bf16 elements: (N, C/32, Hp, Wp, 32) for row and wrapped tiles,
// (N, C/32, S, Hp, Q, 32) for shifted ones; a tile's A operand at kernel offset (r, s) and channel block cb is
// image + cb·block + r·row + s·column from its first pixel.
typedef struct { int64_t image, block, row, column, width; } cw_amx_conv_strides;

static inline cw_amx_conv_strides cw_amx_conv_strides_of(int64_t c, int64_t h, int64_t w, int64_t r, int64_t s, int64_t pad) {
    const int64_t cbs = cw_bf16_round32(c) / 32, hp = h + 2 * pad, wp = w + 2 * pad, Q = wp - s + 1;
    cw_amx_conv_strides st;
    if (cw_amx_conv_layout(h, w, r, s, pad) == CW_AMX_SHIFTED_TILES) {
        st.width = Q; st.row = Q * 32; st.column = hp * Q * 32; st.block = s * st.column;
    } else {
        st.width = wp; st.row = wp * 32; st.column = 32; st.block = hp * wp * 32;
    }
    st.image = cbs * st.block;
    return st;
}

// bf16 elements of the packed image (cw_amx_conv_strides), with slack for the lanes of the last tile that read
// past the last image (up to 16 pixels + R − 1 rows + S − 1 further)
static inline int64_t cw_amx_conv_input_elems(int64_t n, int64_t c, int64_t h, int64_t w, int64_t r, int64_t s, int64_t pad) {
    return n * cw_amx_conv_strides_of(c, h, w, r, s, pad).image + (16 + r * (w + 2 * pad) + 32) * 32;
}

// bf16 elements of the weights: per offset (r, s), channel block and 16 output channels, a (16 pairs × 16) B tile
static inline int64_t cw_amx_conv_weight_elems(int64_t k, int64_t c, int64_t r, int64_t s) {
    return r * s * cw_bf16_round32(k) * cw_bf16_round32(c);
}

#if CW_VECTOR
// wv[rs][cb][kb][pair][kk][e] = bf16(w[kb·16 + kk, cb·32 + 2·pair + e, r, s]), zero past K and C, for the pairs
// (channel block cb, block of 16 output channels kb) numbered cb·⌈K/16⌉ + kb in [u0, u1) (threads split them): per
// output channel, then per kernel offset — the 32 channels' R·S weights stay in L1 across the offsets — the 32
// weights gathered, rounded into 16 pairs, and scattered to their rows of the B tile. turned: the weights of the
// input gradient's convolution, w[k, c, r, s] = wf[c, k, R − 1 − r, S − 1 − s] with wf (C, K, R, S) the layer's
// own, gathered from wf as they are (no turned copy is made).
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void cw_amx_conv_pack_weights(int64_t w, int64_t wv, int64_t k, int64_t c, int64_t r, int64_t s, int64_t turned,
                                     int64_t u0, int64_t u1) {
    const float* ws = CW_F(w);
    uint32_t* out = (uint32_t*) (intptr_t) wv;
    const int64_t cbs = cw_bf16_round32(c) / 32, kbs = cw_bf16_round32(k) / 16, taps = r * s;
    // where w[ko, ci, rs] lies: ko·outStride + ci·inStride + tap(rs)
    const int64_t inStride = turned ? k * taps : taps, outStride = turned ? taps : c * taps;
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i stride = _mm512_mullo_epi32(lane, _mm512_set1_epi32((int) inStride));  // channel i at i·inStride
    const __m512i rows = _mm512_slli_epi32(lane, 4);                                       // pair i is B-tile row i: 16 words apart
    for (int64_t u = u0; u < u1; u++) {
        const int64_t cb = u / kbs, kb = u % kbs;
        const __mmask16 lo = cw_lanes(c - cb * 32), hi = cw_lanes(c - cb * 32 - 16);
        for (int64_t kk = 0; kk < 16; kk++)
            for (int64_t rs = 0; rs < taps; rs++) {
                const int64_t ko = kb * 16 + kk, tap = turned ? taps - 1 - rs : rs;
                uint32_t* tile = out + (((rs * cbs + cb) * kbs + kb) * 16) * 16 + kk;
                __m512i pairs = _mm512_setzero_si512();
                if (ko < k) {
                    const float* base = ws + ko * outStride + cb * 32 * inStride + tap;
                    const __m512 even = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), lo, stride, base, 4);
                    const __m512 odd = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), hi, stride, base + 16 * inStride, 4);
                    // channels 0–15 and 16–31 in order; pair p = channels (2p, 2p + 1)
                    pairs = (__m512i) _mm512_cvtne2ps_pbh(odd, even);
                }
                _mm512_i32scatter_epi32((int*) tile, rows, pairs, 4);
            }
    }
}

// One zero-bordered row of image img, channel block cb, as (Wp, 32) bf16 at line (row −pad … H + pad − 1; rows in
// the border are zeros): per 16 pixels, the 16 channel pairs rounded into one vector each (a pair's word for each
// pixel), then a 16 × 16 word transpose gives each pixel's 16 pairs — its 64 bytes, stored whole. (Scattering each
// pair's 16 words to their pixels cost twice as much.)
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static inline void cw_amx_conv_pack_row(const float* xs, uint16_t* line, int64_t img, int64_t cb, int64_t c, int64_t h, int64_t w,
                                        int64_t row, int64_t pad) {
    const int64_t wp = w + 2 * pad;
    if (row < 0 || row >= h) { memset(line, 0, (size_t) (wp * 64)); return; }
    memset(line, 0, (size_t) (pad * 64));
    memset(line + (pad + w) * 32, 0, (size_t) (pad * 64));
    float block[256] __attribute__((aligned(64)));  // (pair, pixel) words
    for (int64_t col = 0; col < w; col += 16) {
        const __mmask16 m = cw_lanes(w - col);
        for (int64_t pair = 0; pair < 16; pair++) {
            const int64_t c0 = cb * 32 + 2 * pair, c1 = c0 + 1;
            const __m512 a = c0 < c ? _mm512_maskz_loadu_ps(m, xs + ((img * c + c0) * h + row) * w + col) : _mm512_setzero_ps();
            const __m512 b = c1 < c ? _mm512_maskz_loadu_ps(m, xs + ((img * c + c1) * h + row) * w + col) : _mm512_setzero_ps();
            _mm512_store_si512(block + 16 * pair, cw_bf16_pairs16(a, b));
        }
        __m512 pixels[16];
        cw_transpose16(block, pixels);
        uint16_t* dst = line + (pad + col) * 32;
        for (int64_t l = 0; l < 16 && col + l < w; l++) _mm512_storeu_ps((float*) (dst + l * 32), pixels[l]);
    }
}

// xv = x (N, C, H, W) in the layout of cw_amx_conv_strides_of, for images [n0, n1): rows packed in place, or, for
// shifted tiles, once into a line and copied S times (copy s: the line from column s, Q pixels).
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void cw_amx_conv_pack_input(int64_t x, int64_t xv, int64_t n0, int64_t n1, int64_t c, int64_t h, int64_t w, int64_t r,
                                   int64_t s, int64_t pad) {
    const float* xs = CW_F(x);
    uint16_t* out = (uint16_t*) (intptr_t) xv;
    const int64_t cbs = cw_bf16_round32(c) / 32, hp = h + 2 * pad, wp = w + 2 * pad;
    const cw_amx_conv_strides st = cw_amx_conv_strides_of(c, h, w, r, s, pad);
    const int shifted = cw_amx_conv_layout(h, w, r, s, pad) == CW_AMX_SHIFTED_TILES;
    uint16_t* line = shifted ? (uint16_t*) malloc((size_t) (wp * 64)) : 0;
    for (int64_t img = n0; img < n1; img++)
        for (int64_t cb = 0; cb < cbs; cb++) {
            uint16_t* block = out + img * st.image + cb * st.block;
            for (int64_t row = 0; row < hp; row++) {
                if (!shifted) { cw_amx_conv_pack_row(xs, block + row * st.row, img, cb, c, h, w, row - pad, pad); continue; }
                cw_amx_conv_pack_row(xs, line, img, cb, c, h, w, row - pad, pad);
                for (int64_t ss = 0; ss < s; ss++) memcpy(block + ss * st.column + row * st.row, line + ss * 32, (size_t) (st.width * 64));
            }
        }
    free(line);
}

// Tile ti of an image: its first pixel in the packed layout (p·width + q), and where each of its 16 pixels lands
// in an output plane (p·Q + q), or −1 for lanes off the image
static inline int64_t cw_amx_conv_tile_pixels(int64_t ti, int layout, int64_t P, int64_t Q, int64_t wp, int64_t at[16]) {
    int64_t j0;
    if (layout == CW_AMX_ROW_TILES) {
        const int64_t perRow = (Q + 15) / 16, p = ti / perRow, q0 = ti % perRow * 16;
        j0 = p * wp + q0;
        for (int64_t l = 0; l < 16; l++) at[l] = q0 + l < Q ? p * Q + q0 + l : -1;
    } else if (layout == CW_AMX_WRAPPED_TILES) {
        j0 = ti * 16;
        for (int64_t l = 0; l < 16; l++) {
            const int64_t p = (j0 + l) / wp, q = (j0 + l) % wp;
            at[l] = p < P && q < Q ? p * Q + q : -1;
        }
    } else {
        j0 = ti * 16;  // the shifted copies are Q wide: a packed pixel is its output pixel
        for (int64_t l = 0; l < 16; l++) at[l] = j0 + l < P * Q ? j0 + l : -1;
    }
    return j0;
}

// The accumulator tile (16 pixels × 16 channels, row-major) into y (N, K, P, Q) + bias + residual (res: null or
// (N, K, P, Q)), the real pixels only:
// transposed in registers, then per channel one masked store where the tile's pixels are consecutive in y (row
// tiles), else a scatter (tiles along the padded width that wrap a row). Scalar stores, one value at a time,
// cost twice the tile arithmetic.
__attribute__((target("avx512f")))
static inline void cw_amx_conv_store(const float* acc, float* ys, const float* bias, const float* res, int64_t img, const int64_t at[16],
                                     int64_t k0, int64_t k, int64_t pq) {
    __mmask16 lanes = 0;
    int consecutive = 1;
    int32_t where[16];
    for (int l = 0; l < 16; l++) {
        where[l] = at[l] >= 0 ? (int32_t) at[l] : 0;
        if (at[l] >= 0) lanes |= (__mmask16) (1u << l);
        if (at[l] >= 0 && at[l] != at[0] + l) consecutive = 0;
    }
    if (at[0] < 0 || (lanes & (lanes + 1))) consecutive = 0;  // the real lanes must be 0, 1, … in order
    __m512 channel[16];
    cw_transpose16(acc, channel);
    const __m512i to = _mm512_loadu_si512(where);
    for (int64_t i = 0; i < 16 && k0 + i < k; i++) {
        __m512 v = _mm512_add_ps(channel[i], _mm512_set1_ps(bias ? bias[k0 + i] : 0.f));
        float* plane = ys + (img * k + k0 + i) * pq;
        const float* add = res ? res + (img * k + k0 + i) * pq : 0;
        if (consecutive) {
            if (add) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(lanes, add + at[0]));
            _mm512_mask_storeu_ps(plane + at[0], lanes, v);
        } else {
            if (add) v = _mm512_add_ps(v, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), lanes, to, add, 4));
            _mm512_mask_i32scatter_ps(plane, lanes, to, v, 4);
        }
    }
}

// y (+ residual, 0 = none) for the pixel tiles [t0, t1) (t0 even): xv from cw_amx_conv_pack_input, wv from
// cw_amx_conv_pack_weights
__attribute__((target("amx-tile,amx-bf16")))
static void cw_amx_conv_forward(int64_t xv, int64_t wv, int64_t bias, int64_t residual, int64_t y, int64_t c, int64_t h, int64_t w,
                                int64_t k, int64_t r, int64_t s, int64_t pad, int64_t t0, int64_t t1) {
    const uint16_t* xs = (const uint16_t*) (intptr_t) xv;
    const uint16_t* ws = (const uint16_t*) (intptr_t) wv;
    const float* bs = bias ? CW_F(bias) : 0;
    const float* res = residual ? CW_F(residual) : 0;
    const int64_t P = h + 2 * pad - r + 1, Q = w + 2 * pad - s + 1, wp = w + 2 * pad;
    const int64_t cbs = cw_bf16_round32(c) / 32, kbs = cw_bf16_round32(k) / 16, per = cw_amx_conv_image_tiles(h, w, r, s, pad);
    float acc[4][256] __attribute__((aligned(64)));
    const int layout = cw_amx_conv_layout(h, w, r, s, pad);
    const cw_amx_conv_strides st = cw_amx_conv_strides_of(c, h, w, r, s, pad);
    // Tiles in groups whose input (≈ 512 KiB) stays in L2 while every block of 32 output channels passes over
    // them: each block's weights are then read from L2 once per group, not streamed from memory per tile.
    const int64_t imageBytes = st.image * 2, groupImages = imageBytes >= (512 << 10) ? 1 : (512 << 10) / imageBytes;
    const int64_t group = (groupImages * per + 1) / 2 * 2;
    cw_amx_begin();
    for (int64_t g0 = t0; g0 < t1; g0 += group) {
        const int64_t g1 = t1 - g0 < group ? t1 : g0 + group;
        for (int64_t kb = 0; kb < kbs; kb += 2)
            for (int64_t t = g0; t < g1; t += 2) {
                const int64_t tb = t + 1 < g1 ? t + 1 : t;  // an odd last tile is computed twice, stored once
                const int64_t na = t / per, nb = tb / per;
                int64_t atA[16], atB[16];
                const int64_t ja = cw_amx_conv_tile_pixels(t % per, layout, P, Q, wp, atA);
                const int64_t jb = cw_amx_conv_tile_pixels(tb % per, layout, P, Q, wp, atB);
                const uint16_t* xa = xs + na * st.image + ja * 32;
                const uint16_t* xb = xs + nb * st.image + jb * 32;
                _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
                for (int64_t rr = 0; rr < r; rr++)
                    for (int64_t ss = 0; ss < s; ss++)
                        for (int64_t cb = 0; cb < cbs; cb++) {
                            const int64_t shift = cb * st.block + rr * st.row + ss * st.column;
                            const uint16_t* wt = ws + (((rr * s + ss) * cbs + cb) * kbs + kb) * 512;
                            _tile_loadd(4, xa + shift, 64);
                            _tile_loadd(5, xb + shift, 64);
                            _tile_loadd(6, wt, 64);
                            _tile_loadd(7, wt + 512, 64);
                            _tile_dpbf16ps(0, 4, 6);
                            _tile_dpbf16ps(1, 4, 7);
                            _tile_dpbf16ps(2, 5, 6);
                            _tile_dpbf16ps(3, 5, 7);
                        }
                _tile_stored(0, acc[0], 64); _tile_stored(1, acc[1], 64); _tile_stored(2, acc[2], 64); _tile_stored(3, acc[3], 64);
                cw_amx_conv_store(acc[0], CW_F(y), bs, res, na, atA, kb * 16, k, P * Q);
                cw_amx_conv_store(acc[1], CW_F(y), bs, res, na, atA, kb * 16 + 16, k, P * Q);
                if (tb != t) {
                    cw_amx_conv_store(acc[2], CW_F(y), bs, res, nb, atB, kb * 16, k, P * Q);
                    cw_amx_conv_store(acc[3], CW_F(y), bs, res, nb, atB, kb * 16 + 16, k, P * Q);
                }
            }
    }
    cw_amx_end();
}
#else
// Without the x86-64 kernels AMX is never chosen (Bf16Kernel): these only keep the JNI bindings whole.
static inline void cw_amx_conv_pack_weights(int64_t w, int64_t wv, int64_t k, int64_t c, int64_t r, int64_t s, int64_t turned,
                                            int64_t u0, int64_t u1) {
    (void) w; (void) wv; (void) k; (void) c; (void) r; (void) s; (void) turned; (void) u0; (void) u1;
}
static inline void cw_amx_conv_pack_input(int64_t x, int64_t xv, int64_t n0, int64_t n1, int64_t c, int64_t h, int64_t w, int64_t r,
                                          int64_t s, int64_t pad) {
    (void) x; (void) xv; (void) n0; (void) n1; (void) c; (void) h; (void) w; (void) r; (void) s; (void) pad;
}
static inline void cw_amx_conv_forward(int64_t xv, int64_t wv, int64_t bias, int64_t residual, int64_t y, int64_t c, int64_t h,
                                       int64_t w, int64_t k, int64_t r, int64_t s, int64_t pad, int64_t t0, int64_t t1) {
    (void) xv; (void) wv; (void) bias; (void) residual; (void) y; (void) c; (void) h; (void) w; (void) k; (void) r; (void) s; (void) pad;
    (void) t0; (void) t1;
}
#endif

#endif
