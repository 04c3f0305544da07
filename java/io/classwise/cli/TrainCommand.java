package io.classwise.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.data.DataDirs;
import io.classwise.data.DatasetId;
import io.classwise.data.Datasets;
import io.classwise.data.ImageDataset;
import io.classwise.data.Split;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Backends;
import io.classwise.train.Presets;
import io.classwise.train.RunDirectory;
import io.classwise.train.TrainConfig;
import io.classwise.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code train}: adversarial training with per-class metrics every epoch. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model (natural, pgd-at, fgsm-rs, trades, mart, he) and record per-class clean/robust accuracy every epoch.",
                "Settings: the dataset's preset (the literature's recipe), then --config FILE, then flags. The resolved configuration is written to OUT/config.json."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--dataset", description = "mnist, fashion-mnist, cifar10, cifar100, svhn, stl10, imagenet (required, except with --resume).") String dataset;
    @Option(names = "--out", required = true, description = "Run directory (created).") Path out;
    @Option(names = "--config", description = "JSON or YAML file (.json, .yaml, .yml) with TrainConfig fields (flags override it).") Path config;
    @Option(names = "--embedded", description = "Use the Fashion-MNIST subset inside the jar (offline).") boolean embedded;
    @Option(names = "--synthetic", paramLabel = "N", description = "Train on N random images in the dataset's shape (no files; for smoke "
            + "tests and timing an epoch on a new machine).") Integer synthetic;
    @Option(names = "--data-dir", description = "Data directory (default: $CLASSWISE_DATA, else ~/.cache/classwise/datasets).") String dataDir;
    @Option(names = "--resume", description = "Continue OUT from its last committed epoch (same final weights as an uninterrupted run). "
            + "Flags may extend --epochs and change --device/--threads; any other flag must agree with the run's config.json.") boolean resume;
    @Option(names = "--overwrite", description = "Replace what OUT already holds (default: refuse a non-empty OUT without --resume).") boolean overwrite;
    @Option(names = "--method", description = "natural, pgd-at, fgsm-rs, trades, mart, he (default: the preset's, pgd-at except ImageNet's fgsm-rs).") String method;
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
    @Option(names = "--beta", description = "TRADES / MART β.") Double beta;
    @Option(names = "--he-scale", description = "Hypersphere embedding: cosine scale s (default: 15).") Double heScale;
    @Option(names = "--he-margin", description = "Hypersphere embedding: additive angular margin m (default: 0.2).") Double heMargin;
    @Option(names = "--train-examples", description = "Balanced subset of the training set per epoch (0 = all).") Integer trainExamples;
    @Option(names = "--eval-examples", description = "Balanced subset of the test set evaluated per epoch (0 = all).") Integer evalExamples;
    @Option(names = "--seed", description = "One seed for data order, initialisation and attack starts (default: 0).") Long seed;
    @Option(names = "--device", description = "auto, cpu, cuda, reference.") String device;
    @Option(names = "--threads", description = "CPU threads (default: all cores).") Integer threads;
    @Option(names = "--stop-after", description = "Stop after this epoch (resume later with --resume).") Integer stopAfter;
    @Option(names = "--no-progress", description = "No progress bar.") boolean noProgress;

    @Override
    public Integer call() throws Exception {
        RunDirectory run = new RunDirectory(out);
        TrainConfig c;
        if (out.toString().isBlank()) throw new IllegalArgumentException("--out must name a directory, got an empty path");
        if (stopAfter != null && stopAfter < 1) throw new IllegalArgumentException("--stop-after must be >= 1, got " + stopAfter);
        if (resume) {
            if (overwrite) throw new IllegalArgumentException("--resume and --overwrite exclude each other");
            if (!Files.exists(run.config())) throw new IllegalArgumentException("--resume: " + run.config() + " does not exist");
            TrainConfig saved = new ObjectMapper().readValue(run.config().toFile(), TrainConfig.class);
            c = resumed(saved);
            if (c.epochs != saved.epochs) {
                io.classwise.util.AtomicFiles.write(run.config(), o -> o.write(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(c)));
            }
        } else {
            if (dataset == null) throw new IllegalArgumentException("--dataset is required (mnist, fashion-mnist, cifar10, cifar100, svhn, stl10, imagenet)");
            DatasetId id = DatasetId.parse(dataset);
            c = Presets.forDataset(id);
            if (config != null) {
                if (!Files.exists(config)) throw new IllegalArgumentException("--config: " + config + " does not exist");
                String n = config.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
                ObjectMapper reader = n.endsWith(".yaml") || n.endsWith(".yml") ? new com.fasterxml.jackson.dataformat.yaml.YAMLMapper() : new ObjectMapper();
                // epochs: 1.7 is a mistake, not 1 epoch
                reader.disable(com.fasterxml.jackson.databind.DeserializationFeature.ACCEPT_FLOAT_AS_INT);
                try {
                    com.fasterxml.jackson.databind.JsonNode tree = reader.readTree(config.toFile());
                    if (tree == null || !tree.isObject()) {
                        throw new IllegalArgumentException("--config " + config + ": expected an object of TrainConfig fields (e.g. epochs: 10), got "
                                + (tree == null ? "nothing" : tree.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
                    }
                    reader.readerForUpdating(c).readValue(tree);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalArgumentException("--config " + config + ": " + e.getOriginalMessage()
                            + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
                }
            }
            apply(c);
            if (embedded) {
                if (id != DatasetId.FASHION_MNIST) throw new IllegalArgumentException("--embedded is only available for fashion-mnist");
                c.source = "embedded";
            }
            if (synthetic != null) {
                if (embedded) throw new IllegalArgumentException("--synthetic and --embedded exclude each other");
                if (synthetic < 1) throw new IllegalArgumentException("--synthetic must be >= 1, got " + synthetic);
                c.source = "synthetic:" + synthetic;
            }
            c.validate();
        }
        DatasetId id = DatasetId.parse(c.dataset);
        boolean embeddedData = c.source.equals("embedded");
        ImageDataset train, test;
        if (c.source.startsWith("synthetic:")) {
            int n = Integer.parseInt(c.source.substring("synthetic:".length()));
            train = Datasets.synthetic(id, Split.TRAIN, n, c.seed);
            test = Datasets.synthetic(id, Split.TEST, n, c.seed);
        } else {
            train = Datasets.load(id, Split.TRAIN, embeddedData, DataDirs.resolve(dataDir));
            test = Datasets.load(id, Split.TEST, embeddedData, DataDirs.resolve(dataDir));
        }
        try (Backend b = Backends.create(c.device, c.threads)) {
            System.out.println("training " + c.architecture + " on " + c.dataset + " with " + c.method + " (" + c.epochs + " epochs, "
                    + b.name() + "); run directory " + out);
            Trainer t = new Trainer(c, b, id, train, test, run, System.out, !noProgress).overwrite(overwrite);
            t.fit(resume, stopAfter == null ? c.epochs : stopAfter);
            if (b.peakBytes() > 0) System.out.printf(java.util.Locale.ROOT, "peak device memory: %.1f MiB%n", b.peakBytes() / 1048576.0);
        }
        System.out.println("metrics: " + run.metrics() + "\ncheckpoint: " + run.lastWeights());
        return 0;
    }

    /**
     * The saved configuration with what a resumed run may change: more --epochs, another --device or
     * --threads. Any other flag that disagrees with config.json is an error naming it (it would silently
     * make the resumed run a different experiment).
     */
    private TrainConfig resumed(TrainConfig saved) {
        if (config != null) throw new IllegalArgumentException("--config cannot change a run being resumed (" + out + "/config.json is its recipe)");
        if (dataset != null && !DatasetId.parse(dataset).cliName.equals(saved.dataset)) {
            throw new IllegalArgumentException("--dataset " + dataset + " contradicts the run being resumed (dataset " + saved.dataset + ")");
        }
        if ((embedded && !saved.source.equals("embedded")) || (synthetic != null && !saved.source.equals("synthetic:" + synthetic))) {
            throw new IllegalArgumentException((embedded ? "--embedded" : "--synthetic") + " contradicts the run being resumed (data: " + saved.source + ")");
        }
        ObjectMapper m = new ObjectMapper();
        TrainConfig wanted = m.convertValue(m.valueToTree(saved), TrainConfig.class);
        applyFlags(wanted);
        com.fasterxml.jackson.databind.JsonNode a = m.valueToTree(saved), b = m.valueToTree(wanted);
        Map<String, String> flagOf = Map.ofEntries(Map.entry("method", "--method"), Map.entry("architecture", "--arch"),
                Map.entry("batchSize", "--batch-size"), Map.entry("lr", "--lr"), Map.entry("schedule", "--schedule"), Map.entry("momentum", "--momentum"),
                Map.entry("weightDecay", "--weight-decay"), Map.entry("eps", "--eps"), Map.entry("trainStep", "--train-step"),
                Map.entry("trainSteps", "--train-steps"), Map.entry("evalStep", "--eval-step"), Map.entry("evalSteps", "--eval-steps"),
                Map.entry("beta", "--beta"), Map.entry("heScale", "--he-scale"), Map.entry("heMargin", "--he-margin"),
                Map.entry("trainExamples", "--train-examples"), Map.entry("evalExamples", "--eval-examples"), Map.entry("seed", "--seed"));
        for (Map.Entry<String, String> f : flagOf.entrySet()) {
            if (!a.path(f.getKey()).equals(b.path(f.getKey()))) {
                throw new IllegalArgumentException(f.getValue() + " " + b.path(f.getKey()).asText() + " contradicts the run being resumed ("
                        + f.getValue() + " " + a.path(f.getKey()).asText() + " in " + out.resolve("config.json") + "); resume without it, or start a new run");
            }
        }
        if (wanted.epochs < saved.epochs) {
            throw new IllegalArgumentException("--epochs " + wanted.epochs + " is fewer than the run's " + saved.epochs + "; a resumed run can only be extended");
        }
        wanted.validate();
        return wanted;
    }

    private void apply(TrainConfig c) {
        applyFlags(c);
        // Wong et al.'s fast AT: step 1.25 ε, cyclic learning rate (peak 0.2 on CIFAR), unless set explicitly.
        if (c.method.equals("fgsm-rs") && config == null) {
            if (trainStep == null) c.trainStep = 1.25 * c.eps;
            if (schedule == null) c.schedule = "cyclic";
            if (lr == null && !c.dataset.equals("imagenet")) c.lr = 0.2;
        }
    }

    private void applyFlags(TrainConfig c) {
        if (method != null) c.method = method;
        if (arch != null) c.architecture = arch;
        if (epochs != null) c.epochs = epochs;
        if (batchSize != null) c.batchSize = batchSize;
        if (lr != null) c.lr = lr;
        if (schedule != null) c.schedule = schedule;
        if (momentum != null) c.momentum = momentum;
        if (weightDecay != null) c.weightDecay = weightDecay;
        if (eps != null) c.eps = eps;
        if (trainStep != null) c.trainStep = trainStep;
        if (trainSteps != null) c.trainSteps = trainSteps;
        if (evalStep != null) c.evalStep = evalStep;
        if (evalSteps != null) c.evalSteps = evalSteps;
        if (beta != null) c.beta = beta;
        if (heScale != null) c.heScale = heScale;
        if (heMargin != null) c.heMargin = heMargin;
        if (trainExamples != null) c.trainExamples = trainExamples;
        if (evalExamples != null) c.evalExamples = evalExamples;
        if (seed != null) c.seed = seed;
        if (device != null) c.device = device;
        if (threads != null) c.threads = threads;
    }
}
