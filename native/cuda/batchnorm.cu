// Batch-norm pieces cuDNN lacks: the backward pass of inference-mode batch norm (the attacks'
// input gradient through a network in eval mode). One block per channel.
#include "common.cuh"

// dx = dy·γ/√(var+ε); dγ += Σ dy·(x − mean)/√(var+ε); dβ += Σ dy  over (N, C, HW); dGamma/dBeta nullable
extern "C" __global__ void cw_bn_inference_backward(const float* x, const float* dy, const float* gamma, const float* mean,
                                                    const float* var, float eps, float* dx, float* dGamma, float* dBeta,
                                                    int64_t n, int64_t c, int64_t hw) {
    const int64_t ch = blockIdx.x;
    if (ch >= c) return;
    const float inv = rsqrtf(var[ch] + eps), scale = gamma[ch] * inv, mu = mean[ch];
    float sdy = 0.f, sdyx = 0.f;
    for (int64_t i = threadIdx.x; i < n * hw; i += blockDim.x) {
        const int64_t j = (i / hw * c + ch) * hw + i % hw;
        const float g = dy[j];
        dx[j] = g * scale;
        sdy += g;
        sdyx += g * (x[j] - mu) * inv;
    }
    sdy = cw_block_sum(sdy);
    sdyx = cw_block_sum(sdyx);
    if (threadIdx.x == 0) {
        if (dGamma != nullptr) dGamma[ch] += sdyx;
        if (dBeta != nullptr) dBeta[ch] += sdy;
    }
}
