package io.classwise.tensor.cuda;

/**
 * One typed method per kernel of native/include/classwise_kernels.h, in the header's order: the
 * parameters mirror the C signature (device pointers as long addresses, int64_t as long), so a call with
 * a wrong argument count or type does not compile, and CudaKernelBuildTest checks each method's argument
 * kinds against the header. The last parameter says how the kernel is launched ({@link Grid}).
 */
final class CudaKernels {
    /** How a kernel covers its work: a grid-stride loop over n elements, or one block per row. */
    record Grid(long count, boolean rows) {
        static Grid elements(long n) { return new Grid(n, false); }

        static Grid rows(long r) { return new Grid(r, true); }
    }

    private final KernelModule module;

    CudaKernels(KernelModule module) { this.module = module; }

    /** {@code cw_fill(float* x, float v, int64_t n)} */
    void fill(long x, float v, long n, Grid grid) {
        module.args().ptr(x).f(v).i64(n);
        module.launch("cw_fill", grid);
    }

    /** {@code cw_axpy(float a, const float* x, float* y, int64_t n)} */
    void axpy(float a, long x, long y, long n, Grid grid) {
        module.args().f(a).ptr(x).ptr(y).i64(n);
        module.launch("cw_axpy", grid);
    }

    /** {@code cw_scale(float* x, float a, int64_t n)} */
    void scale(long x, float a, long n, Grid grid) {
        module.args().ptr(x).f(a).i64(n);
        module.launch("cw_scale", grid);
    }

    /** {@code cw_add(const float* a, const float* b, float* out, int64_t n)} */
    void add(long a, long b, long out, long n, Grid grid) {
        module.args().ptr(a).ptr(b).ptr(out).i64(n);
        module.launch("cw_add", grid);
    }

    /** {@code cw_relu(const float* x, float* y, int64_t n)} */
    void relu(long x, long y, long n, Grid grid) {
        module.args().ptr(x).ptr(y).i64(n);
        module.launch("cw_relu", grid);
    }

    /** {@code cw_relu_backward(const float* y, const float* dy, float* dx, int64_t n)} */
    void reluBackward(long y, long dy, long dx, long n, Grid grid) {
        module.args().ptr(y).ptr(dy).ptr(dx).i64(n);
        module.launch("cw_relu_backward", grid);
    }

    /** {@code cw_swish(const float* x, float* y, int64_t n)} */
    void swish(long x, long y, long n, Grid grid) {
        module.args().ptr(x).ptr(y).i64(n);
        module.launch("cw_swish", grid);
    }

    /** {@code cw_swish_backward(const float* x, const float* dy, float* dx, int64_t n)} */
    void swishBackward(long x, long dy, long dx, long n, Grid grid) {
        module.args().ptr(x).ptr(dy).ptr(dx).i64(n);
        module.launch("cw_swish_backward", grid);
    }

    /** {@code cw_zero_pad2d(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int64_t hp, int64_t wp, int64_t top, int64_t left)} */
    void zeroPad2d(long x, long y, long planes, long h, long w, long hp, long wp, long top, long left, Grid grid) {
        module.args().ptr(x).ptr(y).i64(planes).i64(h).i64(w).i64(hp).i64(wp).i64(top).i64(left);
        module.launch("cw_zero_pad2d", grid);
    }

    /** {@code cw_zero_pad2d_backward(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w, int64_t hp, int64_t wp, int64_t top, int64_t left)} */
    void zeroPad2dBackward(long dy, long dx, long planes, long h, long w, long hp, long wp, long top, long left, Grid grid) {
        module.args().ptr(dy).ptr(dx).i64(planes).i64(h).i64(w).i64(hp).i64(wp).i64(top).i64(left);
        module.launch("cw_zero_pad2d_backward", grid);
    }

    /** {@code cw_add_row_vector(float* y, const float* bias, int64_t rows, int64_t cols)} */
    void addRowVector(long y, long bias, long rows, long cols, Grid grid) {
        module.args().ptr(y).ptr(bias).i64(rows).i64(cols);
        module.launch("cw_add_row_vector", grid);
    }

    /** {@code cw_normalize_channels(const float* x, const float* mean, const float* std, float* y, int64_t n, int64_t c, int64_t hw)} */
    void normalizeChannels(long x, long mean, long std, long y, long n, long c, long hw, Grid grid) {
        module.args().ptr(x).ptr(mean).ptr(std).ptr(y).i64(n).i64(c).i64(hw);
        module.launch("cw_normalize_channels", grid);
    }

    /** {@code cw_normalize_channels_backward(const float* dy, const float* std, float* dx, int64_t n, int64_t c, int64_t hw)} */
    void normalizeChannelsBackward(long dy, long std, long dx, long n, long c, long hw, Grid grid) {
        module.args().ptr(dy).ptr(std).ptr(dx).i64(n).i64(c).i64(hw);
        module.launch("cw_normalize_channels_backward", grid);
    }

    /** {@code cw_scale_rows(float* x, const float* scale, int64_t rows, int64_t cols)} */
    void scaleRows(long x, long scale, long rows, long cols, Grid grid) {
        module.args().ptr(x).ptr(scale).i64(rows).i64(cols);
        module.launch("cw_scale_rows", grid);
    }

    /** {@code cw_add_at_labels(const float* logits, const float* labels, float value, float* out, int64_t rows, int64_t cols)} */
    void addAtLabels(long logits, long labels, float value, long out, long rows, long cols, Grid grid) {
        module.args().ptr(logits).ptr(labels).f(value).ptr(out).i64(rows).i64(cols);
        module.launch("cw_add_at_labels", grid);
    }

    /** {@code cw_copy_rows_where(const float* src, float* dst, const float* mask, int64_t rows, int64_t rowSize)} */
    void copyRowsWhere(long src, long dst, long mask, long rows, long rowSize, Grid grid) {
        module.args().ptr(src).ptr(dst).ptr(mask).i64(rows).i64(rowSize);
        module.launch("cw_copy_rows_where", grid);
    }

    /** {@code cw_sum_rows(const float* dy, float* db, int64_t rows, int64_t cols)} */
    void sumRows(long dy, long db, long rows, long cols, Grid grid) {
        module.args().ptr(dy).ptr(db).i64(rows).i64(cols);
        module.launch("cw_sum_rows", grid);
    }

    /** {@code cw_l2_normalize_rows(const float* x, float* y, float* norms, float eps, int64_t rows, int64_t dim)} */
    void l2NormalizeRows(long x, long y, long norms, float eps, long rows, long dim, Grid grid) {
        module.args().ptr(x).ptr(y).ptr(norms).f(eps).i64(rows).i64(dim);
        module.launch("cw_l2_normalize_rows", grid);
    }

    /** {@code cw_l2_normalize_rows_backward(const float* y, const float* norms, const float* dy, float* dx, int64_t rows, int64_t dim)} */
    void l2NormalizeRowsBackward(long y, long norms, long dy, long dx, long rows, long dim, Grid grid) {
        module.args().ptr(y).ptr(norms).ptr(dy).ptr(dx).i64(rows).i64(dim);
        module.launch("cw_l2_normalize_rows_backward", grid);
    }

    /** {@code cw_max_pool_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int64_t kernel, int64_t stride, int64_t pad, int relu)} */
    void maxPoolForward(long x, long y, long planes, long h, long w, long kernel, long stride, long pad, int relu, Grid grid) {
        module.args().ptr(x).ptr(y).i64(planes).i64(h).i64(w).i64(kernel).i64(stride).i64(pad).i32(relu);
        module.launch("cw_max_pool_forward", grid);
    }

    /** {@code cw_max_pool_backward(const float* x, const float* dy, float* dx, int64_t planes, int64_t h, int64_t w, int64_t kernel, int64_t stride, int64_t pad, int relu)} */
    void maxPoolBackward(long x, long dy, long dx, long planes, long h, long w, long kernel, long stride, long pad, int relu, Grid grid) {
        module.args().ptr(x).ptr(dy).ptr(dx).i64(planes).i64(h).i64(w).i64(kernel).i64(stride).i64(pad).i32(relu);
        module.launch("cw_max_pool_backward", grid);
    }

    /** {@code cw_avg_pool_forward(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int64_t kernel, int64_t stride, int64_t pad)} */
    void avgPoolForward(long x, long y, long planes, long h, long w, long kernel, long stride, long pad, Grid grid) {
        module.args().ptr(x).ptr(y).i64(planes).i64(h).i64(w).i64(kernel).i64(stride).i64(pad);
        module.launch("cw_avg_pool_forward", grid);
    }

    /** {@code cw_avg_pool_backward(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w, int64_t kernel, int64_t stride, int64_t pad)} */
    void avgPoolBackward(long dy, long dx, long planes, long h, long w, long kernel, long stride, long pad, Grid grid) {
        module.args().ptr(dy).ptr(dx).i64(planes).i64(h).i64(w).i64(kernel).i64(stride).i64(pad);
        module.launch("cw_avg_pool_backward", grid);
    }

    /** {@code cw_softmax_cross_entropy(const float* logits, const float* labels, float temperature, float* loss, float* dLogits, float gradScale, int64_t rows, int64_t k)} */
    void softmaxCrossEntropy(long logits, long labels, float temperature, long loss, long dLogits, float gradScale, long rows,
            long k, Grid grid) {
        module.args().ptr(logits).ptr(labels).f(temperature).ptr(loss).ptr(dLogits).f(gradScale).i64(rows).i64(k);
        module.launch("cw_softmax_cross_entropy", grid);
    }

    /** {@code cw_softmax(const float* logits, float temperature, float* probs, int64_t rows, int64_t k)} */
    void softmax(long logits, float temperature, long probs, long rows, long k, Grid grid) {
        module.args().ptr(logits).f(temperature).ptr(probs).i64(rows).i64(k);
        module.launch("cw_softmax", grid);
    }

    /** {@code cw_kl_divergence(const float* logitsP, const float* logitsQ, float* loss, float* dP, float* dQ, float gradScale, int64_t rows, int64_t k)} */
    void klDivergence(long logitsP, long logitsQ, long loss, long dP, long dQ, float gradScale, long rows, long k, Grid grid) {
        module.args().ptr(logitsP).ptr(logitsQ).ptr(loss).ptr(dP).ptr(dQ).f(gradScale).i64(rows).i64(k);
        module.launch("cw_kl_divergence", grid);
    }

    /** {@code cw_boosted_cross_entropy(const float* logits, const float* labels, float* loss, float* dLogits, float gradScale, int64_t rows, int64_t k)} */
    void boostedCrossEntropy(long logits, long labels, long loss, long dLogits, float gradScale, long rows, long k, Grid grid) {
        module.args().ptr(logits).ptr(labels).ptr(loss).ptr(dLogits).f(gradScale).i64(rows).i64(k);
        module.launch("cw_boosted_cross_entropy", grid);
    }

    /** {@code cw_margin_loss(const float* logits, const float* labels, float kappa, float* loss, float* dLogits, float gradScale, int64_t rows, int64_t k)} */
    void marginLoss(long logits, long labels, float kappa, long loss, long dLogits, float gradScale, long rows, long k, Grid grid) {
        module.args().ptr(logits).ptr(labels).f(kappa).ptr(loss).ptr(dLogits).f(gradScale).i64(rows).i64(k);
        module.launch("cw_margin_loss", grid);
    }

    /** {@code cw_argmax_rows(const float* logits, int* out, int64_t rows, int64_t k)} */
    void argmaxRows(long logits, long out, long rows, long k, Grid grid) {
        module.args().ptr(logits).ptr(out).i64(rows).i64(k);
        module.launch("cw_argmax_rows", grid);
    }

    /** {@code cw_dlr_loss(const float* logits, const float* labels, float* loss, float* dLogits, float gradScale, int64_t rows, int64_t k)} */
    void dlrLoss(long logits, long labels, long loss, long dLogits, float gradScale, long rows, long k, Grid grid) {
        module.args().ptr(logits).ptr(labels).ptr(loss).ptr(dLogits).f(gradScale).i64(rows).i64(k);
        module.launch("cw_dlr_loss", grid);
    }

    /** {@code cw_linf_pgd_step(float* xAdv, const float* grad, const float* xNat, float step, float eps, int64_t n)} */
    void linfPgdStep(long xAdv, long grad, long xNat, float step, float eps, long n, Grid grid) {
        module.args().ptr(xAdv).ptr(grad).ptr(xNat).f(step).f(eps).i64(n);
        module.launch("cw_linf_pgd_step", grid);
    }

    /** {@code cw_linf_pgd_step_per_row(float* xAdv, const float* grad, const float* xNat, const float* stepPerRow, float eps, int64_t n, int64_t rowSize)} */
    void linfPgdStepPerRow(long xAdv, long grad, long xNat, long stepPerRow, float eps, long n, long rowSize, Grid grid) {
        module.args().ptr(xAdv).ptr(grad).ptr(xNat).ptr(stepPerRow).f(eps).i64(n).i64(rowSize);
        module.launch("cw_linf_pgd_step_per_row", grid);
    }

    /** {@code cw_linf_pgd_step_rows(float* xAdv, const float* grad, const float* xNat, const float* stepPerRow, const float* epsPerRow, int64_t n, int64_t rowSize)} */
    void linfPgdStepRows(long xAdv, long grad, long xNat, long stepPerRow, long epsPerRow, long n, long rowSize, Grid grid) {
        module.args().ptr(xAdv).ptr(grad).ptr(xNat).ptr(stepPerRow).ptr(epsPerRow).i64(n).i64(rowSize);
        module.launch("cw_linf_pgd_step_rows", grid);
    }

    /** {@code cw_l2_pgd_step(float* xAdv, const float* grad, const float* xNat, float step, float eps, int64_t rows, int64_t rowSize)} */
    void l2PgdStep(long xAdv, long grad, long xNat, float step, float eps, long rows, long rowSize, Grid grid) {
        module.args().ptr(xAdv).ptr(grad).ptr(xNat).f(step).f(eps).i64(rows).i64(rowSize);
        module.launch("cw_l2_pgd_step", grid);
    }

    /** {@code cw_momentum_accumulate(const float* grad, float* buf, float mu, int64_t rows, int64_t rowSize)} */
    void momentumAccumulate(long grad, long buf, float mu, long rows, long rowSize, Grid grid) {
        module.args().ptr(grad).ptr(buf).f(mu).i64(rows).i64(rowSize);
        module.launch("cw_momentum_accumulate", grid);
    }

    /** {@code cw_sgd_step(float* param, const float* grad, float* momentumBuf, float lr, float momentum, float dampening, float weightDecay, int nesterov, int firstStep, int64_t n)} */
    void sgdStep(long param, long grad, long momentumBuf, float lr, float momentum, float dampening, float weightDecay,
            int nesterov, int firstStep, long n, Grid grid) {
        module.args().ptr(param).ptr(grad).ptr(momentumBuf).f(lr).f(momentum).f(dampening).f(weightDecay).i32(nesterov).i32(firstStep).i64(n);
        module.launch("cw_sgd_step", grid);
    }

    /** {@code cw_class_counts(const int* pred, const float* labels, int* correct, int* total, int64_t k, int64_t n)} */
    void classCounts(long pred, long labels, long correct, long total, long k, long n, Grid grid) {
        module.args().ptr(pred).ptr(labels).ptr(correct).ptr(total).i64(k).i64(n);
        module.launch("cw_class_counts", grid);
    }

    /** {@code cw_flip_matrix(const int* pred, const float* labels, int* counts, int64_t k, int64_t n)} */
    void flipMatrix(long pred, long labels, long counts, long k, long n, Grid grid) {
        module.args().ptr(pred).ptr(labels).ptr(counts).i64(k).i64(n);
        module.launch("cw_flip_matrix", grid);
    }

    /** {@code cw_bn_inference_backward(const float* x, const float* dy, const float* gamma, const float* mean, const float* var, float eps, float* dx, float* dGamma, float* dBeta, int64_t n, int64_t c, int64_t hw)} */
    void bnInferenceBackward(long x, long dy, long gamma, long mean, long var, float eps, long dx, long dGamma, long dBeta, long n,
            long c, long hw, Grid grid) {
        module.args().ptr(x).ptr(dy).ptr(gamma).ptr(mean).ptr(var).f(eps).ptr(dx).ptr(dGamma).ptr(dBeta).i64(n).i64(c).i64(hw);
        module.launch("cw_bn_inference_backward", grid);
    }
}
