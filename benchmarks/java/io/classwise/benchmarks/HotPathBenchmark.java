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
 * The hot path beyond convolution (ConvBenchmark), one workload per parameter value: the linear
 * layer, training-mode batch norm, the fused attack update, one PGD step (forward + input-only
 * backward + update) and a whole PGD-10 adversarial training step of each small model (the same
 * code as {@code engine.jar bench}; see io.classwise.bench.Workloads).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HotPathBenchmark {
    @Param({"linear", "batchnorm", "pgd-update", "pgd-step:madry-cnn", "pgd-step:small-cnn", "pgd10-train:madry-cnn", "pgd10-train:small-cnn"})
    String workload;
    @Param({"128"}) int batch;
    @Param({"cpu"}) String device;

    Backend backend;
    Workload work;

    @Setup(Level.Trial)
    public void setup() {
        backend = Backends.create(device, 0);
        work = switch (workload) {
            case "linear" -> Workloads.linear(backend, batch);
            case "batchnorm" -> Workloads.batchNorm(backend, batch);
            case "pgd-update" -> Workloads.pgdUpdate(backend, batch);
            default -> Workloads.create(backend, Workloads.Spec.parse(workload), batch);
        };
        // A workload that returns a non-finite value (a diverged step, NaN logits) is broken: refuse to time it.
        double first = work.run();
        if (!Double.isFinite(first)) throw new IllegalStateException(workload + " returned " + first + " on its first run");
    }

    @TearDown(Level.Trial)
    public void tearDown() { backend.close(); }

    @Benchmark
    public double run() { return work.run(); }
}
