package io.classwise.tensor.cuda;

/**
 * A failed CUDA, cuBLAS or cuDNN call: the message names the call and the error (its name, e.g.
 * cudaErrorIllegalAddress, and description). {@link #outOfMemory()} is true only for an allocation
 * failure, so "out of GPU memory" is never said of a faulting kernel.
 */
public final class CudaException extends RuntimeException {
    private final boolean outOfMemory;

    public CudaException(String message) { this(message, false); }

    public CudaException(String message, boolean outOfMemory) {
        super(message);
        this.outOfMemory = outOfMemory;
    }

    public boolean outOfMemory() { return outOfMemory; }
}
