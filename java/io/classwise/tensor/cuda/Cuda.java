package io.classwise.tensor.cuda;

import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.cudnn;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Status checks and raw device addresses. Only classes of this package touch
 * {@code org.bytedeco.cuda.global.*}, and only after {@link CudaProbe} found a usable GPU: on a machine
 * without the driver, touching them throws UnsatisfiedLinkError once and NoClassDefFoundError after.
 */
final class Cuda {
    private Cuda() {}

    static void check(int status, String call) {
        if (status != cudart.cudaSuccess) {
            throw new CudaException(call + " failed: " + cudart.cudaGetErrorString(status).getString() + " (cudaError " + status + ")");
        }
    }

    static void checkDriver(int status, String call) {
        if (status != cudart.CUDA_SUCCESS) throw new CudaException(call + " failed: CUresult " + status);
    }

    static void checkCudnn(int status, String call) {
        if (status != cudnn.CUDNN_STATUS_SUCCESS) {
            throw new CudaException(call + " failed: " + cudnn.cudnnGetErrorString(status).getString() + " (cudnnStatus " + status + ")");
        }
    }

    static void checkCublas(int status, String call) {
        if (status != cublas.CUBLAS_STATUS_SUCCESS) throw new CudaException(call + " failed: cublasStatus " + status);
    }

    /** A Pointer holding a device address (no host memory, no deallocator: device memory is the allocator's). */
    static Pointer at(long address) { return new Address(address); }

    /** The same for cuBLAS, whose bindings take FloatPointer. */
    static FloatPointer floatsAt(long address) { return new FloatAddress(address); }

    private static final class Address extends Pointer {
        Address(long address) { this.address = address; }
    }

    private static final class FloatAddress extends FloatPointer {
        FloatAddress(long address) { this.address = address; }
    }
}
