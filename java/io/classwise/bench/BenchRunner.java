package io.classwise.bench;

import io.classwise.tensor.Backend;
import io.classwise.tensor.Precision;
import io.classwise.tensor.Backends;
import io.classwise.tensor.Tensor;
import io.classwise.tensor.ConvGeometry;
import io.classwise.util.Rng;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.io.IOException;
import java.util.Comparator;

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
        try (Backend one = Backends.createCpu(1, "best")) {
            Result r = gemmPeak(one, n);
            return new Result("sgemm " + n + "x" + n + "x" + n + " (1 thread)", r.medianSeconds(), 0, r.flops());
        }
    }

    /** Runs {@code spec} with every Backend call timed and prints the operations by total time. */
    public void profile(Backend backend, Workloads.Spec spec, int batch) {
        BackendProfile p = new BackendProfile(backend);
        try (Workload w = Workloads.create(p.backend(), spec, batch)) {
            for (int i = 0; i < warmup; i++) w.run();
            p.reset();
            long start = System.nanoTime();
            for (int i = 0; i < reps; i++) w.run();
            double perRun = (System.nanoTime() - start) / 1e6 / reps;
            p.print(String.format(Locale.ROOT, "%s (batch %d, %s, %.1f ms per run wall)", w.name(), batch, backend.name(), perRun),
                    reps, out);
        }
    }

    /** Runs the standard table on {@code backend} at {@code batch} and prints it. */
    public List<Result> runAll(Backend backend, int batch, List<Workloads.Spec> workloads) {
        List<Result> rows = new ArrayList<>();
        if (!backend.name().equals("cuda") || batch <= 128) {
            rows.add(measure(Workloads.convForward(backend, Workloads.madryConv2(batch))));
            rows.add(measure(Workloads.convInputGradient(backend, Workloads.madryConv2(batch))));
        }
        for (Workloads.Spec spec : workloads) {
            try (Workload w = Workloads.create(backend, spec, batch)) {
                backend.resetPeakBytes();
                Result r = measure(w);
                rows.add(new Result(r.name() + (backend.peakBytes() >= 0 ? String.format(Locale.ROOT, " (peak %.0f MiB)",
                        backend.peakBytes() / 1048576.0) : ""),
                        r.medianSeconds(), r.images(), r.flops()));
            }
        }
        out.printf(Locale.ROOT, "%-72s %12s %12s %10s%n", "workload (batch " + batch + ", " + backend.name() + ")", "median ms",
                "images/s", "GFLOP/s");
        for (Result r : rows) {
            out.printf(Locale.ROOT, "%-72s %12.2f %12.1f %10s%n", r.name(), r.medianSeconds() * 1e3, r.imagesPerSecond(),
                    r.flops() > 0 ? String.format(Locale.ROOT, "%.1f", r.gflops()) : "-");
        }
        return rows;
    }

    /**
     * Conv forward on one thread, with each convolution algorithm this machine runs, against the
     * faster of two one-thread 1024³ sgemms: OpenBLAS's, and the widest implicit-GEMM micro-kernel's on
     * the same product posed as a 1×1 convolution. Measured in one run.
     */
    public void convVersusSgemm(int batch) {
        List<Result> ceilings = new ArrayList<>(List.of(sgemmOneThread(1024)));
        List<Result> convs = new ArrayList<>();
        // Without native/cpu only IM2COL_SGEMM is available, and runs with the Java loops.
        for (String algorithm : Backends.cpuConvolutionAlgorithms()) {
            try (Backend one = Backends.createCpu(1, algorithm)) {
                Result conv = measure(Workloads.convForward(one, Workloads.madryConv2(batch)));
                convs.add(new Result(conv.name() + " [" + algorithm + ", 1 thread]", conv.medianSeconds(), conv.images(), conv.flops()));
                if (algorithm.equals(Backends.bestCpuConvolution()) && !algorithm.equals("IM2COL_SGEMM")) {
                    Result gemm = measure(Workloads.convForward(one, new ConvGeometry(1, 1024, 32, 32, 1024, 1, 1, 1, 0)));
                    ceilings.add(new Result("sgemm 1024x1024x1024 as a 1x1 conv [" + algorithm + ", 1 thread]",
                            gemm.medianSeconds(), 0, gemm.flops()));
                }
            }
        }
        Result ceiling = ceilings.stream().max(Comparator.comparingDouble(Result::gflops)).orElseThrow();
        for (Result r : ceilings) out.printf(Locale.ROOT, "%-72s %12.2f %12s %10.1f%n", r.name(), r.medianSeconds() * 1e3, "-", r.gflops());
        for (Result r : convs) out.printf(Locale.ROOT, "%-72s %12.2f %12.1f %10.1f%n", r.name(), r.medianSeconds() * 1e3,
                r.imagesPerSecond(), r.gflops());
        out.println("OpenBLAS kernels: " + Backends.blasCores());
        Result blas = ceilings.get(0);
        for (Result r : convs) {
            out.printf(Locale.ROOT, "%s reaches %.0f%% of OpenBLAS's single-core sgemm (%.1f GFLOP/s) and %.0f%% of the fastest (%s, %.1f GFLOP/s)%n",
                    r.name(), 100 * r.gflops() / blas.gflops(), blas.gflops(), 100 * r.gflops() / ceiling.gflops(), ceiling.name(), ceiling.gflops());
        }
    }

    /** (n×n)·(n×n) on {@code backend} with all its threads, in its arithmetic: the GEMM peak a whole step is measured against. */
    public Result gemmPeak(Backend backend, int n) {
        Rng rng = new Rng(5);
        Tensor a = backend.allocate(n, n), b = backend.allocate(n, n), c = backend.allocate(n, n);
        float[] v = new float[n * n];
        for (int i = 0; i < v.length; i++) v[i] = (float) rng.uniform(-1, 1);
        a.copyFrom(v);
        b.copyFrom(v);
        String name = "gemm " + n + "x" + n + "x" + n + " [" + Backends.arithmeticOf(backend) + ", " + Backends.threadsOf(backend) + " threads]";
        try {
            return measure(new Workload() {
                public String name() { return name; }
                public int images() { return 0; }
                public double flops() { return 2.0 * n * n * n; }
                public double run() { backend.gemm(false, false, n, n, n, 1f, a, b, 0f, c); return 1; }
            });
        } finally {
            Tensor.release(a, b, c);
        }
    }

    /** One row of {@link #stepEfficiency}: a workload's rate, the FLOPs of its products, and the share of its arithmetic's peak. */
    public record Efficiency(String workload, String arithmetic, double imagesPerSecond, double gflopPerRun, double gflops, double peakGflops) {
        public double shareOfPeak() { return gflops / peakGflops; }
    }

    /**
     * For each backend (one per arithmetic: fp32, bf16) and workload: images/s, the convolution and matrix-product
     * FLOPs of one run (counted through {@link BackendProfile}), their rate, and its share of that arithmetic's GEMM
     * peak on the same threads (the larger of 1024³ and 2048³) — how much of the step is not multiplication.
     */
    public List<Efficiency> stepEfficiency(List<Backend> backends, List<Workloads.Spec> specs, int batch) {
        List<Efficiency> rows = new ArrayList<>();
        List<Result> peaks = new ArrayList<>();
        for (Backend b : backends) {
            Result peak = List.of(gemmPeak(b, 1024), gemmPeak(b, 2048)).stream().max(Comparator.comparingDouble(Result::gflops)).orElseThrow();
            peaks.add(peak);
            for (Workloads.Spec spec : specs) {
                BackendProfile counter = new BackendProfile(b);
                double gflop;
                try (Workload w = Workloads.create(counter.backend(), spec, batch)) {
                    w.run();
                    counter.reset();
                    w.run();
                    gflop = counter.flopsPerRun(1) / 1e9;
                }
                Result r;
                try (Workload w = Workloads.create(b, spec, batch)) {
                    r = measure(w);
                }
                rows.add(new Efficiency(r.name() + " (batch " + batch + ")", Backends.arithmeticOf(b), r.imagesPerSecond(), gflop,
                        gflop / r.medianSeconds(), peak.gflops()));
            }
        }
        for (Result p : peaks) out.printf(Locale.ROOT, "GEMM peak: %s %.1f GFLOP/s%n", p.name(), p.gflops());
        out.println();
        out.println("| workload | arithmetic | images/s | GFLOP of products per step | GFLOP/s | share of that arithmetic's GEMM peak |");
        out.println("|---|---|---:|---:|---:|---:|");
        for (Efficiency e : rows) {
            out.printf(Locale.ROOT, "| %s | %s | %.1f | %.2f | %.1f | %.0f %% of %.0f |%n", e.workload(), e.arithmetic(), e.imagesPerSecond(),
                    e.gflopPerRun(), e.gflops(), 100 * e.shareOfPeak(), e.peakGflops());
        }
        return rows;
    }

    /** One row of the side-by-side table: medians over rounds; PyTorch fast mode is NaN off CUDA. */
    public record Comparison(String kind, String architecture, int batch, String arithmetic, String pytorchMode, double classwise,
                             double pytorchEager, double pytorchFast, long peakBytes, long pytorchPeakBytes) {
        public double ratioEager() { return classwise / pytorchEager; }
        public double ratioFast() { return classwise / pytorchFast; }
    }

    /**
     * Runs each workload alternately in Classwise and in PyTorch ({@code rounds} times each, so a noisy
     * machine affects both alike) and prints a Markdown table of images/second and their ratio. On the CPU
     * each backend is compared with PyTorch in the same arithmetic: fp32 with eager fp32, bf16 with eager
     * bf16 autocast (oneDNN); on CUDA also with PyTorch's fast mode.
     */
    public List<Comparison> compare(List<Backend> backends, int threads, List<Workloads.Spec> workloads, int[] batches,
            PytorchReference torch, int rounds)
            throws IOException {
        String device = backends.get(0).name().equals("cuda") ? "cuda" : "cpu";
        boolean fast = device.equals("cuda");
        List<Comparison> rows = new ArrayList<>();
        for (Workloads.Spec spec : workloads) {
            String kind = spec.kind(), arch = spec.architecture();
            for (int batch : batches) {
                for (Backend backend : backends) {
                    String arithmetic = Backends.arithmeticOf(backend);
                    String mode = fast || backend.precision() == Precision.FP32 ? "eager" : "bf16";
                    double[] ours = new double[rounds], eager = new double[rounds], compiled = new double[rounds];
                    long peak = -1, torchPeak = -1;
                    try (Workload w = Workloads.create(backend, spec, batch)) {
                        for (int r = 0; r < rounds; r++) {
                            backend.resetPeakBytes();
                            ours[r] = measure(w).imagesPerSecond();
                            peak = Math.max(peak, backend.peakBytes());
                            PytorchReference.Measurement m = torch.measure(device, kind, arch, batch, threads, mode, warmup, reps);
                            eager[r] = m.imagesPerSecond();
                            torchPeak = Math.max(torchPeak, m.peakBytes());
                            compiled[r] = fast ? torch.measure(device, kind, arch, batch, threads, "fast", warmup,
                                    reps).imagesPerSecond() : Double.NaN;
                        }
                    }
                    Comparison c = new Comparison(kind, arch, batch, arithmetic, mode, median(ours), median(eager), median(compiled), peak,
                            torchPeak);
                    rows.add(c);
                    out.printf(Locale.ROOT, "%s:%s batch %d, %s: Classwise %.1f images/s, PyTorch %s %.1f (%.2fx)%n", kind, arch, batch,
                            arithmetic, c.classwise(), mode, c.pytorchEager(), c.ratioEager());
                }
            }
        }
        out.println();
        out.printf(Locale.ROOT, "| workload | batch | Classwise arithmetic | Classwise images/s | PyTorch | PyTorch images/s | ratio |%s%n",
                fast ? " PyTorch fast images/s | ratio | Classwise peak MiB | PyTorch peak MiB |" : "");
        out.printf("|---|---:|---|---:|---|---:|---:|%s%n", fast ? "---:|---:|---:|---:|" : "");
        for (Comparison c : rows) {
            String torchLabel = c.pytorchMode().equals("bf16") ? "eager, bf16 autocast" : "eager fp32";
            out.printf(Locale.ROOT, "| %s:%s | %d | %s | %.1f | %s | %.1f | %.2f× |", c.kind(), c.architecture(), c.batch(), c.arithmetic(),
                    c.classwise(), torchLabel, c.pytorchEager(), c.ratioEager());
            if (fast) {
                out.printf(Locale.ROOT, " %.1f | %.2f× | %.0f | %.0f |", c.pytorchFast(), c.ratioFast(), c.peakBytes() / 1048576.0,
                        c.pytorchPeakBytes() / 1048576.0);
            }
            out.println();
        }
        if (!fast) {
            out.println();
            out.println("Classwise: convolutions " + Backends.convolutionOf(backends.get(0)) + "; OpenBLAS kernels: " + Backends.blasCores()
                    + "; bf16 kernel: " + Backends.bf16KernelChoice());
            out.println("PyTorch: " + torch.version() + ", OpenBLAS kernels " + torch.blasCore() + "; bf16 autocast runs its convolutions "
                    + "and matrix products in oneDNN (" + torch.onednnIsa() + ")");
        }
        return rows;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

}
