package io.classwise.tensor;

/**
 * Where a backend keeps a tensor's numbers. Each backend has its own implementation.
 *
 * <p>Memory is owned explicitly: whoever allocated a tensor (a {@code Tape}, an attack's scratch, a
 * trainer's buffers) releases it when done, and any use after that fails loudly, on every backend, so
 * that the CPU tests catch an ownership mistake that would be a silent use-after-free on the GPU.
 */
public interface Storage {
    /** Number of floats this storage can hold. */
    int capacity();

    /** Gives the memory back now (idempotent). Every later use of a tensor on it throws. */
    void release();

    /** Whether {@link #release()} was called. */
    boolean released();
}
