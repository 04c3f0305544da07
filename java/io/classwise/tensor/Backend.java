package io.classwise.tensor;

import java.nio.FloatBuffer;

/**
 * Every piece of arithmetic in Classwise goes through this interface; models, attacks, training
 * and analysis never know which implementation runs them. Tensors are contiguous and row-major.
 *
 * <p>Conventions: "accumulate" outputs are added to ({@code +=}), everything else is overwritten.
 * Labels are tensors of shape (N) holding class ids as floats (exact below 2^24), so they can live
 * on the device next to the logits. Parameter-gradient arguments marked nullable may be null to skip
 * that gradient (the input-only backward used by attacks).
 *
 * <p>{@code ReferenceBackend} implements every method with plain loops and is the oracle the fast
 * backends are tested against.
 */
public interface Backend extends AutoCloseable {

    /** Short name shown by {@code info}: "reference", "cpu", "cuda". */
    String name();

    /** The arithmetic of convolutions and GEMMs (fp32 unless the backend was set to bf16). */
    default Precision precision() { return Precision.FP32; }

    /** A new zero-filled tensor. */
    Tensor allocate(int... shape);

    void upload(float[] src, Tensor dst);

    float[] download(Tensor src);

    /** Copies the first dst.size() floats of a (direct) buffer, e.g. a data batch, in one transfer. */
    void upload(FloatBuffer src, Tensor dst);

    void copy(Tensor src, Tensor dst);

    void fill(Tensor t, float value);

    // ---------------------------------------------------------------- elementwise

    /** y += a·x */
    void axpy(float a, Tensor x, Tensor y);

    /** x *= a */
    void scale(Tensor x, float a);

    /** out = a + b (residual connections); out may alias a or b. */
    void add(Tensor a, Tensor b, Tensor out);

    /** y = max(x, 0); y may alias x. */
    void relu(Tensor x, Tensor y);

    /** dx = dy where y > 0, else 0 (y is the ReLU output). dx may alias dy. */
    void reluBackward(Tensor y, Tensor dy, Tensor dx);

    /** y = x·σ(x), the Swish (SiLU) activation of DeepMind's robust WideResNets; y must not alias x (the backward needs x). */
    void swish(Tensor x, Tensor y);

    /** dx = dy·σ(x)·(1 + x·(1 − σ(x))), x the Swish input (overwritten; dx may alias dy). */
    void swishBackward(Tensor x, Tensor dy, Tensor dx);

    /** Sum of all elements, accumulated in double. */
    double sum(Tensor x);

    // ---------------------------------------------------------------- dense algebra

    /**
     * C = alpha·op(A)·op(B) + beta·C with op(A) (m, k), op(B) (k, n), C (m, n); all row-major,
     * A stored as (m, k) or, when transA, (k, m); likewise B.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Tensor a, Tensor b, float beta, Tensor c);

    /** y (N, M) += bias (M) on every row. */
    void addRowVector(Tensor y, Tensor bias);

    /** db (M) += Σ_rows dy (N, M). */
    void sumRows(Tensor dy, Tensor db);

    // ---------------------------------------------------------------- convolution

    /** y (N, K, P, Q) = conv(x (N, C, H, W), w (K, C, R, S)) + b (K); b nullable. */
    void conv2dForward(Tensor x, Tensor w, Tensor b, Tensor y, ConvGeometry g);

    /**
     * y = conv(x, w) + b + residual, residual (N, K, P, Q): the sum that ends a residual block's main path, which a
     * backend can add as it stores y instead of in a pass of its own. The default convolves, then adds.
     */
    default void conv2dForwardPlus(Tensor x, Tensor w, Tensor b, Tensor residual, Tensor y, ConvGeometry g) {
        conv2dForward(x, w, b, y, g);
        add(y, residual, y);
    }

    /** dx (N, C, H, W) = gradient of the convolution w.r.t. its input (overwritten). */
    void conv2dBackwardData(Tensor dy, Tensor w, Tensor dx, ConvGeometry g);

    /** dw (K, C, R, S) += gradient w.r.t. the weight; db (K) += Σ dy, db nullable. */
    void conv2dBackwardFilter(Tensor x, Tensor dy, Tensor dw, Tensor db, ConvGeometry g);

    // ---------------------------------------------------------------- batch normalization

    /**
     * Training-mode batch norm over (N, C, H, W) with batch statistics (biased variance):
     * y = (x − μ_B)·invStd·γ + β. Saves μ_B and invStd = 1/√(σ²_B + eps) per channel for the backward,
     * and updates the running statistics the PyTorch way: running = (1 − m)·running + m·batch, with the
     * unbiased variance σ²_B·M/(M − 1), M = N·H·W.
     */
    void batchNormTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                               float momentum, float eps, Tensor y, Tensor saveMean, Tensor saveInvStd);

    /** Inference-mode batch norm with the running statistics. */
    void batchNormInferenceForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                   float eps, Tensor y);

    /** Backward of {@link #batchNormTrainForward}: dx overwritten, dGamma/dBeta accumulated (nullable). */
    void batchNormTrainBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
                                Tensor dx, Tensor dGamma, Tensor dBeta);

    /**
     * y = max({@link #batchNormTrainForward}, 0): a batch norm followed by a ReLU (pre-activation blocks). Backends
     * that can fuse the ReLU into the batch norm's last pass override this; the default runs the two operations.
     */
    default void batchNormReluTrainForward(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                           float momentum, float eps, Tensor y, Tensor saveMean, Tensor saveInvStd) {
        batchNormTrainForward(x, gamma, beta, runningMean, runningVar, momentum, eps, y, saveMean, saveInvStd);
        relu(y, y);
    }

    /**
     * Backward of {@link #batchNormReluTrainForward}, y its output, beta the β it ran with, and dy the gradient at y: dx
     * overwritten, dGamma/dBeta accumulated (nullable). The default runs ReLU's backward into a scratch tensor, then the
     * batch norm's; a backend whose forward it can replay exactly may recompute where the ReLU passed from x and β
     * instead of reading y (CpuBackend's native kernels).
     */
    default void batchNormReluTrainBackward(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor beta, Tensor saveMean, Tensor saveInvStd,
                                            Tensor dx, Tensor dGamma, Tensor dBeta) {
        Tensor masked = allocate(dy.shape());
        try {
            reluBackward(y, dy, masked);
            batchNormTrainBackward(x, masked, gamma, saveMean, saveInvStd, dx, dGamma, dBeta);
        } finally {
            masked.release();
        }
    }

    /**
     * {@link #batchNormReluTrainBackward}, then dx += plus (same shape): a residual block's input gradient, the identity
     * shortcut's share added as dx is stored instead of in a pass of its own. The default runs both.
     */
    default void batchNormReluTrainBackwardPlus(Tensor x, Tensor y, Tensor dy, Tensor gamma, Tensor beta, Tensor saveMean,
                                                Tensor saveInvStd, Tensor plus, Tensor dx, Tensor dGamma, Tensor dBeta) {
        batchNormReluTrainBackward(x, y, dy, gamma, beta, saveMean, saveInvStd, dx, dGamma, dBeta);
        add(dx, plus, dx);
    }

    /** Backward of {@link #batchNormInferenceForward}: dx overwritten, dGamma/dBeta accumulated (nullable). */
    void batchNormInferenceBackward(Tensor x, Tensor dy, Tensor gamma, Tensor runningMean, Tensor runningVar,
                                    float eps, Tensor dx, Tensor dGamma, Tensor dBeta);

    // ---------------------------------------------------------------- pooling

    /** Max pooling; padded positions never win. */
    void maxPoolForward(Tensor x, Tensor y, PoolGeometry g);

    /** dx overwritten; each window's gradient goes to its first maximal input (row-major order). */
    void maxPoolBackward(Tensor x, Tensor dy, Tensor dx, PoolGeometry g);

    /**
     * ReLU then max pooling in one pass: y = maxpool(relu(x)) = relu(maxpool(x)), x the pre-activation
     * (saves the full-resolution ReLU output and a pass over it).
     */
    void reluMaxPoolForward(Tensor x, Tensor y, PoolGeometry g);

    /** Backward of {@link #reluMaxPoolForward}: as maxPoolBackward, but a window whose maximum is ≤ 0 passes no gradient. */
    void reluMaxPoolBackward(Tensor x, Tensor dy, Tensor dx, PoolGeometry g);

    /** Average pooling, padding counted in the divisor (PyTorch's count_include_pad=True). */
    void avgPoolForward(Tensor x, Tensor y, PoolGeometry g);

    void avgPoolBackward(Tensor dy, Tensor dx, PoolGeometry g);

    // ---------------------------------------------------------------- zero padding

    /**
     * y (N, C, H', W') = x (N, C, H, W) placed with its corner at (top, left), zeros elsewhere: PyTorch's
     * F.pad, which TensorFlow-trained models need for their asymmetric "SAME" padding of strided convolutions.
     */
    void zeroPad2d(Tensor x, Tensor y, int top, int left);

    /** dx (N, C, H, W) = the window of dy (N, C, H', W') with its corner at (top, left): the gradient of zeroPad2d. */
    void zeroPad2dBackward(Tensor dy, Tensor dx, int top, int left);

    // ---------------------------------------------------------------- per-channel input normalization

    /** y = (x − mean[c]) / std[c] over (N, C, H, W); mean and std are (C). */
    void normalizeChannels(Tensor x, Tensor mean, Tensor std, Tensor y);

    /** dx = dy / std[c]. */
    void normalizeChannelsBackward(Tensor dy, Tensor std, Tensor dx);

    // ---------------------------------------------------------------- row L2 normalization (cosine head)

    /** y = x / max(‖x‖, eps) row-wise over (R, D); norms (R) receives max(‖x‖, eps). */
    void l2NormalizeRows(Tensor x, Tensor y, Tensor norms, float eps);

    /** dx = (dy − y·⟨dy, y⟩) / norm, row-wise (overwritten). */
    void l2NormalizeRowsBackward(Tensor y, Tensor norms, Tensor dy, Tensor dx);

    // ---------------------------------------------------------------- losses (per example)

    /**
     * Cross-entropy of softmax(z/T) against labels, per example: loss[i] = −log softmax(z_i/T)[y_i].
     * When dLogits is not null it receives gradScale·∂loss[i]/∂z_i = gradScale·(softmax(z_i/T) − onehot)/T.
     */
    void softmaxCrossEntropy(Tensor logits, Tensor labels, float temperature, Tensor loss, Tensor dLogits, float gradScale);

    /** probs = softmax(z/T) row-wise. */
    void softmax(Tensor logits, float temperature, Tensor probs);

    /**
     * KL(softmax(p) ‖ softmax(q)) per row (TRADES). Gradients scaled by gradScale; both nullable:
     * ∂/∂q = softmax(q) − softmax(p); ∂/∂p = softmax(p)·(log softmax(p) − log softmax(q) − KL).
     */
    void klDivergence(Tensor logitsP, Tensor logitsQ, Tensor loss, Tensor dLogitsP, Tensor dLogitsQ, float gradScale);

    /**
     * MART's boosted cross-entropy per example: −log p_y − log(1 − max_{k≠y} p_k), p = softmax(z);
     * dLogits (nullable) receives gradScale·∂loss/∂z.
     */
    void boostedCrossEntropy(Tensor logits, Tensor labels, Tensor loss, Tensor dLogits, float gradScale);

    /**
     * Carlini–Wagner margin per example, the quantity an untargeted ℓ∞ CW attack ascends:
     * loss[i] = min(max_{j≠y} z_j − z_y, κ). dLogits (nullable) gets gradScale·∂loss/∂z
     * (+1 at the best other class, −1 at y; 0 once the margin reaches κ).
     */
    void marginLoss(Tensor logits, Tensor labels, float kappa, Tensor loss, Tensor dLogits, float gradScale);

    /** Class with the largest logit per row, as a host array (argmax, first on ties). */
    int[] argmaxRows(Tensor logits);

    /**
     * The argument check every backend makes for losses that compare the label with other classes (the boosted
     * cross-entropy and the margin need one other class, DLR two more): a clear error rather than an index of −1.
     */
    static void requireClasses(int k, int least, String loss) {
        if (k < least) throw new IllegalArgumentException(loss + " needs at least " + least + " classes, got " + k);
    }

    // ---------------------------------------------------------------- optimizer and attack steps

    /**
     * One SGD step with PyTorch semantics on one parameter: g = grad + wd·p; buf = g on the first step,
     * else momentum·buf + (1 − dampening)·g; g = nesterov ? g + momentum·buf : buf; p −= lr·g.
     * momentumBuf is ignored when momentum == 0.
     */
    void sgdStep(Tensor param, Tensor grad, Tensor momentumBuf, float lr, float momentum, float dampening,
                 float weightDecay, boolean nesterov, boolean firstStep);

    /**
     * The fused ℓ∞ PGD update: xAdv = clamp(clip(xAdv + step·sign(grad), xNat ± eps), 0, 1).
     * sign(0) = 0, as torch.sign.
     */
    void linfPgdStep(Tensor xAdv, Tensor grad, Tensor xNat, float step, float eps);

    /**
     * The ℓ2 PGD update per example (row): xAdv += step·g/‖g‖₂, then δ = xAdv − xNat is scaled back
     * onto the ball ‖δ‖₂ ≤ eps and the pixels clamped to [0, 1] (which only shrinks δ).
     */
    void l2PgdStep(Tensor xAdv, Tensor grad, Tensor xNat, float step, float eps);

    /** As {@link #linfPgdStep} with a step size per example: stepPerRow (N). */
    void linfPgdStepPerRow(Tensor xAdv, Tensor grad, Tensor xNat, Tensor stepPerRow, float eps);

    /**
     * As {@link #linfPgdStep} with a step and a budget per example, stepPerRow (N) and epsPerRow (N): the
     * fused update behind per-class ε (each example's ε gathered from its label), for class-aware training.
     */
    void linfPgdStepRows(Tensor xAdv, Tensor grad, Tensor xNat, Tensor stepPerRow, Tensor epsPerRow);

    /**
     * Croce and Hein's difference-of-logits-ratio loss per example, the quantity APGD-DLR ascends:
     * loss[i] = −(z_y − max_{j≠y} z_j) / (z_π1 − z_π3 + 1e-12), π sorting the logits in decreasing order.
     * dLogits (nullable) gets gradScale·∂loss/∂z. Needs at least 3 classes.
     */
    void dlrLoss(Tensor logits, Tensor labels, Tensor loss, Tensor dLogits, float gradScale);

    /** x[i, :] *= scale[i] for every row i (per-example loss weights). */
    void scaleRows(Tensor x, Tensor scale);

    /** out = logits with value added at each row's label column (HE's margin: z_y − s·m); out may alias logits. */
    void addAtLabels(Tensor logits, Tensor labels, float value, Tensor out);

    /** dst[i] = src[i] for every row i (first dimension) where mask[i] ≠ 0 (per-example worst case over restarts). */
    void copyRowsWhere(Tensor src, Tensor dst, Tensor mask);

    /** MI-FGSM's accumulation per row: buf = mu·buf + g / ‖g‖₁ (rows with ‖g‖₁ = 0 add nothing). */
    void momentumAccumulate(Tensor grad, Tensor buf, float mu);

    /** Most device memory held at once since the last {@link #resetPeakBytes()}; -1 where not tracked (host backends). */
    default long peakBytes() { return -1; }

    default void resetPeakBytes() {}

    /** Device memory held by live tensors now; -1 where not tracked (host backends). */
    default long inUseBytes() { return -1; }

    /**
     * Device memory given back by the garbage collector's Cleaner instead of by its owner ({@link Tensor#release()}):
     * 0 growth over a training step means every temporary is owned explicitly; -1 where not tracked.
     */
    default long bytesReleasedByCleaner() { return -1; }

    @Override
    default void close() {}
}
