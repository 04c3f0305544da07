package io.classwise.benchmarks;

import io.classwise.bench.Workload;
import io.classwise.bench.Workloads;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Backends;
import io.classwise.tensor.Precision;
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
 * The bf16 kernels of the CPU backend (native/cpu/classwise_bf16.h, classwise_amx_conv.h) on the hot path's shapes:
 * a convolution's forward and input gradient, and a linear layer's forward + input gradient, per --bf16-kernel
 * (auto = what this CPU picks; amx, avx512-bf16, portable or emulated, the fp32 kernels on rounded operands) and
 * against fp32. Before timing, each kernel's answer is checked against the emulation (the same products, summed
 * in another order): a kernel that is fast and wrong is not worth timing.
 *   java -jar target/benchmarks.jar Bf16Benchmark -p bf16Kernel=auto,emulated,fp32
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class Bf16Benchmark {
    @Param({"128"}) int batch;
    @Param({"0"}) int threads;
    /** A --bf16-kernel value, or fp32 for the fp32 kernels side by side. */
    @Param({"auto", "emulated", "fp32"}) String bf16Kernel;
    @Param({"madry-conv2", "resnet-3x3"}) String geometry;

    Backend backend;
    Workload forward, inputGradient, linear;

    private Backend create() {
        return bf16Kernel.equals("fp32") ? Backends.create("cpu", threads)
                : Backends.create("cpu", threads, false, Precision.BF16, bf16Kernel);
    }

    @Setup(Level.Trial)
    public void setup() {
        backend = create();
        forward = Workloads.convForward(backend, Workloads.conv(geometry, batch));
        inputGradient = Workloads.convInputGradient(backend, Workloads.conv(geometry, batch));
        linear = Workloads.linear(backend, batch);
        // bf16 kernels against the emulation, fp32 against the reference loops; bf16 rounding of the operands is the same
        // on both sides, so the tolerance covers only the order of the fp32 sums.
        try (Backend reference = bf16Kernel.equals("fp32") ? Backends.create("reference", 1)
                : Backends.create("cpu", threads, false, Precision.BF16, "emulated"); Backend small = create()) {
            Workloads.verifyConvolution(small, reference, geometry);
            Workloads.verify(Workloads.linear(small, 4), Workloads.linear(reference, 4), 1e-3, 1e-3);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() { backend.close(); }

    @Benchmark
    public double conv2dForward() { return forward.run(); }

    @Benchmark
    public double conv2dInputGradient() { return inputGradient.run(); }

    @Benchmark
    public double linearForwardAndInputGradient() { return linear.run(); }
}
