package io.classwise.tensor.cuda;

import io.classwise.tensor.ConvGeometry;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdDataAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdFilterAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;

import java.util.function.IntToLongFunction;
import java.util.function.IntUnaryOperator;

import static io.classwise.tensor.cuda.Cuda.checkCudnn;
import static org.bytedeco.cuda.global.cudnn.*;

/**
 * cuDNN's descriptors and chosen algorithms for one convolution geometry, made once and cached by
 * the backend. Algorithms come from cuDNN's heuristics (the _v7 queries: no trial runs), taking the
 * best deterministic one whose workspace fits, so runs stay reproducible. {@code tf32}: tensor-core
 * math (faster, ~10-bit mantissa products); otherwise FMA math, true fp32 as on the CPU.
 */
final class ConvolutionPlan {
    final cudnnTensorStruct x = new cudnnTensorStruct(), y = new cudnnTensorStruct(), bias = new cudnnTensorStruct();
    final cudnnFilterStruct w = new cudnnFilterStruct();
    final cudnnConvolutionStruct conv = new cudnnConvolutionStruct();
    final int forwardAlgo, backwardDataAlgo, backwardFilterAlgo;
    final long workspaceBytes;

    ConvolutionPlan(cudnnContext handle, ConvGeometry g, boolean tf32, long workspaceLimit) {
        checkCudnn(cudnnCreateTensorDescriptor(x), "cudnnCreateTensorDescriptor");
        checkCudnn(cudnnCreateTensorDescriptor(y), "cudnnCreateTensorDescriptor");
        checkCudnn(cudnnCreateTensorDescriptor(bias), "cudnnCreateTensorDescriptor");
        checkCudnn(cudnnCreateFilterDescriptor(w), "cudnnCreateFilterDescriptor");
        checkCudnn(cudnnCreateConvolutionDescriptor(conv), "cudnnCreateConvolutionDescriptor");
        checkCudnn(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g.n(), g.c(), g.h(), g.w()), "cudnnSetTensor4dDescriptor(x) " + g);
        checkCudnn(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g.n(), g.k(), g.p(), g.q()), "cudnnSetTensor4dDescriptor(y) " + g);
        checkCudnn(cudnnSetTensor4dDescriptor(bias, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, g.k(), 1, 1), "cudnnSetTensor4dDescriptor(bias)");
        checkCudnn(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, g.k(), g.c(), g.r(), g.s()), "cudnnSetFilter4dDescriptor " + g);
        checkCudnn(cudnnSetConvolution2dDescriptor(conv, g.pad(), g.pad(), g.stride(), g.stride(), 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                "cudnnSetConvolution2dDescriptor " + g);
        checkCudnn(cudnnSetConvolutionMathType(conv, tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH), "cudnnSetConvolutionMathType");

        int n = 16;
        int[] returned = {0};
        cudnnConvolutionFwdAlgoPerf_t fwd = new cudnnConvolutionFwdAlgoPerf_t(n);
        checkCudnn(cudnnGetConvolutionForwardAlgorithm_v7(handle, x, w, conv, y, n, returned, fwd), "cudnnGetConvolutionForwardAlgorithm_v7 " + g);
        long[] fa = choose(returned[0], workspaceLimit, i -> fwd.position(i).status(), i -> fwd.position(i).determinism(),
                i -> fwd.position(i).memory(), i -> fwd.position(i).algo());
        cudnnConvolutionBwdDataAlgoPerf_t data = new cudnnConvolutionBwdDataAlgoPerf_t(n);
        checkCudnn(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, w, y, conv, x, n, returned, data), "cudnnGetConvolutionBackwardDataAlgorithm_v7 " + g);
        long[] da = choose(returned[0], workspaceLimit, i -> data.position(i).status(), i -> data.position(i).determinism(),
                i -> data.position(i).memory(), i -> data.position(i).algo());
        cudnnConvolutionBwdFilterAlgoPerf_t filter = new cudnnConvolutionBwdFilterAlgoPerf_t(n);
        checkCudnn(cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, x, y, conv, w, n, returned, filter),
                "cudnnGetConvolutionBackwardFilterAlgorithm_v7 " + g);
        long[] wa = choose(returned[0], workspaceLimit, i -> filter.position(i).status(), i -> filter.position(i).determinism(),
                i -> filter.position(i).memory(), i -> filter.position(i).algo());
        if (fa == null || da == null || wa == null) throw new CudaException("cuDNN offers no deterministic algorithm within the workspace limit for " + g);
        forwardAlgo = (int) fa[0];
        backwardDataAlgo = (int) da[0];
        backwardFilterAlgo = (int) wa[0];
        workspaceBytes = Math.max(fa[1], Math.max(da[1], wa[1]));
    }

    /** {algorithm, workspace bytes} of the first (best-ranked) usable, deterministic candidate that fits; null if none. */
    private static long[] choose(int count, long limit, IntUnaryOperator status, IntUnaryOperator determinism,
                                 IntToLongFunction memory, IntUnaryOperator algo) {
        for (int i = 0; i < count; i++) {
            if (status.applyAsInt(i) == CUDNN_STATUS_SUCCESS && determinism.applyAsInt(i) == CUDNN_DETERMINISTIC && memory.applyAsLong(i) <= limit) {
                return new long[] {algo.applyAsInt(i), memory.applyAsLong(i)};
            }
        }
        return null;
    }
}
