// Shared helpers of Classwise's CUDA kernels. Every kernel is extern "C" (so the Java side finds it by
// name in the fatbin with cuModuleGetFunction), takes raw device pointers and int64 sizes, and uses a
// grid-stride loop, so any launch shape covers any size. Each has a CPU twin in ReferenceBackend
// (java/io/classwise/tensor/reference) that the GPU parity tests compare it with.
#pragma once
#include <stdint.h>
#include "../include/classwise_kernels.h"

#define CW_GRID_STRIDE(i, n) \
    for (int64_t i = (int64_t) blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (int64_t) blockDim.x * gridDim.x)

// The label of row i as an index, or -1 when it is not an integer in [0, k) (NaN included): the loss
// kernels then write NaN for the row instead of reading outside it (the CPU reference throws).
__device__ inline int64_t cw_label(const float* labels, int64_t i, int64_t k) {
    const float v = labels[i];
    return v >= 0.f && v < (float) k && v == floorf(v) ? (int64_t) v : -1;
}

// Writes NaN to a row's loss and (nullable) gradient: the marker of an invalid label.
__device__ inline void cw_invalid_row(float* loss, float* dLogits, int64_t i, int64_t k) {
    if (threadIdx.x == 0) loss[i] = NAN;
    if (dLogits != nullptr)
        for (int64_t j = threadIdx.x; j < k; j += blockDim.x) dLogits[i * k + j] = NAN;
}

// Sum of v over a block (blockDim.x a multiple of 32, at most 1024); result valid in every thread.
__device__ inline float cw_block_sum(float v) {
    __shared__ float partial[32];
    __shared__ float result;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    v = threadIdx.x < (blockDim.x >> 5) ? partial[lane] : 0.f;
    if (warp == 0) {
        for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
        if (lane == 0) result = v;
    }
    __syncthreads();
    return result;
}

// Index of the largest z[j] over j in [0, k), skipping j == skip (-1: none); the first one on ties,
// as the CPU's argmax. Result valid in every thread.
__device__ inline int64_t cw_block_argmax(const float* z, int64_t k, int64_t skip) {
    __shared__ float bestValue[32];
    __shared__ int64_t bestIndex[32];
    __shared__ int64_t result;
    float v = -INFINITY;
    int64_t idx = -1;
    for (int64_t j = threadIdx.x; j < k; j += blockDim.x)
        if (j != skip && (idx < 0 || z[j] > v)) { v = z[j]; idx = j; }
    for (int o = 16; o > 0; o >>= 1) {
        const float ov = __shfl_down_sync(0xffffffffu, v, o);
        const int64_t oi = __shfl_down_sync(0xffffffffu, idx, o);
        if (oi >= 0 && (idx < 0 || ov > v || (ov == v && oi < idx))) { v = ov; idx = oi; }
    }
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) { bestValue[warp] = v; bestIndex[warp] = idx; }
    __syncthreads();
    if (warp == 0) {
        v = lane < (int) (blockDim.x >> 5) ? bestValue[lane] : -INFINITY;
        idx = lane < (int) (blockDim.x >> 5) ? bestIndex[lane] : -1;
        for (int o = 16; o > 0; o >>= 1) {
            const float ov = __shfl_down_sync(0xffffffffu, v, o);
            const int64_t oi = __shfl_down_sync(0xffffffffu, idx, o);
            if (oi >= 0 && (idx < 0 || ov > v || (ov == v && oi < idx))) { v = ov; idx = oi; }
        }
        if (lane == 0) result = idx;
    }
    __syncthreads();
    return result;
}

// Maximum of v over a block; result valid in every thread.
__device__ inline float cw_block_max(float v) {
    __shared__ float partial[32];
    __shared__ float result;
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_down_sync(0xffffffffu, v, o));
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    v = threadIdx.x < (blockDim.x >> 5) ? partial[lane] : -INFINITY;
    if (warp == 0) {
        for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_down_sync(0xffffffffu, v, o));
        if (lane == 0) result = v;
    }
    __syncthreads();
    return result;
}
