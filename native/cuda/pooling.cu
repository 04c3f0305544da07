// Max pooling (optionally with the ReLU in front fused in), one thread per output window. The
// first maximum in window order wins ties, as on the CPU, so gradients route identically.
#include "common.cuh"
#include "../include/classwise_pool_window.h" // cw_pool_argmax, shared with the CPU kernels

// y (planes, P, Q) = window maxima of x (planes, H, W); relu: then max(·, 0)
extern "C" __global__ void cw_max_pool_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w,
                                               int64_t kernel, int64_t stride, int64_t pad, int relu) {
    const int64_t P = (h + 2 * pad - kernel) / stride + 1, Q = (w + 2 * pad - kernel) / stride + 1;
    CW_GRID_STRIDE(i, planes * P * Q) {
        const int64_t c = i / (P * Q), pq = i % (P * Q);
        const float* in = x + c * h * w;
        const float m = in[cw_pool_argmax(in, h, w, kernel, stride, pad, pq / Q, pq % Q)];
        y[i] = relu ? fmaxf(m, 0.f) : m;
    }
}

// dx (planes, H, W) = dy routed to each window's first maximum (dx must be zeroed first; windows may
// overlap, hence the atomic add); relu: windows whose maximum is <= 0 pass nothing
extern "C" __global__ void cw_max_pool_backward(const float* x, const float* dy, float* dx, int64_t planes, int64_t h, int64_t w,
                                                int64_t kernel, int64_t stride, int64_t pad, int relu) {
    const int64_t P = (h + 2 * pad - kernel) / stride + 1, Q = (w + 2 * pad - kernel) / stride + 1;
    CW_GRID_STRIDE(i, planes * P * Q) {
        const int64_t c = i / (P * Q), pq = i % (P * Q);
        const float* in = x + c * h * w;
        const int64_t arg = cw_pool_argmax(in, h, w, kernel, stride, pad, pq / Q, pq % Q);
        if (!relu || in[arg] > 0.f) atomicAdd(dx + c * h * w + arg, dy[i]);
    }
}

// Average pooling, padding counted in the divisor (count_include_pad); one thread per output
extern "C" __global__ void cw_avg_pool_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w,
                                               int64_t kernel, int64_t stride, int64_t pad) {
    const int64_t P = (h + 2 * pad - kernel) / stride + 1, Q = (w + 2 * pad - kernel) / stride + 1;
    CW_GRID_STRIDE(i, planes * P * Q) {
        const int64_t c = i / (P * Q), p = (i % (P * Q)) / Q, q = i % Q;
        float s = 0.f;
        for (int64_t r = 0; r < kernel; r++) {
            const int64_t ih = p * stride - pad + r;
            if (ih < 0 || ih >= h) continue;
            for (int64_t t = 0; t < kernel; t++) {
                const int64_t iw = q * stride - pad + t;
                if (iw >= 0 && iw < w) s += x[(c * h + ih) * w + iw];
            }
        }
        y[i] = s / (float) (kernel * kernel);
    }
}

// dx = each output's gradient spread evenly over its window; one thread per input pixel (a gather,
// so no atomics and a deterministic sum)
extern "C" __global__ void cw_avg_pool_backward(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w,
                                                int64_t kernel, int64_t stride, int64_t pad) {
    const int64_t P = (h + 2 * pad - kernel) / stride + 1, Q = (w + 2 * pad - kernel) / stride + 1;
    CW_GRID_STRIDE(i, planes * h * w) {
        const int64_t c = i / (h * w), ih = (i % (h * w)) / w, iw = i % w;
        // windows p with p·stride − pad ≤ ih < p·stride − pad + kernel
        const int64_t p0 = ih + pad - kernel + 1 > 0 ? (ih + pad - kernel + stride) / stride : 0, p1 = min((ih + pad) / stride, P - 1);
        const int64_t q0 = iw + pad - kernel + 1 > 0 ? (iw + pad - kernel + stride) / stride : 0, q1 = min((iw + pad) / stride, Q - 1);
        float s = 0.f;
        for (int64_t p = p0; p <= p1; p++)
            for (int64_t q = q0; q <= q1; q++) s += dy[(c * P + p) * Q + q];
        dx[i] = s / (float) (kernel * kernel);
    }
}
