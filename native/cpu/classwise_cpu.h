// Hand-written CPU kernels for the memory-bound layers next to OpenBLAS's sgemm: ReLU, 2-D max
// pooling, im2col/col2im, per-channel bias, batch norm. Compiled by JavaCPP's builder (the javacpp plugin in
// pom.xml) into libjniNativeCpuKernels.so, which the jar carries; bound in
// java/io/classwise/tensor/cpu/NativeCpuKernels.java. Every function here has a plain-Java twin in
// ReferenceBackend that the tests compare it with (CpuBackendTest).
//
// Arguments are raw addresses of float arrays (direct buffers) and int64 sizes, so a call costs no
// allocation on the Java side. The callers split work over threads; these functions are single-threaded.
#ifndef CLASSWISE_CPU_H
#define CLASSWISE_CPU_H

#include <stdint.h>
#include <math.h>
#include <string.h>
#include "../include/classwise_pool_window.h"
#include "classwise_cpuid.h"

#define CW_F(a) ((float*) (intptr_t) (a))

// y[i] = max(x[i], 0) for i < n
static inline void cw_relu(int64_t x, int64_t y, int64_t n) {
    const float* __restrict__ xs = CW_F(x);
    float* __restrict__ ys = CW_F(y);
    for (int64_t i = 0; i < n; i++) ys[i] = xs[i] > 0.f ? xs[i] : 0.f;
}

// out[i] = a[i] + b[i] for i < n (residual sums; out may be a or b)
static inline void cw_add(int64_t a, int64_t b, int64_t out, int64_t n) {
    const float* as = CW_F(a);
    const float* bs = CW_F(b);
    float* os = CW_F(out);
    for (int64_t i = 0; i < n; i++) os[i] = as[i] + bs[i];
}

// dx[i] = y[i] > 0 ? dy[i] : 0 for i < n  (y: the ReLU's output)
static inline void cw_relu_backward(int64_t y, int64_t dy, int64_t dx, int64_t n) {
    const float* __restrict__ ys = CW_F(y);
    const float* __restrict__ dys = CW_F(dy);
    float* __restrict__ dxs = CW_F(dx);
    for (int64_t i = 0; i < n; i++) dxs[i] = ys[i] > 0.f ? dys[i] : 0.f;
}

// y[c, k, i] += bias[k] for c < n, k < channels, i < plane  ((N, K, P·Q) conv output)
static inline void cw_add_channel_bias(int64_t y, int64_t bias, int64_t n, int64_t channels, int64_t plane) {
    float* ys = CW_F(y);
    const float* b = CW_F(bias);
    for (int64_t c = 0; c < n; c++)
        for (int64_t k = 0; k < channels; k++) {
            float* row = ys + (c * channels + k) * plane;
            const float v = b[k];
            for (int64_t i = 0; i < plane; i++) row[i] += v;
        }
}

// cw_pool_argmax: the window argmax, shared with the CUDA kernels (../include/classwise_pool_window.h).

#if CW_VECTOR
// 2×2 stride-2 pooling, 16 windows of an output row at a time with AVX-512: the two input rows' 32 values
// split into even and odd columns (a b / c d per window), then the scalar code's comparisons lane by lane.
// _mm512_max_ps(u, v) is exactly `u > v ? u : v` (it returns v for NaN and for equal values), so the
// results are the scalar loop's bit for bit.
__attribute__((target("avx512f")))
static inline void cw_pool_load_window_row(const float* row, int64_t n, __m512* even, __m512* odd) {
    const __m512 lo = _mm512_maskz_loadu_ps(cw_lanes(2 * n), row), hi = _mm512_maskz_loadu_ps(cw_lanes(2 * n - 16), row + 16);
    const __m512i evens = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    *even = _mm512_permutex2var_ps(lo, evens, hi);
    *odd = _mm512_permutex2var_ps(lo, _mm512_add_epi32(evens, _mm512_set1_epi32(1)), hi);
}

// The 16 windows of output row p from column q (n of them real): their four values and their maximum
__attribute__((target("avx512f")))
static inline __m512 cw_pool_windows(const float* in, int64_t w, int64_t p, int64_t q, int64_t n, __m512* a, __m512* b, __m512* c,
                                     __m512* d) {
    cw_pool_load_window_row(in + 2 * p * w + 2 * q, n, a, b);
    cw_pool_load_window_row(in + (2 * p + 1) * w + 2 * q, n, c, d);
    return _mm512_max_ps(_mm512_max_ps(*a, *b), _mm512_max_ps(*c, *d));
}

__attribute__((target("avx512f")))
static void cw_max_pool_2x2_forward_avx512(const float* in, float* out, int64_t w, int64_t P, int64_t Q, float floor) {
    for (int64_t p = 0; p < P; p++)
        for (int64_t q = 0; q < Q; q += 16) {
            const int64_t n = Q - q < 16 ? Q - q : 16;
            __m512 a, b, c, d;
            const __m512 m = cw_pool_windows(in, w, p, q, n, &a, &b, &c, &d);
            _mm512_mask_storeu_ps(out + p * Q + q, cw_lanes(n), _mm512_max_ps(m, _mm512_set1_ps(floor)));
        }
}

__attribute__((target("avx512f")))
static void cw_max_pool_2x2_backward_avx512(const float* in, const float* g, float* out, int64_t w, int64_t P, int64_t Q, int relu) {
    const __m512i first = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i second = _mm512_add_epi32(first, _mm512_set1_epi32(8));
    for (int64_t p = 0; p < P; p++)
        for (int64_t q = 0; q < Q; q += 16) {
            const int64_t n = Q - q < 16 ? Q - q : 16;
            __m512 a, b, c, d;
            const __m512 m = cw_pool_windows(in, w, p, q, n, &a, &b, &c, &d);
            const __mmask16 ia = _mm512_cmp_ps_mask(a, m, _CMP_EQ_OQ);
            const __mmask16 ib = _mm512_cmp_ps_mask(b, m, _CMP_EQ_OQ) & ~ia;
            const __mmask16 ic = _mm512_cmp_ps_mask(c, m, _CMP_EQ_OQ) & ~(ia | ib);
            const __mmask16 id = ~(ia | ib | ic);
            const __mmask16 pass = relu ? _mm512_cmp_ps_mask(m, _mm512_setzero_ps(), _CMP_GT_OQ) : (__mmask16) 0xffff;
            const __m512 v = _mm512_maskz_loadu_ps(cw_lanes(n), g + p * Q + q);
            const __m512 v0 = _mm512_maskz_mov_ps(ia & pass, v), v1 = _mm512_maskz_mov_ps(ib & pass, v);
            const __m512 v2 = _mm512_maskz_mov_ps(ic & pass, v), v3 = _mm512_maskz_mov_ps(id & pass, v);
            float* o0 = out + 2 * p * w + 2 * q;
            float* o1 = o0 + w;
            _mm512_mask_storeu_ps(o0, cw_lanes(2 * n), _mm512_permutex2var_ps(v0, first, v1));
            _mm512_mask_storeu_ps(o0 + 16, cw_lanes(2 * n - 16), _mm512_permutex2var_ps(v0, second, v1));
            _mm512_mask_storeu_ps(o1, cw_lanes(2 * n), _mm512_permutex2var_ps(v2, first, v3));
            _mm512_mask_storeu_ps(o1 + 16, cw_lanes(2 * n - 16), _mm512_permutex2var_ps(v2, second, v3));
        }
}
#endif

// y (planes, P, Q) = window maxima of x (planes, H, W); relu != 0: max(that, 0) (ReLU fused in front)
static inline void cw_max_pool_forward(int64_t x, int64_t y, int64_t planes, int64_t h, int64_t w,
                                       int64_t kernel, int64_t stride, int64_t pad, int32_t relu) {
    const float floor = relu ? 0.f : -__builtin_inff();
    const float* xs = CW_F(x);
    float* ys = CW_F(y);
    const int64_t P = (h + 2 * pad - kernel) / stride + 1, Q = (w + 2 * pad - kernel) / stride + 1;
    for (int64_t c = 0; c < planes; c++) {
        const float* in = xs + c * h * w;
        float* out = ys + c * P * Q;
#if CW_VECTOR
        if (kernel == 2 && stride == 2 && pad == 0 && cw_cpu_avx512_level() >= 1) {
            cw_max_pool_2x2_forward_avx512(in, out, w, P, Q, floor);
            continue;
        }
#endif
        if (kernel == 2 && stride == 2 && pad == 0) {
            for (int64_t p = 0; p < P; p++) {
                const float* r0 = in + 2 * p * w;
                const float* r1 = r0 + w;
                for (int64_t q = 0; q < Q; q++) {
                    float a = r0[2 * q] >= r0[2 * q + 1] ? r0[2 * q] : r0[2 * q + 1];
                    float b = r1[2 * q] >= r1[2 * q + 1] ? r1[2 * q] : r1[2 * q + 1];
                    float m = a >= b ? a : b;
                    out[p * Q + q] = m > floor ? m : floor;
                }
            }
        } else {
            for (int64_t p = 0; p < P; p++)
                for (int64_t q = 0; q < Q; q++) {
                    float m = in[cw_pool_argmax(in, h, w, kernel, stride, pad, p, q)];
                    out[p * Q + q] = m > floor ? m : floor;
                }
        }
    }
}

// dx (planes, H, W) = dy (planes, P, Q) routed to each window's first maximum of x; zero elsewhere.
// relu != 0: windows whose maximum is <= 0 pass nothing (the gradient of ReLU-then-max-pool).
static inline void cw_max_pool_backward(int64_t x, int64_t dy, int64_t dx, int64_t planes, int64_t h, int64_t w,
                                        int64_t kernel, int64_t stride, int64_t pad, int32_t relu) {
    const float* xs = CW_F(x);
    const float* dys = CW_F(dy);
    float* dxs = CW_F(dx);
    const int64_t P = (h + 2 * pad - kernel) / stride + 1, Q = (w + 2 * pad - kernel) / stride + 1;
    const int two = kernel == 2 && stride == 2 && pad == 0;
#if CW_VECTOR
    const int vector = cw_cpu_avx512_level() >= 1;
#endif
    // 2×2 windows tile the plane: each is written whole (gradient at its maximum, zeros beside it),
    // so only a leftover odd last row/column needs clearing; other geometries accumulate into zeros.
    if (!two) memset(dxs, 0, (size_t) (planes * h * w) * sizeof(float));
    for (int64_t c = 0; c < planes; c++) {
        const float* in = xs + c * h * w;
        const float* g = dys + c * P * Q;
        float* out = dxs + c * h * w;
#if CW_VECTOR
        if (two && vector) {
            cw_max_pool_2x2_backward_avx512(in, g, out, w, P, Q, relu);
            for (int64_t p = 0; w % 2 && p < P; p++) out[2 * p * w + w - 1] = out[(2 * p + 1) * w + w - 1] = 0.f;
            if (h % 2) memset(out + (h - 1) * w, 0, (size_t) w * sizeof(float));
            continue;
        }
#endif
        if (two) {
            for (int64_t p = 0; p < P; p++) {
                const float* r0 = in + 2 * p * w;
                const float* r1 = r0 + w;
                float* o0 = out + 2 * p * w;
                float* o1 = o0 + w;
                for (int64_t q = 0; q < Q; q++) {
                    // Branch-free: the comparisons are unpredictable, and gcc turned ternaries here into
                    // jumps that cost more than the memory traffic. The first maximum in window order wins.
                    const int64_t j = 2 * q;
                    const float a = r0[j], b = r0[j + 1], c2 = r1[j], d = r1[j + 1];
                    const float mab = a > b ? a : b, mcd = c2 > d ? c2 : d, m = mab > mcd ? mab : mcd;
                    const uint32_t ia = a == m, ib = (b == m) & !ia, ic = (c2 == m) & !(ia | ib), id = !(ia | ib | ic);
                    uint32_t v;
                    memcpy(&v, g + p * Q + q, sizeof v);
                    v &= -(uint32_t) (!relu | (m > 0.f));
                    const uint32_t v0 = v & -ia, v1 = v & -ib, v2 = v & -ic, v3 = v & -id;
                    memcpy(o0 + j, &v0, sizeof v0);
                    memcpy(o0 + j + 1, &v1, sizeof v1);
                    memcpy(o1 + j, &v2, sizeof v2);
                    memcpy(o1 + j + 1, &v3, sizeof v3);
                }
                if (w % 2) { o0[w - 1] = 0.f; o1[w - 1] = 0.f; }
            }
            if (h % 2) memset(out + (h - 1) * w, 0, (size_t) w * sizeof(float));
        } else {
            for (int64_t p = 0; p < P; p++)
                for (int64_t q = 0; q < Q; q++) {
                    int64_t arg = cw_pool_argmax(in, h, w, kernel, stride, pad, p, q);
                    if (!relu || in[arg] > 0.f) out[arg] += g[p * Q + q];
                }
        }
    }
}

// cols (C·R·S, P·Q), rows ld floats apart (ld ≥ P·Q) = the receptive fields of one image x (C, H, W); zero where the
// window is in the padding. ld > P·Q places several images' columns side by side (grouped weight gradients).
static inline void cw_im2col_strided(int64_t x, int64_t cols, int64_t ld, int64_t c, int64_t h, int64_t w, int64_t r, int64_t s,
                                     int64_t stride, int64_t pad) {
    const float* xs = CW_F(x);
    float* out = CW_F(cols);
    const int64_t P = (h + 2 * pad - r) / stride + 1, Q = (w + 2 * pad - s) / stride + 1;
    for (int64_t ch = 0; ch < c; ch++)
        for (int64_t i = 0; i < r; i++)
            for (int64_t j = 0; j < s; j++) {
                float* row = out + ((ch * r + i) * s + j) * ld;
                for (int64_t p = 0; p < P; p++) {
                    const int64_t ih = p * stride - pad + i;
                    float* dst = row + p * Q;
                    if (ih < 0 || ih >= h) { for (int64_t q = 0; q < Q; q++) dst[q] = 0.f; continue; }
                    const float* src = xs + (ch * h + ih) * w;
                    if (stride == 1) {
                        // valid q: 0 <= q - pad + j < w
                        int64_t q0 = pad - j > 0 ? pad - j : 0, q1 = w + pad - j < Q ? w + pad - j : Q;
                        if (q1 < q0) q1 = q0;
                        // Plain loops, not memcpy: rows are short (Q = 7..32) and a call per row cost
                        // more than the copy.
                        const float* shifted = src - pad + j;
                        for (int64_t q = 0; q < q0; q++) dst[q] = 0.f;
                        for (int64_t q = q0; q < q1; q++) dst[q] = shifted[q];
                        for (int64_t q = q1; q < Q; q++) dst[q] = 0.f;
                    } else {
                        for (int64_t q = 0; q < Q; q++) {
                            const int64_t iw = q * stride - pad + j;
                            dst[q] = iw >= 0 && iw < w ? src[iw] : 0.f;
                        }
                    }
                }
            }
}

static inline void cw_im2col(int64_t x, int64_t cols, int64_t c, int64_t h, int64_t w, int64_t r, int64_t s, int64_t stride, int64_t pad) {
    cw_im2col_strided(x, cols, ((h + 2 * pad - r) / stride + 1) * ((w + 2 * pad - s) / stride + 1), c, h, w, r, s, stride, pad);
}

// A 1×1 convolution with stride > 1 and no padding reads every stride-th pixel: sub (N, C, P, Q) = those pixels of
// x (N, C, H, W), for images [n0, n1); the convolution is then a stride-1 one on sub.
static inline void cw_conv_subsample(int64_t x, int64_t sub, int64_t n0, int64_t n1, int64_t c, int64_t h, int64_t w, int64_t stride,
                                     int64_t P, int64_t Q) {
    const float* in = CW_F(x);
    float* out = CW_F(sub);
    for (int64_t plane = n0 * c; plane < n1 * c; plane++)
        for (int64_t p = 0; p < P; p++) {
            const float* row = in + (plane * h + p * stride) * w;
            float* o = out + (plane * P + p) * Q;
            for (int64_t q = 0; q < Q; q++) o[q] = row[q * stride];
        }
}

// dst (K, n·PQ) = the images of src (n, K, PQ) side by side: row k holds image 0's channel k, then image 1's, …
static inline void cw_side_by_side(int64_t src, int64_t dst, int64_t n, int64_t k, int64_t pq) {
    const float* in = CW_F(src);
    float* out = CW_F(dst);
    for (int64_t kk = 0; kk < k; kk++)
        for (int64_t j = 0; j < n; j++) memcpy(out + (kk * n + j) * pq, in + (j * k + kk) * pq, (size_t) pq * sizeof(float));
}

#if CW_VECTOR
// dst[2q + o] += src[q] for q ∈ [0, Q) where 0 ≤ 2q + o < w: a stride-2 row of col2im, 8 columns a step, spread over
// 16 lanes by an expand (odd lanes add 0). The same additions in the same order as the scalar loop.
__attribute__((target("avx512f")))
static void cw_col2im_row_stride2_avx512(float* dst, const float* src, int64_t Q, int64_t w, int64_t o) {
    for (int64_t q0 = 0; q0 < Q; q0 += 8) {
        const int64_t base = 2 * q0 + o;  // dst index of lane 0
        const int64_t lo = base < 0 ? -base : 0, hi = w - base < 16 ? w - base : 16;
        if (hi <= lo) continue;
        const __mmask16 lanes = (__mmask16) (((1u << hi) - 1) & ~((1u << lo) - 1));
        const __m512 spread = _mm512_maskz_expand_ps(0x5555, _mm512_maskz_loadu_ps((__mmask16) (cw_lanes(Q - q0) & 0xFF), src + q0));
        float* d = dst + base;  // lanes below lo (before the row) are never touched
        _mm512_mask_storeu_ps(d, lanes, _mm512_add_ps(_mm512_maskz_loadu_ps(lanes, d), spread));
    }
}
#endif

// x (C, H, W) = the sum of cols (C·R·S, P·Q), rows ld floats apart (ld ≥ P·Q: one image's columns among a group's),
// back over the receptive fields (overwrites x)
static inline void cw_col2im_strided(int64_t cols, int64_t ld, int64_t x, int64_t c, int64_t h, int64_t w, int64_t r, int64_t s,
                                     int64_t stride, int64_t pad) {
    const float* in = CW_F(cols);
    float* xs = CW_F(x);
    const int64_t P = (h + 2 * pad - r) / stride + 1, Q = (w + 2 * pad - s) / stride + 1;
    const int vector = cw_cpu_avx512_level() >= 1;
    (void) vector;
    memset(xs, 0, (size_t) (c * h * w) * sizeof(float));
    for (int64_t ch = 0; ch < c; ch++)
        for (int64_t i = 0; i < r; i++)
            for (int64_t j = 0; j < s; j++) {
                const float* row = in + ((ch * r + i) * s + j) * ld;
                for (int64_t p = 0; p < P; p++) {
                    const int64_t ih = p * stride - pad + i;
                    if (ih < 0 || ih >= h) continue;
                    float* dst = xs + (ch * h + ih) * w;
                    const float* src = row + p * Q;
                    if (stride == 1) {
                        int64_t q0 = pad - j > 0 ? pad - j : 0, q1 = w + pad - j < Q ? w + pad - j : Q;
                        for (int64_t q = q0; q < q1; q++) dst[q - pad + j] += src[q];
                    } else {
#if CW_VECTOR
                        if (stride == 2 && vector) { cw_col2im_row_stride2_avx512(dst, src, Q, w, j - pad); continue; }
#endif
                        for (int64_t q = 0; q < Q; q++) {
                            const int64_t iw = q * stride - pad + j;
                            if (iw >= 0 && iw < w) dst[iw] += src[q];
                        }
                    }
                }
            }
}

static inline void cw_col2im(int64_t cols, int64_t x, int64_t c, int64_t h, int64_t w, int64_t r, int64_t s, int64_t stride, int64_t pad) {
    cw_col2im_strided(cols, ((h + 2 * pad - r) / stride + 1) * ((w + 2 * pad - s) / stride + 1), x, c, h, w, r, s, stride, pad);
}

// The fused ℓ∞ attack update: x′ = clamp(clip(x′ + step·sign(∇), x ± ε), 0, 1), sign(0) = 0
static inline void cw_linf_pgd_step(int64_t xAdv, int64_t grad, int64_t xNat, float step, float eps, int64_t n) {
    float* a = CW_F(xAdv);
    const float* g = CW_F(grad);
    const float* x0 = CW_F(xNat);
    for (int64_t i = 0; i < n; i++) {
        const float s = g[i] > 0.f ? 1.f : (g[i] < 0.f ? -1.f : 0.f);
        float v = a[i] + step * s;
        const float lo = x0[i] - eps, hi = x0[i] + eps;
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
        v = v < 0.f ? 0.f : v;
        a[i] = v > 1.f ? 1.f : v;
    }
}

// ---- batch norm over x (N, C, HW), channels [c0, c1) (callers split channels over threads).
// Sums in double, as ReferenceBackend, so both agree to float rounding.

// Rows of one channel's plane, for batch norm: plain loops, and AVX-512 twins that keep 16 fp32 partial sums
// per row (each row's total then goes into the channel's double sum) and run branch-free (a ReLU mask as a
// compare, not a jump: its outcome is unpredictable). The vector sums group the additions differently, so
// the two agree to fp32 rounding, not bit for bit.
typedef struct { double sum, sumXhat; } cw_bn_sums;

static inline double cw_bn_row_sum(const float* row, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += row[i];
    return s;
}

static inline double cw_bn_row_square_deviation(const float* row, int64_t n, double mean) {
    double v = 0;
    for (int64_t i = 0; i < n; i++) { const double e = row[i] - mean; v += e * e; }
    return v;
}

// The batch norm's output before its ReLU, (x − mean)·scale + shift: one expression for the forward pass and for
// the backward pass's replay of it (cw_bn_relu_mask), so that both give the same bits
static inline float cw_bn_affine(float x, double mean, double scale, double shift) { return (float) ((x - mean) * scale + shift); }

// out = (row − mean)·k + bt, max(·, 0) when relu
static inline void cw_bn_row_affine(const float* row, float* out, int64_t n, double mean, double k, double bt, int relu) {
    if (relu) for (int64_t i = 0; i < n; i++) { const float v = cw_bn_affine(row[i], mean, k, bt); out[i] = v > 0.f ? v : 0.f; }
    else for (int64_t i = 0; i < n; i++) out[i] = cw_bn_affine(row[i], mean, k, bt);
}

// The ReLU after a batch norm, for its backward pass: where the forward's output was 0, recomputed from x in the
// forward's own arithmetic (cw_bn_affine, or its vector twin, with the same mean, scale and shift: the same operations
// on the same operands give the same bits), so that the backward pass reads x and dy but not the forward's output.
typedef struct { int on; double scale, shift; } cw_bn_relu_mask;

static inline cw_bn_relu_mask cw_bn_mask(int on, double scale, double shift) {
    cw_bn_relu_mask r;
    r.on = on; r.scale = scale; r.shift = shift;
    return r;
}

// Σ g and Σ g·x̂ over a row, g = dy where the ReLU passed (all of dy when relu.on is 0)
static inline cw_bn_sums cw_bn_row_grad_sums(const float* row, const float* g, cw_bn_relu_mask relu, int64_t n, double mean,
                                             double invStd) {
    cw_bn_sums r = { 0, 0 };
    for (int64_t i = 0; i < n; i++) {
        const float gi = !relu.on || cw_bn_affine(row[i], mean, relu.scale, relu.shift) > 0.f ? g[i] : 0.f;
        r.sum += gi;
        r.sumXhat += gi * ((row[i] - mean) * invStd);
    }
    return r;
}

// out = k·(g − a − x̂·b) (+ plus, when not null), g masked as above
static inline void cw_bn_row_grad(const float* row, const float* g, cw_bn_relu_mask relu, const float* plus, float* out, int64_t n,
                                  double mean, double invStd, double k, double a, double b) {
    for (int64_t i = 0; i < n; i++) {
        const float gi = !relu.on || cw_bn_affine(row[i], mean, relu.scale, relu.shift) > 0.f ? g[i] : 0.f;
        const float v = (float) (k * (gi - a - (row[i] - mean) * invStd * b));
        out[i] = plus ? v + plus[i] : v;
    }
}

#if CW_VECTOR
__attribute__((target("avx512f")))
static double cw_bn_row_sum_avx512(const float* row, int64_t n) {
    __m512 acc = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(cw_lanes(n - i), row + i));
    return (double) _mm512_reduce_add_ps(acc);
}

__attribute__((target("avx512f")))
static double cw_bn_row_square_deviation_avx512(const float* row, int64_t n, double mean) {
    const __m512 mu = _mm512_set1_ps((float) mean);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = cw_lanes(n - i);
        const __m512 e = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, row + i), mu);
        acc = _mm512_fmadd_ps(e, e, acc);
    }
    return (double) _mm512_reduce_add_ps(acc);
}

// cw_bn_affine for 16 lanes, xc = x − mean (fp32 operands: the vector rows round mean, scale and shift to float)
__attribute__((target("avx512f")))
static inline __m512 cw_bn_affine_avx512(__m512 xc, double scale, double shift) {
    return _mm512_fmadd_ps(xc, _mm512_set1_ps((float) scale), _mm512_set1_ps((float) shift));
}

__attribute__((target("avx512f")))
static void cw_bn_row_affine_avx512(const float* row, float* out, int64_t n, double mean, double k, double bt, int relu) {
    const __m512 mu = _mm512_set1_ps((float) mean);
    const __m512 floor = _mm512_set1_ps(relu ? 0.f : -__builtin_inff());
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = cw_lanes(n - i);
        const __m512 v = cw_bn_affine_avx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, row + i), mu), k, bt);
        _mm512_mask_storeu_ps(out + i, m, _mm512_max_ps(v, floor));
    }
}

// dy's lanes where the ReLU passed: cw_bn_affine_avx512(xc) > 0, xc = x − mean
__attribute__((target("avx512f")))
static inline __m512 cw_bn_masked_grad(const float* g, __m512 xc, cw_bn_relu_mask relu, int64_t i, __mmask16 m) {
    const __m512 gv = _mm512_maskz_loadu_ps(m, g + i);
    if (!relu.on) return gv;
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(cw_bn_affine_avx512(xc, relu.scale, relu.shift), _mm512_setzero_ps(), _CMP_GT_OQ), gv);
}

__attribute__((target("avx512f")))
static cw_bn_sums cw_bn_row_grad_sums_avx512(const float* row, const float* g, cw_bn_relu_mask relu, int64_t n, double mean,
                                             double invStd) {
    const __m512 mu = _mm512_set1_ps((float) mean), is = _mm512_set1_ps((float) invStd);
    __m512 s = _mm512_setzero_ps(), sx = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = cw_lanes(n - i);
        const __m512 xc = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, row + i), mu);
        const __m512 gi = cw_bn_masked_grad(g, xc, relu, i, m);
        const __m512 xhat = _mm512_mul_ps(xc, is);
        s = _mm512_add_ps(s, gi);
        sx = _mm512_fmadd_ps(gi, xhat, sx);
    }
    cw_bn_sums r = { (double) _mm512_reduce_add_ps(s), (double) _mm512_reduce_add_ps(sx) };
    return r;
}

__attribute__((target("avx512f")))
static void cw_bn_row_grad_avx512(const float* row, const float* g, cw_bn_relu_mask relu, const float* plus, float* out, int64_t n,
                                  double mean, double invStd, double k, double a, double b) {
    const __m512 mu = _mm512_set1_ps((float) mean), is = _mm512_set1_ps((float) invStd), kv = _mm512_set1_ps((float) k);
    const __m512 av = _mm512_set1_ps((float) a), bv = _mm512_set1_ps((float) b);
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = cw_lanes(n - i);
        const __m512 xc = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, row + i), mu);
        const __m512 gi = cw_bn_masked_grad(g, xc, relu, i, m);
        const __m512 xhat = _mm512_mul_ps(xc, is);
        __m512 v = _mm512_mul_ps(kv, _mm512_sub_ps(_mm512_sub_ps(gi, av), _mm512_mul_ps(xhat, bv)));
        if (plus) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, plus + i));
        _mm512_mask_storeu_ps(out + i, m, v);
    }
}
#define CW_BN_ROW(vector, name, ...) ((vector) ? name##_avx512(__VA_ARGS__) : name(__VA_ARGS__))
#else
#define CW_BN_ROW(vector, name, ...) name(__VA_ARGS__)
#endif

// Training mode: y = (x − batch mean)·γ/√(batch var + ε) + β per channel, channels [c0, c1) of (N, C, HW);
// saves the mean and 1/std for the backward pass and updates the running statistics (unbiased variance).
// relu != 0: y = max(that, 0), the ReLU that follows the batch norm fused into its last pass.
// Memory is read in its order — per image, the thread's channels one after another — not channel by channel:
// a channel's rows lie C·HW floats apart, a page or more for small maps, which defeats the prefetchers and
// made the pass latency-bound. Each row's mean and squared deviations come from two passes over the row while
// it sits in L1, and rows combine as partial sums of squares do (Chan et al.): x is read twice from memory
// (statistics, output), not three times.
static inline void cw_bn_relu_train_forward(int64_t x, int64_t gamma, int64_t beta, int64_t runMean, int64_t runVar, float momentum,
                                            float eps, int64_t y, int64_t saveMean, int64_t saveInvStd, int64_t n, int64_t c,
                                            int64_t hw, int64_t c0, int64_t c1, int32_t relu) {
    const float* xs = CW_F(x);
    float* ys = CW_F(y);
    const double m = (double) n * hw;
    const int vector = cw_cpu_avx512_level() >= 1;
    (void) vector;
    // per channel: the running mean and sum of squared deviations, then the output's mean, scale and shift
    typedef struct { double mean, m2, scale, shift; } cw_bn_channel;
    cw_bn_channel* stats = (cw_bn_channel*) malloc((size_t) (c1 - c0) * sizeof(cw_bn_channel));
    for (int64_t b = 0; b < n; b++)
        for (int64_t ch = c0; ch < c1; ch++) {
            const float* row = xs + (b * c + ch) * hw;
            cw_bn_channel* st = stats + (ch - c0);
            const double rowMean = CW_BN_ROW(vector, cw_bn_row_sum, row, hw) / hw;
            const double rowM2 = CW_BN_ROW(vector, cw_bn_row_square_deviation, row, hw, rowMean);
            if (b == 0) { st->mean = rowMean; st->m2 = rowM2; continue; }
            // b rows so far, then one more: both hw long
            const double delta = rowMean - st->mean;
            st->mean += delta / (b + 1);
            st->m2 += rowM2 + delta * delta * hw * b / (b + 1);
        }
    for (int64_t ch = c0; ch < c1; ch++) {
        cw_bn_channel* st = stats + (ch - c0);
        const double mean = st->mean, var = st->m2 / m, invStd = 1.0 / sqrt(var + eps);
        // the output from the saved (float) statistics, so that the backward pass can recompute the ReLU's mask exactly
        const float meanF = (float) mean, invStdF = (float) invStd;
        st->mean = meanF;
        st->scale = (double) invStdF * CW_F(gamma)[ch];
        st->shift = CW_F(beta)[ch];
        CW_F(saveMean)[ch] = meanF;
        CW_F(saveInvStd)[ch] = invStdF;
        const double unbiased = m > 1 ? var * m / (m - 1) : var;
        CW_F(runMean)[ch] = (float) ((1 - momentum) * CW_F(runMean)[ch] + momentum * mean);
        CW_F(runVar)[ch] = (float) ((1 - momentum) * CW_F(runVar)[ch] + momentum * unbiased);
    }
    for (int64_t b = 0; b < n; b++)
        for (int64_t ch = c0; ch < c1; ch++) {
            const cw_bn_channel* st = stats + (ch - c0);
            CW_BN_ROW(vector, cw_bn_row_affine, xs + (b * c + ch) * hw, ys + (b * c + ch) * hw, hw, st->mean, st->scale, st->shift, relu);
        }
    free(stats);
}

static inline void cw_bn_train_forward(int64_t x, int64_t gamma, int64_t beta, int64_t runMean, int64_t runVar, float momentum,
                                       float eps, int64_t y, int64_t saveMean, int64_t saveInvStd, int64_t n, int64_t c,
                                       int64_t hw, int64_t c0, int64_t c1) {
    cw_bn_relu_train_forward(x, gamma, beta, runMean, runVar, momentum, eps, y, saveMean, saveInvStd, n, c, hw, c0, c1, 0);
}

// Training-mode backward: dx = γ·invStd·(dy − Σdy/M − x̂·Σ(dy·x̂)/M); dγ += Σ dy·x̂, dβ += Σ dy (0 = null).
// beta ≠ 0: the forward was cw_bn_relu_train_forward with this β, and dy is the ReLU's output gradient: where the
// ReLU's input was ≤ 0 it is taken as 0, that input recomputed from x, the saved statistics, γ and β exactly as the
// forward computed it (cw_bn_relu_mask) — the forward's output is never read. plus ≠ 0: dx += plus, as dx is stored
// (a residual block's identity shortcut).
static inline void cw_bn_relu_train_backward(int64_t x, int64_t beta, int64_t dy, int64_t gamma, int64_t saveMean, int64_t saveInvStd,
                                             int64_t plus, int64_t dx, int64_t dGamma, int64_t dBeta, int64_t n, int64_t c, int64_t hw,
                                             int64_t c0, int64_t c1) {
    const float* xs = CW_F(x);
    const float* ps = plus ? CW_F(plus) : 0;
    const float* dys = CW_F(dy);
    float* dxs = CW_F(dx);
    const double m = (double) n * hw;
    const int vector = cw_cpu_avx512_level() >= 1;
    (void) vector;
    // per channel: Σg and Σg·x̂, then dx's coefficients k (= γ·invStd, also the forward's scale), a and b, and the
    // forward's ReLU to replay; images outer, in memory order
    typedef struct { cw_bn_sums sums; double k, a, b; cw_bn_relu_mask relu; } cw_bn_channel_grad;
    cw_bn_channel_grad* chs = (cw_bn_channel_grad*) calloc((size_t) (c1 - c0), sizeof(cw_bn_channel_grad));
    for (int64_t ch = c0; ch < c1; ch++) {
        cw_bn_channel_grad* cg = chs + (ch - c0);
        cg->k = (double) CW_F(gamma)[ch] * CW_F(saveInvStd)[ch];
        cg->relu = cw_bn_mask(beta != 0, cg->k, beta ? (double) CW_F(beta)[ch] : 0);
    }
    for (int64_t b = 0; b < n; b++)
        for (int64_t ch = c0; ch < c1; ch++) {
            const int64_t at = (b * c + ch) * hw;
            cw_bn_channel_grad* cg = chs + (ch - c0);
            const cw_bn_sums r = CW_BN_ROW(vector, cw_bn_row_grad_sums, xs + at, dys + at, cg->relu, hw, CW_F(saveMean)[ch],
                                           CW_F(saveInvStd)[ch]);
            cg->sums.sum += r.sum;
            cg->sums.sumXhat += r.sumXhat;
        }
    for (int64_t ch = c0; ch < c1; ch++) {
        cw_bn_channel_grad* cg = chs + (ch - c0);
        cg->a = cg->sums.sum / m;
        cg->b = cg->sums.sumXhat / m;
        if (dGamma) CW_F(dGamma)[ch] += (float) cg->sums.sumXhat;
        if (dBeta) CW_F(dBeta)[ch] += (float) cg->sums.sum;
    }
    for (int64_t b = 0; b < n; b++)
        for (int64_t ch = c0; ch < c1; ch++) {
            const int64_t at = (b * c + ch) * hw;
            const cw_bn_channel_grad* cg = chs + (ch - c0);
            CW_BN_ROW(vector, cw_bn_row_grad, xs + at, dys + at, cg->relu, ps ? ps + at : 0, dxs + at, hw, CW_F(saveMean)[ch],
                      CW_F(saveInvStd)[ch], cg->k, cg->a, cg->b);
        }
    free(chs);
}

static inline void cw_bn_train_backward(int64_t x, int64_t dy, int64_t gamma, int64_t saveMean, int64_t saveInvStd, int64_t dx,
                                        int64_t dGamma, int64_t dBeta, int64_t n, int64_t c, int64_t hw, int64_t c0, int64_t c1) {
    cw_bn_relu_train_backward(x, 0, dy, gamma, saveMean, saveInvStd, 0, dx, dGamma, dBeta, n, c, hw, c0, c1);
}

// Inference mode: y = (x − running mean)·γ/√(running var + ε) + β
static inline void cw_bn_inference_forward(int64_t x, int64_t gamma, int64_t beta, int64_t runMean, int64_t runVar, float eps, int64_t y,
                                           int64_t n, int64_t c, int64_t hw, int64_t c0, int64_t c1) {
    for (int64_t ch = c0; ch < c1; ch++) {
        const double k = CW_F(gamma)[ch] / sqrt(CW_F(runVar)[ch] + (double) eps), mean = CW_F(runMean)[ch], bt = CW_F(beta)[ch];
        for (int64_t b = 0; b < n; b++) {
            const float* row = CW_F(x) + (b * c + ch) * hw;
            float* out = CW_F(y) + (b * c + ch) * hw;
            for (int64_t i = 0; i < hw; i++) out[i] = (float) ((row[i] - mean) * k + bt);
        }
    }
}

// Inference-mode backward: dx = dy·γ/√(var + ε); dγ += Σ dy·x̂, dβ += Σ dy (0 = null)
static inline void cw_bn_inference_backward(int64_t x, int64_t dy, int64_t gamma, int64_t runMean, int64_t runVar, float eps,
                                            int64_t dx, int64_t dGamma, int64_t dBeta, int64_t n, int64_t c, int64_t hw,
                                            int64_t c0, int64_t c1) {
    for (int64_t ch = c0; ch < c1; ch++) {
        const double invStd = 1.0 / sqrt(CW_F(runVar)[ch] + (double) eps), mean = CW_F(runMean)[ch];
        const double scale = invStd * CW_F(gamma)[ch];
        double sumDy = 0, sumDyXhat = 0;
        for (int64_t b = 0; b < n; b++) {
            const float* row = CW_F(x) + (b * c + ch) * hw;
            const float* grow = CW_F(dy) + (b * c + ch) * hw;
            float* out = CW_F(dx) + (b * c + ch) * hw;
            for (int64_t i = 0; i < hw; i++) {
                sumDy += grow[i];
                sumDyXhat += grow[i] * (row[i] - mean) * invStd;
                out[i] = (float) (grow[i] * scale);
            }
        }
        if (dGamma) CW_F(dGamma)[ch] += (float) sumDyXhat;
        if (dBeta) CW_F(dBeta)[ch] += (float) sumDy;
    }
}

#endif
