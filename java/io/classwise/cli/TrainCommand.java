package io.classwise.cli;

import io.classwise.api.TrainRun;
import io.classwise.train.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code train}: adversarial training with per-class metrics every epoch. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model (natural, pgd-at, fgsm-rs, trades, mart, he; the class-aware defenses frl, cfa, dafa) and record per-class "
                + "clean/robust accuracy every epoch.",
                "Settings: the dataset's preset (the literature's recipe), then --config FILE, then flags. The resolved configuration is written to OUT/config.json."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--dataset", description = "mnist, fashion-mnist, cifar10, cifar100, svhn, stl10, imagenet (required, except with --resume).") String dataset;
    @Option(names = "--out", required = true, description = "Run directory (created).") Path out;
    @Option(names = "--config", description = "JSON or YAML file (.json, .yaml, .yml) with TrainConfig fields (flags override it).") Path config;
    @Option(names = "--embedded", description = "Use the Fashion-MNIST subset inside the jar (offline).") boolean embedded;
    @Option(names = "--synthetic", paramLabel = "N", description = "Train on N random images in the dataset's shape (no files; for smoke "
            + "tests and timing an epoch on a new machine).") Integer synthetic;
    @picocli.CommandLine.Mixin DataDirOption data = new DataDirOption();
    @Option(names = "--resume", description = "Continue OUT from its last committed epoch (same final weights as an uninterrupted run). "
            + "Flags may extend --epochs and change --device/--threads; any other flag must agree with the run's config.json.") boolean resume;
    @Option(names = "--overwrite", description = "Replace what OUT already holds (default: refuse a non-empty OUT without --resume).") boolean overwrite;
    @Option(names = "--method", description = "natural, pgd-at, fgsm-rs, trades, mart, he, frl, cfa, dafa (default: the preset's, pgd-at except "
            + "ImageNet's fgsm-rs).") String method;
    @Option(names = "--arch", description = "madry-cnn, small-cnn, resnet18, preact-resnet18, wrn-D-W, resnet50.") String arch;
    @Option(names = "--epochs", description = "Epochs (default: the preset's).") Integer epochs;
    @Option(names = "--batch-size", description = "Training batch size (default: the preset's, 128; ImageNet 256).") Integer batchSize;
    @Option(names = "--lr", description = "Peak learning rate of SGD (default: the preset's).") Double lr;
    @Option(names = "--schedule", description = "multistep:E1,E2 | cosine | cyclic | constant") String schedule;
    @Option(names = "--momentum", description = "SGD momentum (default: 0.9).") Double momentum;
    @Option(names = "--weight-decay", description = "SGD weight decay (default: the preset's).") Double weightDecay;
    @Option(names = "--eps", description = "ℓ∞ budget in [0, 1] pixel units (e.g. 0.0313725 for 8/255).") Double eps;
    @Option(names = "--train-step", description = "Step size of the training attack (default: the preset's; fgsm-rs 1.25 ε).") Double trainStep;
    @Option(names = "--train-steps", description = "Steps of the training attack (default: the preset's).") Integer trainSteps;
    @Option(names = "--eval-step", description = "Step size of the per-epoch evaluation PGD (default: the preset's).") Double evalStep;
    @Option(names = "--eval-steps", description = "Steps of the per-epoch evaluation PGD (default: the preset's).") Integer evalSteps;
    @Option(names = "--beta", description = "TRADES / MART β (frl: 1, its authors' value; else the preset's).") Double beta;
    @Option(names = "--he-scale", description = "Hypersphere embedding: cosine scale s (default: 15).") Double heScale;
    @Option(names = "--he-margin", description = "Hypersphere embedding: additive angular margin m (default: 0.2).") Double heMargin;
    @Option(names = "--fair-base", description = "cfa, dafa: the base objective, trades or pgd-at (default: trades).") String fairBase;
    @Option(names = "--frl-mode", description = "frl: reweight, remargin or reweight-remargin (default).") String frlMode;
    @Option(names = "--frl-tau-clean", description = "frl: tolerated excess of a class's clean error over the average (default: 0.1).") Double frlTauClean;
    @Option(names = "--frl-tau-boundary", description = "frl: tolerated excess of a class's boundary error over the average (default: 0.1).") Double frlTauBoundary;
    @Option(names = "--frl-rate-weight", description = "frl: the weight multipliers' rate α₁ (default: 0.05; halved every --frl-halve-every epochs).") Double frlRateWeight;
    @Option(names = "--frl-rate-margin", description = "frl: the margin multipliers' rate α₂ (default: 0.1).") Double frlRateMargin;
    @Option(names = "--frl-limit", description = "frl: bound on the sum of each weight multiplier vector, in [0, 1] (default: 0.5).") Double frlLimit;
    @Option(names = "--frl-halve-every", description = "frl: epochs between halvings of α₁ (default: 40).") Integer frlHalveEvery;
    @Option(names = "--validation-fraction", description = "frl, cfa: share of each class held out of the training set for the "
            + "policy's measurements (default: 0.02).") Double validationFraction;
    @Option(names = "--cfa-lambda-eps", description = "cfa: CCM's λ₁, ε_k = (λ₁ + A_k)·ε (default: 0.5).") Double cfaLambdaEps;
    @Option(names = "--cfa-lambda-beta", description = "cfa: CCR's λ₂ (default: 0.5).") Double cfaLambdaBeta;
    @Option(names = "--cfa-begin", description = "cfa: epochs before calibration starts (default: 0 = 5 %% of the epochs).") Integer cfaBegin;
    @Option(names = "--fawa-decay", description = "cfa: FAWA's moving-average decay (default: 0.88).") Double fawaDecay;
    @Option(names = "--fawa-threshold", description = "cfa: worst-class validation robust accuracy an epoch needs to enter FAWA (default: 0.24, "
            + "the paper's CIFAR-10 value).") Double fawaThreshold;
    @Option(names = "--dafa-lambda", description = "dafa: λ (default: 1.0).") Double dafaLambda;
    @Option(names = "--dafa-warmup", description = "dafa: the epoch after which the class weights are set (default: 0 = 70/110 of the epochs).") Integer dafaWarmup;
    @Option(names = "--train-examples", description = "Balanced subset of the training set per epoch (0 = all).") Integer trainExamples;
    @Option(names = "--eval-examples", description = "Balanced subset of the test set evaluated per epoch (0 = all).") Integer evalExamples;
    @Option(names = "--seed", description = "One seed for data order, initialisation and attack starts (default: 0).") Long seed;
    @Option(names = "--device", description = "auto, cpu, cuda, cuda:N, reference, or cuda-emulated (a slow correctness device).") String device;
    @Option(names = "--threads", description = "CPU threads (default: all cores).") Integer threads;
    @Option(names = "--precision", description = "fp32 (default), or bf16: convolutions and GEMMs on bf16 operands with fp32 accumulation and "
            + "fp32 master weights (CPU: AMX tiles or vdpbf16ps where the CPU has them, else emulated; not yet on CUDA).") String precision;
    @Option(names = "--bf16-kernel", description = "With --precision bf16: auto (default; `info` says which), amx, avx512-bf16, "
            + "portable or emulated.") String bf16Kernel;
    @Option(names = "--init", description = "Start from these weights instead of a random initialisation (a checkpoint or a run "
            + "directory of the same architecture), e.g. FRL's fine-tuning of a pre-trained model.") String init;
    @Option(names = "--stop-after", description = "Stop after this epoch (resume later with --resume).") Integer stopAfter;
    @Option(names = "--no-progress", description = "No progress bar.") boolean noProgress;

    /** TrainConfig field → the flag that sets it, in the order of the options above. */
    private static final Map<String, String> FLAG_OF = new LinkedHashMap<>();

    static {
        String[][] pairs = {{"method", "--method"}, {"architecture", "--arch"}, {"epochs", "--epochs"}, {"batchSize", "--batch-size"},
            {"lr", "--lr"}, {"schedule", "--schedule"}, {"momentum", "--momentum"}, {"weightDecay", "--weight-decay"}, {"eps", "--eps"},
            {"trainStep", "--train-step"}, {"trainSteps", "--train-steps"}, {"evalStep", "--eval-step"}, {"evalSteps", "--eval-steps"},
            {"beta", "--beta"}, {"heScale", "--he-scale"}, {"heMargin", "--he-margin"}, {"trainExamples", "--train-examples"},
            {"fairBase", "--fair-base"}, {"frlMode", "--frl-mode"}, {"frlTauClean", "--frl-tau-clean"},
            {"frlTauBoundary", "--frl-tau-boundary"}, {"frlRateWeight", "--frl-rate-weight"}, {"frlRateMargin", "--frl-rate-margin"},
            {"frlLimit", "--frl-limit"}, {"frlHalveEvery", "--frl-halve-every"}, {"validationFraction", "--validation-fraction"},
            {"cfaLambdaEps", "--cfa-lambda-eps"}, {"cfaLambdaBeta", "--cfa-lambda-beta"}, {"cfaBegin", "--cfa-begin"},
            {"fawaDecay", "--fawa-decay"}, {"fawaThreshold", "--fawa-threshold"}, {"dafaLambda", "--dafa-lambda"},
            {"dafaWarmup", "--dafa-warmup"},
            {"evalExamples", "--eval-examples"}, {"seed", "--seed"}, {"device", "--device"}, {"threads", "--threads"},
            {"precision", "--precision"}, {"bf16Kernel", "--bf16-kernel"}, {"init", "--init"}};
        for (String[] p : pairs) FLAG_OF.put(p[0], p[1]);
    }

    @Spec CommandSpec spec;

    /** The flags the user gave (the options left null were not given), by TrainConfig field name. */
    private Map<String, Object> flags() {
        Map<String, Object> f = new LinkedHashMap<>();
        FLAG_OF.forEach((field, flag) -> {
            Object value = spec.findOption(flag).getValue();
            if (value != null) f.put(field, value);
        });
        return f;
    }

    @Override
    public Integer call() throws Exception {
        TrainRun.run(new TrainRun.Request(out, dataset, config, embedded, synthetic, resume, overwrite, flags(), FLAG_OF, data.dataDir, stopAfter,
                !noProgress), System.out);
        RunDirectory run = new RunDirectory(out);
        System.out.println("metrics: " + run.metrics() + "\ncheckpoint: " + run.lastWeights());
        return 0;
    }
}
