// Elementwise kernels: the memory-bound pieces between cuDNN/cuBLAS calls.
#include "common.cuh"

extern "C" __global__ void cw_fill(float* x, float v, int64_t n) { CW_GRID_STRIDE(i, n) x[i] = v; }

// y += a·x
extern "C" __global__ void cw_axpy(float a, const float* x, float* y, int64_t n) { CW_GRID_STRIDE(i, n) y[i] += a * x[i]; }

// x *= a
extern "C" __global__ void cw_scale(float* x, float a, int64_t n) { CW_GRID_STRIDE(i, n) x[i] *= a; }

// out = a + b (out may alias a or b)
extern "C" __global__ void cw_add(const float* a, const float* b, float* out, int64_t n) { CW_GRID_STRIDE(i, n) out[i] = a[i] + b[i]; }

// y = max(x, 0)
extern "C" __global__ void cw_relu(const float* x, float* y, int64_t n) { CW_GRID_STRIDE(i, n) y[i] = fmaxf(x[i], 0.f); }

// dx = y > 0 ? dy : 0 (y: the ReLU's output; dx may alias dy)
extern "C" __global__ void cw_relu_backward(const float* y, const float* dy, float* dx, int64_t n) {
    CW_GRID_STRIDE(i, n) dx[i] = y[i] > 0.f ? dy[i] : 0.f;
}

// y = x·σ(x) (Swish / SiLU)
extern "C" __global__ void cw_swish(const float* x, float* y, int64_t n) {
    CW_GRID_STRIDE(i, n) {
        float v = x[i];
        y[i] = v / (1.f + expf(-v));
    }
}

// dx = dy·σ(x)·(1 + x·(1 − σ(x))) (dx may alias dy)
extern "C" __global__ void cw_swish_backward(const float* x, const float* dy, float* dx, int64_t n) {
    CW_GRID_STRIDE(i, n) {
        float v = x[i], s = 1.f / (1.f + expf(-v));
        dx[i] = dy[i] * s * (1.f + v * (1.f - s));
    }
}

// y (planes, hp, wp) = x (planes, h, w) at (top, left), zeros around; one thread per output element
extern "C" __global__ void cw_zero_pad2d(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int64_t hp, int64_t wp,
                                         int64_t top, int64_t left) {
    CW_GRID_STRIDE(i, planes * hp * wp) {
        int64_t c = i % wp - left, r = (i / wp) % hp - top, p = i / (hp * wp);
        y[i] = (r >= 0 && r < h && c >= 0 && c < w) ? x[(p * h + r) * w + c] : 0.f;
    }
}

// dx (planes, h, w) = the (top, left) window of dy (planes, hp, wp)
extern "C" __global__ void cw_zero_pad2d_backward(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w, int64_t hp,
                                                  int64_t wp, int64_t top, int64_t left) {
    CW_GRID_STRIDE(i, planes * h * w) {
        int64_t c = i % w, r = (i / w) % h, p = i / (h * w);
        dx[i] = dy[(p * hp + r + top) * wp + c + left];
    }
}

// y (rows, cols) += bias (cols) on every row
extern "C" __global__ void cw_add_row_vector(float* y, const float* bias, int64_t rows, int64_t cols) {
    CW_GRID_STRIDE(i, rows * cols) y[i] += bias[i % cols];
}

// y (N, C, HW) = (x − mean[c]) / std[c]
extern "C" __global__ void cw_normalize_channels(const float* x, const float* mean, const float* std, float* y,
                                                 int64_t n, int64_t c, int64_t hw) {
    CW_GRID_STRIDE(i, n * c * hw) {
        const int64_t ch = (i / hw) % c;
        y[i] = (x[i] - mean[ch]) / std[ch];
    }
}

// dx = dy / std[c]
extern "C" __global__ void cw_normalize_channels_backward(const float* dy, const float* std, float* dx, int64_t n, int64_t c, int64_t hw) {
    CW_GRID_STRIDE(i, n * c * hw) dx[i] = dy[i] / std[(i / hw) % c];
}

// x[r, :] *= scale[r]
extern "C" __global__ void cw_scale_rows(float* x, const float* scale, int64_t rows, int64_t cols) {
    CW_GRID_STRIDE(i, rows * cols) x[i] *= scale[i / cols];
}

// out = logits with value added at each row's label column (out may alias logits)
extern "C" __global__ void cw_add_at_labels(const float* logits, const float* labels, float value, float* out, int64_t rows, int64_t cols) {
    CW_GRID_STRIDE(i, rows * cols) {
        const int64_t r = i / cols, k = i % cols;
        out[i] = logits[i] + (k == (int64_t) labels[r] ? value : 0.f);
    }
}

// dst[r] = src[r] where mask[r] != 0 (rows of rowSize floats)
extern "C" __global__ void cw_copy_rows_where(const float* src, float* dst, const float* mask, int64_t rows, int64_t rowSize) {
    CW_GRID_STRIDE(i, rows * rowSize) if (mask[i / rowSize] != 0.f) dst[i] = src[i];
}

// db (cols) += Σ_rows dy (rows, cols); one thread per column (rows are the batch: short)
extern "C" __global__ void cw_sum_rows(const float* dy, float* db, int64_t rows, int64_t cols) {
    CW_GRID_STRIDE(j, cols) {
        float s = 0.f;
        for (int64_t r = 0; r < rows; r++) s += dy[r * cols + j];
        db[j] += s;
    }
}

// y = x / max(‖x‖₂, eps) per row, norms = max(‖x‖₂, eps); one block per row (the cosine head)
extern "C" __global__ void cw_l2_normalize_rows(const float* x, float* y, float* norms, float eps, int64_t rows, int64_t dim) {
    const int64_t r = blockIdx.x;
    if (r >= rows) return;
    float s = 0.f;
    for (int64_t j = threadIdx.x; j < dim; j += blockDim.x) s += x[r * dim + j] * x[r * dim + j];
    const float norm = fmaxf(sqrtf(cw_block_sum(s)), eps);
    if (threadIdx.x == 0) norms[r] = norm;
    for (int64_t j = threadIdx.x; j < dim; j += blockDim.x) y[r * dim + j] = x[r * dim + j] / norm;
}

// dx = (dy − y·⟨dy, y⟩) / norm per row; one block per row
extern "C" __global__ void cw_l2_normalize_rows_backward(const float* y, const float* norms, const float* dy, float* dx,
                                                         int64_t rows, int64_t dim) {
    const int64_t r = blockIdx.x;
    if (r >= rows) return;
    float s = 0.f;
    for (int64_t j = threadIdx.x; j < dim; j += blockDim.x) s += dy[r * dim + j] * y[r * dim + j];
    const float dot = cw_block_sum(s);
    for (int64_t j = threadIdx.x; j < dim; j += blockDim.x) dx[r * dim + j] = (dy[r * dim + j] - y[r * dim + j] * dot) / norms[r];
}
