package io.classwise.tensor.cuda;

import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.cudnn;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Status checks and raw device addresses. Only classes of this package touch
 * {@code org.bytedeco.cuda.global.*}, and only after {@link CudaProbe} found a usable GPU: on a machine
 * without the driver, touching them throws UnsatisfiedLinkError once and NoClassDefFoundError after.
 */
final class Cuda {
    private Cuda() {}

    /**
     * Runtime API: the message names the call, the error's name and its description. Errors after a
     * faulting kernel (illegal address, launch failure, ...) are sticky: every later call reports them
     * too, so the first failing call is the one to look at (rerun with CUDA_LAUNCH_BLOCKING=1 to see
     * which kernel faulted).
     */
    static void check(int status, String call) {
        if (status != cudart.cudaSuccess) {
            throw new CudaException(call + " failed: " + runtimeErrorName(status) + " ("
                    + cudart.cudaGetErrorString(status).getString() + ")",
                    status == cudart.cudaErrorMemoryAllocation);
        }
    }

    static String runtimeErrorName(int status) {
        BytePointer name = cudart.cudaGetErrorName(status);
        return name == null || name.isNull() ? "cudaError " + status : name.getString();
    }

    /** Driver API (module loading, kernel launches): named with cuGetErrorName. */
    static void checkDriver(int status, String call) {
        if (status != cudart.CUDA_SUCCESS) {
            throw new CudaException(call + " failed: " + driverErrorName(status), status == cudart.CUDA_ERROR_OUT_OF_MEMORY);
        }
    }

    static String driverErrorName(int status) {
        try (PointerPointer<BytePointer> name = new PointerPointer<>(1)) {
            if (cudart.cuGetErrorName(status, name) == cudart.CUDA_SUCCESS && !name.get(0).isNull()) return name.getString(0);
        }
        return "CUresult " + status;
    }

    static void checkCudnn(int status, String call) {
        if (status != cudnn.CUDNN_STATUS_SUCCESS) {
            throw new CudaException(call + " failed: " + cudnn.cudnnGetErrorString(status).getString() + " (cudnnStatus " + status + ")",
                    status == cudnn.CUDNN_STATUS_ALLOC_FAILED);
        }
    }

    static void checkCublas(int status, String call) {
        if (status != cublas.CUBLAS_STATUS_SUCCESS) {
            BytePointer name = cublas.cublasGetStatusName(status);
            throw new CudaException(call + " failed: " + (name == null || name.isNull() ? "cublasStatus " + status : name.getString()),
                    status == cublas.CUBLAS_STATUS_ALLOC_FAILED);
        }
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
