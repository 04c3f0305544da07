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
import java.util.concurrent.Callable;

/** {@code train}: adversarial training with per-class metrics every epoch. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model (natural, pgd-at, fgsm-rs, trades, mart, he) and record per-class clean/robust accuracy every epoch.",
                "Settings: the dataset's preset (the literature's recipe), then --config FILE, then flags. The resolved configuration is written to OUT/config.json."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--dataset", required = true, description = "mnist, fashion-mnist, cifar10, cifar100, svhn, stl10, imagenet.") String dataset;
    @Option(names = "--out", required = true, description = "Run directory (created).") Path out;
    @Option(names = "--config", description = "JSON or YAML file (.json, .yaml, .yml) with TrainConfig fields (flags override it).") Path config;
    @Option(names = "--embedded", description = "Use the Fashion-MNIST subset inside the jar (offline).") boolean embedded;
    @Option(names = "--data-dir", description = "Data directory (default: $CLASSWISE_DATA, else ~/.cache/classwise/datasets).") String dataDir;
    @Option(names = "--resume", description = "Continue OUT from its last checkpoint (same final weights as an uninterrupted run).") boolean resume;
    @Option(names = "--method") String method;
    @Option(names = "--arch", description = "madry-cnn, small-cnn, resnet18, preact-resnet18, wrn-D-W, resnet50.") String arch;
    @Option(names = "--epochs") Integer epochs;
    @Option(names = "--batch-size") Integer batchSize;
    @Option(names = "--lr") Double lr;
    @Option(names = "--schedule", description = "multistep:E1,E2 | cosine | cyclic | constant") String schedule;
    @Option(names = "--momentum") Double momentum;
    @Option(names = "--weight-decay") Double weightDecay;
    @Option(names = "--eps", description = "ℓ∞ budget in [0, 1] pixel units (e.g. 0.0313725 for 8/255).") Double eps;
    @Option(names = "--train-step") Double trainStep;
    @Option(names = "--train-steps") Integer trainSteps;
    @Option(names = "--eval-step") Double evalStep;
    @Option(names = "--eval-steps") Integer evalSteps;
    @Option(names = "--beta", description = "TRADES / MART β.") Double beta;
    @Option(names = "--he-scale") Double heScale;
    @Option(names = "--he-margin") Double heMargin;
    @Option(names = "--train-examples", description = "Balanced subset of the training set per epoch (0 = all).") Integer trainExamples;
    @Option(names = "--eval-examples", description = "Balanced subset of the test set evaluated per epoch (0 = all).") Integer evalExamples;
    @Option(names = "--seed") Long seed;
    @Option(names = "--device", description = "auto, cpu, cuda, reference.") String device;
    @Option(names = "--threads") Integer threads;
    @Option(names = "--stop-after", description = "Stop after this epoch (resume later with --resume).") Integer stopAfter;
    @Option(names = "--no-progress", description = "No progress bar.") boolean noProgress;

    @Override
    public Integer call() throws Exception {
        RunDirectory run = new RunDirectory(out);
        TrainConfig c;
        if (resume) {
            if (!Files.exists(run.config())) throw new IllegalArgumentException("--resume: " + run.config() + " does not exist");
            c = new ObjectMapper().readValue(run.config().toFile(), TrainConfig.class);
        } else {
            DatasetId id = DatasetId.parse(dataset);
            c = Presets.forDataset(id);
            if (config != null) {
                if (!Files.exists(config)) throw new IllegalArgumentException("--config: " + config + " does not exist");
                String n = config.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
                ObjectMapper reader = n.endsWith(".yaml") || n.endsWith(".yml") ? new com.fasterxml.jackson.dataformat.yaml.YAMLMapper() : new ObjectMapper();
                try {
                    reader.readerForUpdating(c).readValue(config.toFile());
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
            c.validate();
        }
        DatasetId id = DatasetId.parse(c.dataset);
        boolean embeddedData = c.source.equals("embedded");
        ImageDataset train = Datasets.load(id, Split.TRAIN, embeddedData, DataDirs.resolve(dataDir));
        ImageDataset test = Datasets.load(id, Split.TEST, embeddedData, DataDirs.resolve(dataDir));
        try (Backend b = Backends.create(c.device, c.threads)) {
            System.out.println("training " + c.architecture + " on " + c.dataset + " with " + c.method + " (" + c.epochs + " epochs, "
                    + b.name() + "); run directory " + out);
            Trainer t = new Trainer(c, b, id, train, test, run, System.out, !noProgress);
            t.fit(resume, stopAfter == null ? c.epochs : stopAfter);
        }
        System.out.println("metrics: " + run.metrics() + "\ncheckpoint: " + run.lastWeights());
        return 0;
    }

    private void apply(TrainConfig c) {
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
        // Wong et al.'s fast AT: step 1.25 ε, cyclic learning rate (peak 0.2 on CIFAR), unless set explicitly.
        if (c.method.equals("fgsm-rs") && config == null) {
            if (trainStep == null) c.trainStep = 1.25 * c.eps;
            if (schedule == null) c.schedule = "cyclic";
            if (lr == null && !c.dataset.equals("imagenet")) c.lr = 0.2;
        }
    }
}
