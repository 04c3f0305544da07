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
 * Madry CNN conv2 (32→64, 5×5, 14×14): forward and input gradient, per backend, thread count and, on
 * the CPU, convolution algorithm ("best" = what the backend picks here; or a CpuConvolution name).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ConvBenchmark {
    @Param({"128"}) int batch;
    @Param({"cpu"}) String device;
    @Param({"0"}) int threads;
    @Param({"best", "IM2COL_SGEMM"}) String algorithm;
    @Param({"madry-conv2", "resnet-3x3"}) String geometry;

    Backend backend;
    Workload forward, inputGradient;

    @Setup(Level.Trial)
    public void setup() {
        backend = algorithm.equals("best") || !device.equals("cpu") ? Backends.create(device, threads)
                : Backends.createCpu(threads, algorithm);
        forward = Workloads.convForward(backend, Workloads.conv(geometry, batch));
        inputGradient = Workloads.convInputGradient(backend, Workloads.conv(geometry, batch));
        // Check the answers once before timing, on a small batch against the reference loops.
        try (Backend reference = Backends.create("reference", 1); Backend small = algorithm.equals("best") || !device.equals("cpu")
                ? Backends.create(device, threads) : Backends.createCpu(threads, algorithm)) {
            Workloads.verifyConvolution(small, reference, geometry);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() { backend.close(); }

    @Benchmark
    public double conv2dForward() { return forward.run(); }

    @Benchmark
    public double conv2dInputGradient() { return inputGradient.run(); }
}
