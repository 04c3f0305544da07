package io.classwise.tensor.cuda;

import io.classwise.tensor.ConvGeometry;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudnn;
import org.bytedeco.javacpp.FloatPointer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.classwise.tensor.cuda.Cuda.checkCublas;
import static io.classwise.tensor.cuda.Cuda.checkCudnn;

/**
 * cuDNN for convolutions and training-mode batch norm, cuBLAS for dense products, on the runtime's stream.
 * fp32 by default (cuBLAS pedantic math, cuDNN FMA math): results match the CPU backend to float32 rounding;
 * {@code tf32} lets convolutions and GEMMs use tensor cores.
 */
final class CudnnCublas implements VendorLibraries {
    /** Largest cuDNN workspace an algorithm may ask for. */
    private static final long WORKSPACE_LIMIT = 512L << 20;
    private static final float BN_EPS = 1e-5f;

    private final cublasContext blas = new cublasContext();
    private final cudnnContext dnn = new cudnnContext();
    private final DeviceAllocator allocator;
    private final boolean tf32;
    private final Map<ConvGeometry, ConvolutionPlan> convPlans = new HashMap<>();
    private final Map<List<Integer>, cudnnTensorStruct[]> bnDescriptors = new HashMap<>();
    private final FloatPointer one = new FloatPointer(1f), zero = new FloatPointer(0f), alphaHost = new FloatPointer(1), betaHost = new FloatPointer(1);
    private DeviceAllocator.Block workspace;

    CudnnCublas(CUstream_st stream, DeviceAllocator allocator, boolean tf32) {
        this.allocator = allocator;
        this.tf32 = tf32;
        checkCublas(cublas.cublasCreate_v2(blas), "cublasCreate");
        checkCublas(cublas.cublasSetStream_v2(blas, stream), "cublasSetStream");
        checkCublas(cublas.cublasSetMathMode(blas, tf32 ? cublas.CUBLAS_TF32_TENSOR_OP_MATH : cublas.CUBLAS_PEDANTIC_MATH),
                "cublasSetMathMode");
        int status;
        try {
            status = cudnn.cudnnCreate(dnn);
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalStateException("--device cuda: cuDNN 9 could not be loaded (" + e.getMessage()
                    + "); install cuDNN 9 or put it on LD_LIBRARY_PATH");
        }
        checkCudnn(status, "cudnnCreate");
        checkCudnn(cudnn.cudnnSetStream(dnn, stream), "cudnnSetStream");
    }

    String version() { return "cuDNN " + cudnn.cudnnGetVersion(); }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, long b, float beta, long c) {
        // Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: swap the operands.
        // Host scalars are read during the call (cuBLAS's default host pointer mode), so two preallocated slots serve every call.
        alphaHost.put(alpha);
        betaHost.put(beta);
        checkCublas(cublas.cublasSgemm_v2(blas, transB ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N, transA ? cublas.CUBLAS_OP_T
                        : cublas.CUBLAS_OP_N, n, m, k, alphaHost, Cuda.floatsAt(b), transB ? k : n, Cuda.floatsAt(a), transA ? m : k,
                betaHost, Cuda.floatsAt(c), n), "cublasSgemm");
    }

    private ConvolutionPlan plan(ConvGeometry g) {
        ConvolutionPlan p = convPlans.computeIfAbsent(g, geometry -> new ConvolutionPlan(dnn, geometry, tf32, WORKSPACE_LIMIT));
        if (workspace == null || workspace.bytes() < p.workspaceBytes) {
            if (workspace != null) allocator.release(workspace);
            workspace = allocator.allocate(Math.max(p.workspaceBytes, 1));
        }
        return p;
    }

    @Override
    public void conv2dForward(long x, long w, long bias, long y, ConvGeometry g) {
        ConvolutionPlan p = plan(g);
        checkCudnn(cudnn.cudnnConvolutionForward(dnn, one, p.x, Cuda.at(x), p.w, Cuda.at(w), p.forward, p.forwardAlgo,
                Cuda.at(workspace.address()), workspace.bytes(), zero, p.y, Cuda.at(y)), "cudnnConvolutionForward " + g);
        if (bias != 0) checkCudnn(cudnn.cudnnAddTensor(dnn, one, p.bias, Cuda.at(bias), one, p.y, Cuda.at(y)), "cudnnAddTensor(bias)");
    }

    @Override
    public void conv2dBackwardData(long dy, long w, long dx, ConvGeometry g) {
        ConvolutionPlan p = plan(g);
        checkCudnn(cudnn.cudnnConvolutionBackwardData(dnn, one, p.w, Cuda.at(w), p.y, Cuda.at(dy), p.backwardData, p.backwardDataAlgo,
                Cuda.at(workspace.address()), workspace.bytes(), zero, p.x, Cuda.at(dx)), "cudnnConvolutionBackwardData " + g);
    }

    @Override
    public void conv2dBackwardFilter(long x, long dy, long dw, long dBias, ConvGeometry g) {
        ConvolutionPlan p = plan(g);
        checkCudnn(cudnn.cudnnConvolutionBackwardFilter(dnn, one, p.x, Cuda.at(x), p.y, Cuda.at(dy), p.backwardFilter, p.backwardFilterAlgo,
                Cuda.at(workspace.address()), workspace.bytes(), one, p.w, Cuda.at(dw)), "cudnnConvolutionBackwardFilter " + g);
        if (dBias != 0) checkCudnn(cudnn.cudnnConvolutionBackwardBias(dnn, one, p.y, Cuda.at(dy), one, p.bias, Cuda.at(dBias)),
                "cudnnConvolutionBackwardBias");
    }

    /** {x/y descriptor (N, C, H, W), per-channel descriptor (1, C, 1, 1)} for a shape. */
    private cudnnTensorStruct[] bn(int[] nchw) {
        return bnDescriptors.computeIfAbsent(List.of(nchw[0], nchw[1], nchw[2], nchw[3]), key -> {
            cudnnTensorStruct data = new cudnnTensorStruct(), channel = new cudnnTensorStruct();
            checkCudnn(cudnn.cudnnCreateTensorDescriptor(data), "cudnnCreateTensorDescriptor");
            checkCudnn(cudnn.cudnnCreateTensorDescriptor(channel), "cudnnCreateTensorDescriptor");
            checkCudnn(cudnn.cudnnSetTensor4dDescriptor(data, cudnn.CUDNN_TENSOR_NCHW, cudnn.CUDNN_DATA_FLOAT, nchw[0], nchw[1], nchw[2], nchw[3]),
                    "cudnnSetTensor4dDescriptor(bn)");
            checkCudnn(cudnn.cudnnSetTensor4dDescriptor(channel, cudnn.CUDNN_TENSOR_NCHW, cudnn.CUDNN_DATA_FLOAT, 1, nchw[1], 1, 1),
                    "cudnnSetTensor4dDescriptor(bn)");
            return new cudnnTensorStruct[] {data, channel};
        });
    }

    @Override
    public void batchNormTrainForward(long x, long gamma, long beta, long runningMean, long runningVar, float momentum, float eps, long y,
                                      long saveMean, long saveInvStd, int[] nchw) {
        cudnnTensorStruct[] d = bn(nchw);
        // cuDNN's running-statistics update is PyTorch's: (1 − m)·running + m·batch, unbiased variance.
        checkCudnn(cudnn.cudnnBatchNormalizationForwardTraining(dnn, cudnn.CUDNN_BATCHNORM_SPATIAL, one, zero, d[0], Cuda.at(x),
                d[0], Cuda.at(y), d[1], Cuda.at(gamma), Cuda.at(beta), momentum, Cuda.at(runningMean), Cuda.at(runningVar), eps,
                Cuda.at(saveMean), Cuda.at(saveInvStd)), "cudnnBatchNormalizationForwardTraining");
    }

    @Override
    public void batchNormInferenceForward(long x, long gamma, long beta, long runningMean, long runningVar, float eps, long y, int[] nchw) {
        cudnnTensorStruct[] d = bn(nchw);
        checkCudnn(cudnn.cudnnBatchNormalizationForwardInference(dnn, cudnn.CUDNN_BATCHNORM_SPATIAL, one, zero, d[0], Cuda.at(x), d[0],
                Cuda.at(y), d[1], Cuda.at(gamma), Cuda.at(beta), Cuda.at(runningMean), Cuda.at(runningVar), eps),
                "cudnnBatchNormalizationForwardInference");
    }

    @Override
    public void batchNormTrainBackward(long x, long dy, long gamma, long saveMean, long saveInvStd, long dx, long dGamma, long dBeta,
                                       int[] nchw) {
        cudnnTensorStruct[] d = bn(nchw);
        // cuDNN writes both parameter gradients; with beta = 1 it accumulates.
        checkCudnn(cudnn.cudnnBatchNormalizationBackward(dnn, cudnn.CUDNN_BATCHNORM_SPATIAL, one, zero, one, one, d[0], Cuda.at(x), d[0],
                Cuda.at(dy), d[0], Cuda.at(dx), d[1], Cuda.at(gamma), Cuda.at(dGamma), Cuda.at(dBeta), BN_EPS, Cuda.at(saveMean),
                Cuda.at(saveInvStd)), "cudnnBatchNormalizationBackward");
    }

    @Override
    public void close() {
        if (workspace != null) allocator.release(workspace);
        cudnn.cudnnDestroy(dnn);
        cublas.cublasDestroy_v2(blas);
    }
}
