// Per-class reductions that stay on the GPU until an epoch's summary is needed: integer atomics, so
// the counts do not depend on thread order.
#include "common.cuh"

// correct[c] += #{i : labels[i] = c, pred[i] = c}; total[c] += #{i : labels[i] = c}
extern "C" __global__ void cw_class_counts(const int* pred, const float* labels, int* correct, int* total, int64_t n) {
    CW_GRID_STRIDE(i, n) {
        const int y = (int) labels[i];
        atomicAdd(total + y, 1);
        if (pred[i] == y) atomicAdd(correct + y, 1);
    }
}

// counts[y·k + pred] += 1 for every example (the adversarial confusion / flip matrix)
extern "C" __global__ void cw_flip_matrix(const int* pred, const float* labels, int* counts, int64_t k, int64_t n) {
    CW_GRID_STRIDE(i, n) atomicAdd(counts + (int64_t) labels[i] * k + pred[i], 1);
}
