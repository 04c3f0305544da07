package io.classwise.tensor.cuda;

/** A failed CUDA, cuBLAS or cuDNN call, named with its status and what was being done. */
public final class CudaException extends RuntimeException {
    public CudaException(String message) { super(message); }
}
