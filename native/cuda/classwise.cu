// Per-class reductions that stay on the GPU until an epoch's summary is needed: integer atomics, so
// the counts do not depend on thread order.
#include "common.cuh"

// correct[c] += #{i : labels[i] = c, pred[i] = c}; total[c] += #{i : labels[i] = c}; labels outside [0, k) are skipped
extern "C" __global__ void cw_class_counts(const int* pred, const float* labels, int* correct, int* total, int64_t k, int64_t n) {
    CW_GRID_STRIDE(i, n) {
        const int64_t y = cw_label(labels, i, k);
        if (y < 0) continue;
        atomicAdd(total + y, 1);
        if (pred[i] == y) atomicAdd(correct + y, 1);
    }
}

// counts[y·k + pred] += 1 for every example (the adversarial confusion / flip matrix); rows or
// predictions outside [0, k) are skipped
extern "C" __global__ void cw_flip_matrix(const int* pred, const float* labels, int* counts, int64_t k, int64_t n) {
    CW_GRID_STRIDE(i, n) {
        const int64_t y = cw_label(labels, i, k);
        if (y >= 0 && pred[i] >= 0 && pred[i] < k) atomicAdd(counts + y * k + pred[i], 1);
    }
}
