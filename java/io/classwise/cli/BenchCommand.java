package io.classwise.cli;

import io.classwise.bench.BenchRunner;
import io.classwise.bench.PytorchReference;
import io.classwise.bench.Workloads;
import io.classwise.tensor.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import io.classwise.tensor.Backends;
import io.classwise.tensor.Precision;

/** Prints images/second for the hot-path workloads (JMH in benchmarks/ is the careful version). */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Time the hot path and print a table: conv2d forward / input-gradient, one PGD step, one PGD-10 "
                + "training step and PGD-20 evaluation.",
                "With --compare-pytorch, the same workloads run in PyTorch (benchmarks/pytorch_reference.py, packed in the jar) "
                + "between Classwise's runs, and a table of both and their ratio is printed.",
                "On the CPU, without --precision, every workload runs in fp32 and in bf16 (compared with PyTorch's eager fp32 and "
                + "its bf16 autocast)."})
final class BenchCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin BackendOptions backend;

    @Option(names = "--batch", split = ",", description = "Batch size(s), comma-separated (default: 128 on cpu; 128,512 on cuda).")
    int[] batches;

    @Option(names = "--reps", defaultValue = "7", description = "Timed runs per workload; the median is shown (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed runs first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--workload", split = ",", description = "KIND:ARCH to compare, KIND one of pgd-step, pgd10-train, pgd20-eval "
            + "(default: the PGD step and PGD-10 training step of madry-cnn and small-cnn on cpu; on cuda PGD-10 training and "
            + "PGD-20 evaluation of preact-resnet18 and PGD-10 training of wrn-34-10).")
    List<String> workloads;

    @Option(names = "--compare-pytorch", description = "Also run the workloads in PyTorch, alternating with Classwise, and print the ratio.")
    boolean comparePytorch;

    @Option(names = "--python", defaultValue = "python3", description = "Python interpreter with torch for --compare-pytorch (default: ${DEFAULT-VALUE}).")
    String python;

    @Option(names = "--rounds", defaultValue = "3", description = "With --compare-pytorch: alternating rounds per workload; medians are shown (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--profile", description = "Instead of the table: time every Backend operation of the workloads and print "
            + "where each one's time goes (CPU backends; a CUDA call returns before the GPU finishes).")
    boolean profile;

    @Option(names = "--efficiency", description = "Also print, per workload and arithmetic, the FLOPs of its convolutions and products, "
            + "their rate, and its share of that arithmetic's GEMM peak on the same threads (default on the CPU unless --compare-pytorch or --profile).")
    Boolean efficiency;

    @Override
    public Integer call() throws Exception {
        boolean batchesDefaulted = batches == null;
        if (batchesDefaulted) batches = new int[] {128};
        for (int batch : batches) if (batch < 1) throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
        if (reps < 1) throw new IllegalArgumentException("--reps must be >= 1, got " + reps);
        if (rounds < 1) throw new IllegalArgumentException("--rounds must be >= 1, got " + rounds);
        BenchRunner runner = new BenchRunner(Math.max(0, warmup), reps, System.out);
        List<Backend> opened = new ArrayList<>();
        try {
            Backend first = backend.create();
            opened.add(first);
            boolean cuda = first.name().equals("cuda"), cpu = first.name().equals("cpu");
            // On the CPU, without --precision: fp32 and bf16 side by side (bf16 with the kernel --bf16-kernel names)
            if (cpu && !backend.precisionGiven()) opened.add(backend.create(Precision.BF16));
            System.out.println("arithmetic: " + opened.stream().map(Backends::arithmeticOf).toList()
                    + (cpu ? "; bf16 kernel on this CPU: " + Backends.bf16KernelChoice() : ""));
            if (cuda && batchesDefaulted) batches = new int[] {128, 512};
            List<Workloads.Spec> chosen = (workloads != null ? workloads : cuda
                    ? List.of("pgd10-train:preact-resnet18", "pgd20-eval:preact-resnet18", "pgd10-train:wrn-34-10")
                    : List.of("pgd-step:madry-cnn", "pgd-step:small-cnn", "pgd10-train:madry-cnn", "pgd10-train:small-cnn"))
                    .stream().map(Workloads.Spec::parse).toList();
            if (profile) {
                for (Backend b : opened) for (int batch : batches) for (Workloads.Spec spec : chosen) runner.profile(b, spec, batch);
                return 0;
            }
            if (comparePytorch) {
                runner.compare(opened, Backends.threadsOf(first), chosen, batches, PytorchReference.start(python), rounds);
                if (Boolean.TRUE.equals(efficiency)) for (int batch : batches) runner.stepEfficiency(opened, chosen, batch);
                return 0;
            }
            for (Backend b : opened) for (int batch : batches) runner.runAll(b, batch, chosen);
            if (cpu) runner.convVersusSgemm(Arrays.stream(batches).max().getAsInt());
            if (cpu ? !Boolean.FALSE.equals(efficiency) : Boolean.TRUE.equals(efficiency)) {
                for (int batch : batches) runner.stepEfficiency(opened, chosen.stream().filter(s -> !s.kind().equals("pgd-step")).toList(), batch);
            }
        } finally {
            for (Backend b : opened) b.close();
        }
        return 0;
    }
}
