// SGD with PyTorch's semantics, one pass over a parameter.
#include "common.cuh"

// g = ∇ + wd·p; buf = g on the first step, else μ·buf + (1 − dampening)·g; g = nesterov ? g + μ·buf : buf; p −= lr·g
extern "C" __global__ void cw_sgd_step(float* param, const float* grad, float* momentumBuf, float lr, float momentum, float dampening,
                                       float weightDecay, int nesterov, int firstStep, int64_t n) {
    CW_GRID_STRIDE(i, n) {
        float d = grad[i] + weightDecay * param[i];
        if (momentum != 0.f) {
            const float b = firstStep ? d : momentum * momentumBuf[i] + (1.f - dampening) * d;
            momentumBuf[i] = b;
            d = nesterov ? d + momentum * b : b;
        }
        param[i] -= lr * d;
    }
}
