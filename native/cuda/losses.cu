// Per-example losses and their logit gradients, one block per row (example). Launch with
// grid = rows, block = 128 (any multiple of 32 up to 1024). float arithmetic; the CPU twin uses double.
#include "common.cuh"

// log-sum-exp of invT·z over a row; valid in every thread
__device__ inline float cw_row_lse(const float* z, int64_t k, float invT) {
    float m = -INFINITY;
    for (int64_t j = threadIdx.x; j < k; j += blockDim.x) m = fmaxf(m, z[j] * invT);
    m = cw_block_max(m);
    float s = 0.f;
    for (int64_t j = threadIdx.x; j < k; j += blockDim.x) s += expf(z[j] * invT - m);
    return m + logf(cw_block_sum(s));
}

// loss[i] = −log softmax(z_i/T)[y_i]; dLogits (nullable) = gradScale·(softmax(z_i/T) − onehot)/T
extern "C" __global__ void cw_softmax_cross_entropy(const float* logits, const float* labels, float temperature, float* loss,
                                                    float* dLogits, float gradScale, int64_t rows, int64_t k) {
    const int64_t i = blockIdx.x;
    if (i >= rows) return;
    const float* z = logits + i * k;
    const float invT = 1.f / temperature;
    const int64_t y = cw_label(labels, i, k);
    if (y < 0) { cw_invalid_row(loss, dLogits, i, k); return; } // the whole block returns together
    const float lse = cw_row_lse(z, k, invT);
    if (threadIdx.x == 0) loss[i] = lse - z[y] * invT;
    if (dLogits != nullptr)
        for (int64_t j = threadIdx.x; j < k; j += blockDim.x)
            dLogits[i * k + j] = gradScale * (expf(z[j] * invT - lse) - (j == y ? 1.f : 0.f)) * invT;
}

// probs = softmax(z/T) row-wise
extern "C" __global__ void cw_softmax(const float* logits, float temperature, float* probs, int64_t rows, int64_t k) {
    const int64_t i = blockIdx.x;
    if (i >= rows) return;
    const float* z = logits + i * k;
    const float invT = 1.f / temperature, lse = cw_row_lse(z, k, invT);
    for (int64_t j = threadIdx.x; j < k; j += blockDim.x) probs[i * k + j] = expf(z[j] * invT - lse);
}

// KL(softmax(p) ‖ softmax(q)) per row; dP, dQ nullable:
// ∂/∂q = softmax(q) − softmax(p); ∂/∂p = softmax(p)·(log softmax(p) − log softmax(q) − KL); both × gradScale
extern "C" __global__ void cw_kl_divergence(const float* logitsP, const float* logitsQ, float* loss, float* dP, float* dQ,
                                            float gradScale, int64_t rows, int64_t k) {
    const int64_t i = blockIdx.x;
    if (i >= rows) return;
    const float* zp = logitsP + i * k;
    const float* zq = logitsQ + i * k;
    const float lseP = cw_row_lse(zp, k, 1.f), lseQ = cw_row_lse(zq, k, 1.f);
    float part = 0.f;
    for (int64_t j = threadIdx.x; j < k; j += blockDim.x) {
        const float lp = zp[j] - lseP, lq = zq[j] - lseQ;
        part += expf(lp) * (lp - lq);
    }
    const float kl = cw_block_sum(part);
    if (threadIdx.x == 0) loss[i] = kl;
    for (int64_t j = threadIdx.x; j < k; j += blockDim.x) {
        const float lp = zp[j] - lseP, lq = zq[j] - lseQ, pj = expf(lp);
        if (dQ != nullptr) dQ[i * k + j] = gradScale * (expf(lq) - pj);
        if (dP != nullptr) dP[i * k + j] = gradScale * pj * (lp - lq - kl);
    }
}

// MART's boosted cross-entropy: −log p_y − log(1.0001 − max_{j≠y} p_j); dLogits nullable
extern "C" __global__ void cw_boosted_cross_entropy(const float* logits, const float* labels, float* loss, float* dLogits,
                                                    float gradScale, int64_t rows, int64_t k) {
    const int64_t i = blockIdx.x;
    if (i >= rows) return;
    const float* z = logits + i * k;
    const int64_t y = cw_label(labels, i, k);
    // With one class there is no other class to take the maximum over (cw_block_argmax would return -1).
    if (y < 0 || k < 2) { cw_invalid_row(loss, dLogits, i, k); return; }
    const float lse = cw_row_lse(z, k, 1.f);
    const int64_t m = cw_block_argmax(z, k, y);
    const float pm = expf(z[m] - lse), oneMinus = 1.0001f - pm;
    if (threadIdx.x == 0) loss[i] = lse - z[y] - logf(oneMinus);
    if (dLogits != nullptr)
        for (int64_t j = threadIdx.x; j < k; j += blockDim.x) {
            const float pj = expf(z[j] - lse);
            const float ce = pj - (j == y ? 1.f : 0.f), margin = pm * ((j == m ? 1.f : 0.f) - pj) / oneMinus;
            dLogits[i * k + j] = gradScale * (ce + margin);
        }
}

// Carlini–Wagner margin min(max_{j≠y} z_j − z_y, κ); dLogits nullable (+1 at the best other class,
// −1 at y, × gradScale; zero once the margin reaches κ)
extern "C" __global__ void cw_margin_loss(const float* logits, const float* labels, float kappa, float* loss, float* dLogits,
                                          float gradScale, int64_t rows, int64_t k) {
    const int64_t i = blockIdx.x;
    if (i >= rows) return;
    const float* z = logits + i * k;
    const int64_t y = cw_label(labels, i, k);
    if (y < 0 || k < 2) { cw_invalid_row(loss, dLogits, i, k); return; } // k = 1: no other class
    const int64_t m = cw_block_argmax(z, k, y);
    const float margin = z[m] - z[y];
    const bool clamped = margin >= kappa;
    if (threadIdx.x == 0) loss[i] = clamped ? kappa : margin;
    if (dLogits != nullptr) {
        for (int64_t j = threadIdx.x; j < k; j += blockDim.x)
            dLogits[i * k + j] = clamped ? 0.f : (j == m ? gradScale : (j == y ? -gradScale : 0.f));
    }
}

// out[i] = argmax_j z[i, j] (first on ties)
extern "C" __global__ void cw_argmax_rows(const float* logits, int* out, int64_t rows, int64_t k) {
    const int64_t i = blockIdx.x;
    if (i >= rows) return;
    const int64_t m = cw_block_argmax(logits + i * k, k, -1);
    if (threadIdx.x == 0) out[i] = (int) m;
}

// Croce and Hein's DLR loss −(z_y − max_{j≠y} z_j) / (z_π1 − z_π3 + 1e-12); one thread per row (the
// top-3 scan is serial, as on the CPU, and K is small); dLogits nullable
extern "C" __global__ void cw_dlr_loss(const float* logits, const float* labels, float* loss, float* dLogits, float gradScale,
                                       int64_t rows, int64_t k) {
    CW_GRID_STRIDE(i, rows) {
        const float* z = logits + i * k;
        const int64_t y = cw_label(labels, i, k);
        if (y < 0) {
            loss[i] = NAN;
            if (dLogits != nullptr) for (int64_t j = 0; j < k; j++) dLogits[i * k + j] = NAN;
            continue;
        }
        int64_t p1 = -1, p2 = -1, p3 = -1, m = -1;
        for (int64_t j = 0; j < k; j++) {
            const float v = z[j];
            if (p1 < 0 || v > z[p1]) { p3 = p2; p2 = p1; p1 = j; }
            else if (p2 < 0 || v > z[p2]) { p3 = p2; p2 = j; }
            else if (p3 < 0 || v > z[p3]) { p3 = j; }
            if (j != y && (m < 0 || v > z[m])) m = j;
        }
        const float a = z[y] - z[m], d = z[p1] - z[p3] + 1e-12f;
        loss[i] = -a / d;
        if (dLogits != nullptr) {
            float* g = dLogits + i * k;
            for (int64_t j = 0; j < k; j++) g[j] = 0.f;
            g[y] += -gradScale / d;
            g[m] += gradScale / d;
            g[p1] += gradScale * a / (d * d);
            g[p3] -= gradScale * a / (d * d);
        }
    }
}
