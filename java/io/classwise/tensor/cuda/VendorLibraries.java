package io.classwise.tensor.cuda;

import io.classwise.tensor.ConvGeometry;

/**
 * The vendor operations under {@link CudaBackend}, on device addresses, with the Backend interface's semantics
 * (convolution filter and bias gradients and batch norm's parameter gradients accumulate): {@link CudnnCublas} on
 * a GPU, {@link CpuVendorLibraries} (the CPU backend's routines on the emulated device's host memory) elsewhere.
 * Batch-norm shapes are (N, C, H, W); bias and gradient addresses may be 0 where the Backend method allows null.
 */
interface VendorLibraries extends AutoCloseable {
    /** Row-major C (m × n) = alpha·op(A)·op(B) + beta·C. */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, long b, float beta, long c);

    void conv2dForward(long x, long w, long bias, long y, ConvGeometry g);

    void conv2dBackwardData(long dy, long w, long dx, ConvGeometry g);

    void conv2dBackwardFilter(long x, long dy, long dw, long dBias, ConvGeometry g);

    void batchNormTrainForward(long x, long gamma, long beta, long runningMean, long runningVar, float momentum, float eps, long y,
                               long saveMean, long saveInvStd, int[] nchw);

    void batchNormInferenceForward(long x, long gamma, long beta, long runningMean, long runningVar, float eps, long y, int[] nchw);

    /** dGamma and dBeta are never 0 here (the backend passes scratch when the caller wants none). */
    void batchNormTrainBackward(long x, long dy, long gamma, long saveMean, long saveInvStd, long dx, long dGamma, long dBeta, int[] nchw);

    @Override
    void close();
}
