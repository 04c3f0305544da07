package io.classwise.bench;

import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;
import io.classwise.tensor.cpu.CpuBackend;
import io.classwise.util.Rng;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The quick benchmark behind {@code engine.jar bench}: each workload is warmed up, then timed over
 * several runs; the table shows medians. JMH (benchmarks/) is the careful version of the same runs.
 */
public final class BenchRunner {
    private final int warmup, reps;
    private final PrintStream out;

    public BenchRunner(int warmup, int reps, PrintStream out) {
        this.warmup = warmup; this.reps = reps; this.out = out;
    }

    public record Result(String name, double medianSeconds, int images, double flops) {
        public double imagesPerSecond() { return images / medianSeconds; }
        public double gflops() { return flops / medianSeconds / 1e9; }
    }

    public Result measure(Workload w) {
        for (int i = 0; i < warmup; i++) w.run();
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            long start = System.nanoTime();
            w.run();
            t[i] = (System.nanoTime() - start) / 1e9;
        }
        Arrays.sort(t);
        return new Result(w.name(), t[reps / 2], w.images(), w.flops());
    }

    /** Single-threaded sgemm of (n×n)·(n×n): the ceiling a convolution on one core is compared with. */
    public Result sgemmOneThread(int n) {
        try (CpuBackend one = new CpuBackend(1)) {
            Rng rng = new Rng(5);
            Tensor a = one.allocate(n, n), b = one.allocate(n, n), c = one.allocate(n, n);
            float[] v = new float[n * n];
            for (int i = 0; i < v.length; i++) v[i] = (float) rng.uniform(-1, 1);
            a.copyFrom(v);
            b.copyFrom(v);
            return measure(new Workload() {
                public String name() { return "sgemm " + n + "x" + n + "x" + n + " (1 thread)"; }
                public int images() { return 0; }
                public double flops() { return 2.0 * n * n * n; }
                public double run() { one.gemm(false, false, n, n, n, 1f, a, b, 0f, c); return 1; }
            });
        }
    }

    /** Runs the standard table on {@code backend} at {@code batch} and prints it. */
    public List<Result> runAll(Backend backend, int batch) {
        List<Result> rows = new ArrayList<>();
        rows.add(measure(Workloads.convForward(backend, Workloads.madryConv2(batch))));
        rows.add(measure(Workloads.convInputGradient(backend, Workloads.madryConv2(batch))));
        rows.add(measure(Workloads.pgdStep(backend, "madry-cnn", batch)));
        rows.add(measure(Workloads.pgdStep(backend, "small-cnn", batch)));
        out.printf(Locale.ROOT, "%-48s %12s %12s %10s%n", "workload (batch " + batch + ", " + backend.name() + ")", "median ms", "images/s", "GFLOP/s");
        for (Result r : rows) {
            out.printf(Locale.ROOT, "%-48s %12.2f %12.1f %10s%n", r.name(), r.medianSeconds() * 1e3, r.imagesPerSecond(),
                    r.flops() > 0 ? String.format(Locale.ROOT, "%.1f", r.gflops()) : "-");
        }
        return rows;
    }

    /** Conv forward on one thread against one-thread sgemm: the fraction of the BLAS ceiling reached. */
    public void convVersusSgemm(int batch) {
        Result gemm = sgemmOneThread(1024);
        Result conv;
        try (CpuBackend one = new CpuBackend(1)) {
            conv = measure(Workloads.convForward(one, Workloads.madryConv2(batch)));
        }
        out.printf(Locale.ROOT, "%-48s %12.2f %12s %10.1f%n", gemm.name(), gemm.medianSeconds() * 1e3, "-", gemm.gflops());
        out.printf(Locale.ROOT, "%-48s %12.2f %12.1f %10.1f%n", conv.name() + " (1 thread)", conv.medianSeconds() * 1e3, conv.imagesPerSecond(), conv.gflops());
        out.printf(Locale.ROOT, "conv2d forward reaches %.0f%% of single-core sgemm GFLOP/s%n", 100 * conv.gflops() / gemm.gflops());
    }
}
