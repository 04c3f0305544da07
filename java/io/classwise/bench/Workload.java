package io.classwise.bench;

/** One timed unit of work on a prepared backend: the hot paths the benchmarks guard. */
public interface Workload extends AutoCloseable {
    String name();

    /** Images processed by one {@link #run()}. */
    int images();

    /** Floating-point operations of one run (0 when not meaningful). */
    double flops();

    /** Does the work once; returns a value derived from the result so the work cannot be elided. */
    double run();

    /** The result of the last run (e.g. a convolution's output), for checking it before timing; empty when there is none to compare. */
    default float[] output() { return new float[0]; }

    @Override
    default void close() {}
}
