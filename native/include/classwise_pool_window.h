// The max-pooling window's argmax, shared by the CPU kernels (native/cpu/classwise_cpu.h) and the CUDA
// kernels (native/cuda/pooling.cu), so forward values and backward routing agree on every backend by
// construction. Ties go to the first maximum in window order, as the reference loops do.
#pragma once
#include <stdint.h>

#ifdef __CUDACC__
#define CW_HOST_DEVICE __host__ __device__
#else
#define CW_HOST_DEVICE
#endif

// Index (in the plane x (H, W)) of the first maximum of output window (p, q); -1 only for an empty window.
static inline CW_HOST_DEVICE int64_t cw_pool_argmax(const float* x, int64_t h, int64_t w, int64_t kernel, int64_t stride, int64_t pad,
                                                    int64_t p, int64_t q) {
    int64_t arg = -1;
    float m = 0.f;
    for (int64_t r = 0; r < kernel; r++) {
        const int64_t ih = p * stride - pad + r;
        if (ih < 0 || ih >= h) continue;
        for (int64_t t = 0; t < kernel; t++) {
            const int64_t iw = q * stride - pad + t;
            if (iw < 0 || iw >= w) continue;
            const int64_t j = ih * w + iw;
            if (arg < 0 || x[j] > m) { m = x[j]; arg = j; }
        }
    }
    return arg;
}
