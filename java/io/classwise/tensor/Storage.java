package io.classwise.tensor;

/** Where a backend keeps a tensor's numbers. Each backend has its own implementation. */
public interface Storage {
    /** Number of floats this storage can hold. */
    int capacity();
}
