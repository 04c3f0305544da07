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
import java.util.Locale;

/**
 * cuDNN's descriptors and chosen algorithms for one convolution geometry, made once and cached by
 * the backend. Algorithms come from cuDNN's heuristics (the _v7 queries: no trial runs), taking the
 * best deterministic one whose workspace fits, so runs stay reproducible. {@code tf32}: tensor-core
 * math allowed (faster, ~10-bit mantissa products); otherwise FMA math only, true fp32 as on the CPU.
 *
 * <p>Each direction gets its own convolution descriptor whose math type is the one the heuristics
 * reported for the chosen algorithm ({@code perf.mathType()}): with TF32 allowed, the forward pass
 * may pick a tensor-op algorithm while the filter gradient picks an FMA one. The workspace is the
 * largest of the three chosen algorithms' own needs.
 */
final class ConvolutionPlan {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ConvolutionPlan.class);

    final cudnnTensorStruct x = new cudnnTensorStruct(), y = new cudnnTensorStruct(), bias = new cudnnTensorStruct();
    final cudnnFilterStruct w = new cudnnFilterStruct();
    /** The descriptor the heuristics are asked with, then one per direction with the chosen algorithm's math type. */
    private final cudnnConvolutionStruct query = new cudnnConvolutionStruct();
    final cudnnConvolutionStruct forward = new cudnnConvolutionStruct(), backwardData = new cudnnConvolutionStruct(),
            backwardFilter = new cudnnConvolutionStruct();
    final int forwardAlgo, backwardDataAlgo, backwardFilterAlgo;
    final long workspaceBytes;
    /** One line naming the chosen algorithms, their math types and workspaces (logged once per geometry). */
    final String description;

    ConvolutionPlan(cudnnContext handle, ConvGeometry g, boolean tf32, long workspaceLimit) {
        checkCudnn(cudnnCreateTensorDescriptor(x), "cudnnCreateTensorDescriptor");
        checkCudnn(cudnnCreateTensorDescriptor(y), "cudnnCreateTensorDescriptor");
        checkCudnn(cudnnCreateTensorDescriptor(bias), "cudnnCreateTensorDescriptor");
        checkCudnn(cudnnCreateFilterDescriptor(w), "cudnnCreateFilterDescriptor");
        for (cudnnConvolutionStruct c : new cudnnConvolutionStruct[] {query, forward, backwardData, backwardFilter}) {
            checkCudnn(cudnnCreateConvolutionDescriptor(c), "cudnnCreateConvolutionDescriptor");
            checkCudnn(cudnnSetConvolution2dDescriptor(c, g.pad(), g.pad(), g.stride(), g.stride(), 1, 1, CUDNN_CROSS_CORRELATION,
                    CUDNN_DATA_FLOAT),
                    "cudnnSetConvolution2dDescriptor " + g);
        }
        checkCudnn(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g.n(), g.c(), g.h(), g.w()),
                "cudnnSetTensor4dDescriptor(x) " + g);
        checkCudnn(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g.n(), g.k(), g.p(), g.q()),
                "cudnnSetTensor4dDescriptor(y) " + g);
        checkCudnn(cudnnSetTensor4dDescriptor(bias, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, g.k(), 1, 1),
                "cudnnSetTensor4dDescriptor(bias)");
        checkCudnn(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, g.k(), g.c(), g.r(), g.s()),
                "cudnnSetFilter4dDescriptor " + g);
        checkCudnn(cudnnSetConvolutionMathType(query, tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH), "cudnnSetConvolutionMathType");

        int n = 16;
        int[] returned = {0};
        cudnnConvolutionFwdAlgoPerf_t fwd = new cudnnConvolutionFwdAlgoPerf_t(n);
        checkCudnn(cudnnGetConvolutionForwardAlgorithm_v7(handle, x, w, query, y, n, returned, fwd),
                "cudnnGetConvolutionForwardAlgorithm_v7 " + g);
        long[] fa = choose(returned[0], workspaceLimit, i -> fwd.position(i).status(), i -> fwd.position(i).determinism(),
                i -> fwd.position(i).memory(), i -> fwd.position(i).algo(), i -> fwd.position(i).mathType(), tf32);
        cudnnConvolutionBwdDataAlgoPerf_t data = new cudnnConvolutionBwdDataAlgoPerf_t(n);
        checkCudnn(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, w, y, query, x, n, returned, data),
                "cudnnGetConvolutionBackwardDataAlgorithm_v7 " + g);
        long[] da = choose(returned[0], workspaceLimit, i -> data.position(i).status(), i -> data.position(i).determinism(),
                i -> data.position(i).memory(), i -> data.position(i).algo(), i -> data.position(i).mathType(), tf32);
        cudnnConvolutionBwdFilterAlgoPerf_t filter = new cudnnConvolutionBwdFilterAlgoPerf_t(n);
        checkCudnn(cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, x, y, query, w, n, returned, filter),
                "cudnnGetConvolutionBackwardFilterAlgorithm_v7 " + g);
        long[] wa = choose(returned[0], workspaceLimit, i -> filter.position(i).status(), i -> filter.position(i).determinism(),
                i -> filter.position(i).memory(), i -> filter.position(i).algo(), i -> filter.position(i).mathType(), tf32);
        if (fa == null || da == null || wa == null) throw new CudaException("cuDNN offers no deterministic algorithm within the workspace limit for " + g);
        forwardAlgo = (int) fa[0];
        backwardDataAlgo = (int) da[0];
        backwardFilterAlgo = (int) wa[0];
        workspaceBytes = Math.max(fa[1], Math.max(da[1], wa[1]));
        checkCudnn(cudnnSetConvolutionMathType(forward, (int) fa[2]), "cudnnSetConvolutionMathType(forward)");
        checkCudnn(cudnnSetConvolutionMathType(backwardData, (int) da[2]), "cudnnSetConvolutionMathType(backward data)");
        checkCudnn(cudnnSetConvolutionMathType(backwardFilter, (int) wa[2]), "cudnnSetConvolutionMathType(backward filter)");
        description = String.format(Locale.ROOT, "cuDNN %s: forward algo %d (math %d, %d B), backward-data algo %d (math %d, %d B), "
                + "backward-filter algo %d (math %d, %d B)", g, fa[0], fa[2], fa[1], da[0], da[2], da[1], wa[0], wa[2], wa[1]);
        LOG.info(description);
    }

    /**
     * {algorithm, workspace bytes, math type} of the first (best-ranked) usable, deterministic candidate
     * that fits; without TF32 only FMA-math candidates count. Null if none.
     */
    static long[] choose(int count, long limit, IntUnaryOperator status, IntUnaryOperator determinism,
                         IntToLongFunction memory, IntUnaryOperator algo, IntUnaryOperator mathType, boolean tf32) {
        for (int i = 0; i < count; i++) {
            boolean mathAllowed = tf32 || mathType.applyAsInt(i) == CUDNN_FMA_MATH || mathType.applyAsInt(i) == CUDNN_DEFAULT_MATH;
            if (status.applyAsInt(i) == CUDNN_STATUS_SUCCESS && determinism.applyAsInt(i) == CUDNN_DETERMINISTIC
                    && memory.applyAsLong(i) <= limit && mathAllowed) {
                // DEFAULT math on float data may still use TF32 on Ampere and newer: without TF32, say FMA explicitly.
                return new long[] {algo.applyAsInt(i), memory.applyAsLong(i), tf32 ? mathType.applyAsInt(i) : CUDNN_FMA_MATH};
            }
        }
        return null;
    }
}
