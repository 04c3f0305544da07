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

/** One ℓ∞ PGD step (forward + input-only backward + fused update) of the 28×28 models. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PgdStepBenchmark {
    @Param({"madry-cnn", "small-cnn"}) String architecture;
    @Param({"128"}) int batch;
    @Param({"cpu"}) String device;

    Backend backend;
    Workload step;

    @Setup(Level.Trial)
    public void setup() {
        backend = Backends.create(device, 0);
        step = Workloads.pgdStep(backend, architecture, batch);
    }

    @TearDown(Level.Trial)
    public void tearDown() { backend.close(); }

    @Benchmark
    public double pgdStep() { return step.run(); }
}
