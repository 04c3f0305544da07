// Every kernel of classwise_kernels.fatbin, declared once. The .cu files include this header, so nvcc
// checks each definition against its declaration; io.classwise.tensor.cuda.CudaKernels has one typed Java
// method per declaration, and CudaKernelBuildTest checks that the two agree argument by argument
// (pointer → ptr, float → f, int → i32, int64_t → i64) and that every declared kernel is launched.
// Launch shapes: "elements" kernels use a grid-stride loop over n; "rows" kernels take one block per row.
#pragma once
#include <stdint.h>

// elementwise.cu
extern "C" __global__ void cw_fill(float* x, float v, int64_t n);
extern "C" __global__ void cw_axpy(float a, const float* x, float* y, int64_t n);
extern "C" __global__ void cw_scale(float* x, float a, int64_t n);
extern "C" __global__ void cw_add(const float* a, const float* b, float* out, int64_t n);
extern "C" __global__ void cw_relu(const float* x, float* y, int64_t n);
extern "C" __global__ void cw_relu_backward(const float* y, const float* dy, float* dx, int64_t n);
extern "C" __global__ void cw_swish(const float* x, float* y, int64_t n);
extern "C" __global__ void cw_swish_backward(const float* x, const float* dy, float* dx, int64_t n);
extern "C" __global__ void cw_zero_pad2d(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int64_t hp, int64_t wp, int64_t top, int64_t left);
extern "C" __global__ void cw_zero_pad2d_backward(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w, int64_t hp, int64_t wp, int64_t top, int64_t left);
extern "C" __global__ void cw_add_row_vector(float* y, const float* bias, int64_t rows, int64_t cols);
extern "C" __global__ void cw_normalize_channels(const float* x, const float* mean, const float* std, float* y, int64_t n, int64_t c, int64_t hw);
extern "C" __global__ void cw_normalize_channels_backward(const float* dy, const float* std, float* dx, int64_t n, int64_t c, int64_t hw);
extern "C" __global__ void cw_scale_rows(float* x, const float* scale, int64_t rows, int64_t cols);
extern "C" __global__ void cw_add_at_labels(const float* logits, const float* labels, float value, float* out, int64_t rows, int64_t cols);
extern "C" __global__ void cw_copy_rows_where(const float* src, float* dst, const float* mask, int64_t rows, int64_t rowSize);
extern "C" __global__ void cw_sum_rows(const float* dy, float* db, int64_t rows, int64_t cols);
extern "C" __global__ void cw_l2_normalize_rows(const float* x, float* y, float* norms, float eps, int64_t rows, int64_t dim);
extern "C" __global__ void cw_l2_normalize_rows_backward(const float* y, const float* norms, const float* dy, float* dx, int64_t rows, int64_t dim);
// pooling.cu
extern "C" __global__ void cw_max_pool_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int64_t kernel, int64_t stride, int64_t pad, int relu);
extern "C" __global__ void cw_max_pool_backward(const float* x, const float* dy, float* dx, int64_t planes, int64_t h, int64_t w, int64_t kernel, int64_t stride, int64_t pad, int relu);
extern "C" __global__ void cw_avg_pool_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int64_t kernel, int64_t stride, int64_t pad);
extern "C" __global__ void cw_avg_pool_backward(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w, int64_t kernel, int64_t stride, int64_t pad);
// losses.cu
extern "C" __global__ void cw_softmax_cross_entropy(const float* logits, const float* labels, float temperature, float* loss, float* dLogits, float gradScale, int64_t rows, int64_t k);
extern "C" __global__ void cw_softmax(const float* logits, float temperature, float* probs, int64_t rows, int64_t k);
extern "C" __global__ void cw_kl_divergence(const float* logitsP, const float* logitsQ, float* loss, float* dP, float* dQ, float gradScale, int64_t rows, int64_t k);
extern "C" __global__ void cw_boosted_cross_entropy(const float* logits, const float* labels, float* loss, float* dLogits, float gradScale, int64_t rows, int64_t k);
extern "C" __global__ void cw_margin_loss(const float* logits, const float* labels, float kappa, float* loss, float* dLogits, float gradScale, int64_t rows, int64_t k);
extern "C" __global__ void cw_argmax_rows(const float* logits, int* out, int64_t rows, int64_t k);
extern "C" __global__ void cw_dlr_loss(const float* logits, const float* labels, float* loss, float* dLogits, float gradScale, int64_t rows, int64_t k);
// attack.cu
extern "C" __global__ void cw_linf_pgd_step(float* xAdv, const float* grad, const float* xNat, float step, float eps, int64_t n);
extern "C" __global__ void cw_linf_pgd_step_per_row(float* xAdv, const float* grad, const float* xNat, const float* stepPerRow, float eps, int64_t n, int64_t rowSize);
extern "C" __global__ void cw_linf_pgd_step_rows(float* xAdv, const float* grad, const float* xNat, const float* stepPerRow, const float* epsPerRow, int64_t n, int64_t rowSize);
extern "C" __global__ void cw_l2_pgd_step(float* xAdv, const float* grad, const float* xNat, float step, float eps, int64_t rows, int64_t rowSize);
extern "C" __global__ void cw_momentum_accumulate(const float* grad, float* buf, float mu, int64_t rows, int64_t rowSize);
// optimizer.cu
extern "C" __global__ void cw_sgd_step(float* param, const float* grad, float* momentumBuf, float lr, float momentum, float dampening, float weightDecay, int nesterov, int firstStep, int64_t n);
// classwise.cu
extern "C" __global__ void cw_class_counts(const int* pred, const float* labels, int* correct, int* total, int64_t k, int64_t n);
extern "C" __global__ void cw_flip_matrix(const int* pred, const float* labels, int* counts, int64_t k, int64_t n);
// batchnorm.cu
extern "C" __global__ void cw_bn_inference_backward(const float* x, const float* dy, const float* gamma, const float* mean, const float* var, float eps, float* dx, float* dGamma, float* dBeta, int64_t n, int64_t c, int64_t hw);
