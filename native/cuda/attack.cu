// The attack updates, fused: one read of x′, ∇ and x, one write of x′ per pixel.
#include "common.cuh"

__device__ inline float cw_sign(float g) { return g > 0.f ? 1.f : (g < 0.f ? -1.f : 0.f); }

// x′ = clamp(clip(x′ + step·sign(∇), x ± ε), 0, 1); sign(0) = 0
extern "C" __global__ void cw_linf_pgd_step(float* xAdv, const float* grad, const float* xNat, float step, float eps, int64_t n) {
    CW_GRID_STRIDE(i, n) {
        float v = xAdv[i] + step * cw_sign(grad[i]);
        v = fminf(fmaxf(v, xNat[i] - eps), xNat[i] + eps);
        xAdv[i] = fminf(fmaxf(v, 0.f), 1.f);
    }
}

// as cw_linf_pgd_step with step = stepPerRow[i / rowSize] (APGD's per-example step)
extern "C" __global__ void cw_linf_pgd_step_per_row(float* xAdv, const float* grad, const float* xNat, const float* stepPerRow,
                                                    float eps, int64_t n, int64_t rowSize) {
    CW_GRID_STRIDE(i, n) {
        float v = xAdv[i] + stepPerRow[i / rowSize] * cw_sign(grad[i]);
        v = fminf(fmaxf(v, xNat[i] - eps), xNat[i] + eps);
        xAdv[i] = fminf(fmaxf(v, 0.f), 1.f);
    }
}

// As cw_linf_pgd_step_per_row with a budget per row too (per-class ε gathered from the labels)
extern "C" __global__ void cw_linf_pgd_step_rows(float* xAdv, const float* grad, const float* xNat, const float* stepPerRow,
                                                 const float* epsPerRow, int64_t n, int64_t rowSize) {
    CW_GRID_STRIDE(i, n) {
        const float eps = epsPerRow[i / rowSize];
        float v = xAdv[i] + stepPerRow[i / rowSize] * cw_sign(grad[i]);
        v = fminf(fmaxf(v, xNat[i] - eps), xNat[i] + eps);
        xAdv[i] = fminf(fmaxf(v, 0.f), 1.f);
    }
}

// ℓ2 step per row (one block per row): x′ += step·∇/‖∇‖₂, δ = x′ − x scaled back onto ‖δ‖₂ ≤ ε, then [0, 1]
extern "C" __global__ void cw_l2_pgd_step(float* xAdv, const float* grad, const float* xNat, float step, float eps, int64_t rows,
                                          int64_t rowSize) {
    const int64_t r = blockIdx.x;
    if (r >= rows) return;
    float* a = xAdv + r * rowSize;
    const float* g = grad + r * rowSize;
    const float* x0 = xNat + r * rowSize;
    float gn = 0.f;
    for (int64_t j = threadIdx.x; j < rowSize; j += blockDim.x) gn += g[j] * g[j];
    gn = cw_block_sum(gn);
    const float scale = gn > 0.f ? step * rsqrtf(gn) : 0.f;
    float dn = 0.f;
    for (int64_t j = threadIdx.x; j < rowSize; j += blockDim.x) {
        const float d = a[j] + scale * g[j] - x0[j];
        dn += d * d;
    }
    dn = sqrtf(cw_block_sum(dn));
    const float shrink = dn > eps ? eps / dn : 1.f;
    for (int64_t j = threadIdx.x; j < rowSize; j += blockDim.x) {
        const float d = (a[j] + scale * g[j] - x0[j]) * shrink;
        a[j] = fminf(fmaxf(x0[j] + d, 0.f), 1.f);
    }
}

// MI-FGSM per row (one block per row): buf = μ·buf + ∇/‖∇‖₁ (rows with ‖∇‖₁ = 0 add nothing)
extern "C" __global__ void cw_momentum_accumulate(const float* grad, float* buf, float mu, int64_t rows, int64_t rowSize) {
    const int64_t r = blockIdx.x;
    if (r >= rows) return;
    const float* g = grad + r * rowSize;
    float* b = buf + r * rowSize;
    float l1 = 0.f;
    for (int64_t j = threadIdx.x; j < rowSize; j += blockDim.x) l1 += fabsf(g[j]);
    l1 = cw_block_sum(l1);
    const float inv = l1 > 0.f ? 1.f / l1 : 0.f;
    for (int64_t j = threadIdx.x; j < rowSize; j += blockDim.x) b[j] = mu * b[j] + g[j] * inv;
}
