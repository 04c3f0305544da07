package io.classwise.benchmarks;

import io.classwise.bench.Workload;
import io.classwise.bench.Workloads;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Backends;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Plain row-major products C = A · B on the CPU backend: "best" takes the micro-kernel GEMM where it handles the shape
 * (a few rows times a wide matrix: RowsTimesWideGemm), IM2COL_SGEMM is the backend without micro-kernels, so OpenBLAS
 * sgemm. The default shapes: Madry CNN's linear1 input gradient, and a square product (OpenBLAS in both).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GemmBenchmark {
    @Param({"128x3136x1024", "1024x1024x1024"}) String shape;
    @Param({"0"}) int threads;
    @Param({"best", "IM2COL_SGEMM"}) String algorithm;

    Backend backend;
    Workload product;

    @Setup(Level.Trial)
    public void setup() {
        backend = Backends.createCpu(threads, algorithm);
        product = Workloads.gemm(backend, shape);
        // Check the answer once before timing against the reference loops (sums of up to a few thousand products).
        try (Backend reference = Backends.create("reference", 1)) {
            Workloads.verify(product, Workloads.gemm(reference, shape), 1e-4, 1e-4);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() { backend.close(); }

    @Benchmark
    public double gemm() { return product.run(); }
}
