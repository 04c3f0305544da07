package io.classwise.cli;

import io.classwise.analysis.Diagnosis;
import io.classwise.data.DatasetId;
import io.classwise.data.DemoData;
import io.classwise.data.InMemoryDataset;
import io.classwise.data.Split;
import io.classwise.nn.Model;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.nn.checkpoint.Safetensors;
import io.classwise.tensor.Backend;
import io.classwise.train.RunDirectory;
import io.classwise.train.TrainConfig;
import io.classwise.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import io.classwise.api.RunDiagnosis;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Locale;

/**
 * {@code demo}: the class-wise pipeline on the Fashion-MNIST subset inside the jar, sized for a
 * 2-core machine without a GPU: PGD adversarial training of the small CNN, a naturally trained
 * surrogate for the transfer attack, then every analysis.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Adversarially train a small CNN on the embedded real Fashion-MNIST subset and run the class-wise analyses (offline, a few minutes on 2 cores).")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/demo", description = "Run directory (default: ${DEFAULT-VALUE}).") Path out;
    @Option(names = "--epochs", defaultValue = "3", description = "PGD-AT epochs (default: ${DEFAULT-VALUE}).") int epochs;
    @Option(names = "--train-examples", defaultValue = "5000", description = "Balanced training subset per epoch (default: ${DEFAULT-VALUE}).") int trainExamples;
    @Option(names = "--eval-examples", defaultValue = "1000", description = "Balanced test subset evaluated and diagnosed (default: ${DEFAULT-VALUE}).") int evalExamples;
    @Option(names = "--seed", defaultValue = "0", description = "One seed for data order, initialisation and attack starts (default: ${DEFAULT-VALUE}).") long seed;
    @picocli.CommandLine.Mixin BackendOptions backend;
    @Option(names = "--no-progress", description = "No progress bar.") boolean noProgress;
    @Option(names = "--no-removal", description = "Skip the class-removal experiment (two more trainings).") boolean noRemoval;

    static TrainConfig recipe(String method, int epochs, int trainExamples, int evalExamples, long seed) {
        TrainConfig c = new TrainConfig();
        c.dataset = DatasetId.FASHION_MNIST.cliName;
        c.source = "embedded";
        c.architecture = "small-cnn";
        c.method = method;
        c.epochs = epochs;
        c.batchSize = 64;
        c.lr = 0.05;
        c.schedule = "multistep:" + Math.max(1, epochs - 1);
        c.weightDecay = 5e-4;
        c.eps = 0.1;
        c.trainStep = 0.025;
        c.trainSteps = 5;
        c.evalStep = 0.025;
        c.evalSteps = 10;
        c.trainExamples = trainExamples;
        c.evalExamples = evalExamples;
        c.seed = seed;
        return c;
    }

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        InMemoryDataset train = DemoData.fashionMnist(Split.TRAIN), test = DemoData.fashionMnist(Split.TEST);
        try (Backend b = backend.create()) {
            RunDirectory run = new RunDirectory(out);
            System.out.println("Classwise demo: PGD adversarial training (ε = 0.1) of a small CNN on " + trainExamples
                    + " real Fashion-MNIST images (embedded subset), " + epochs + " epochs, on " + b.name());
            // The demo's directory is its own: a second demo replaces the first.
            new Trainer(recipe("pgd-at", epochs, trainExamples, evalExamples, seed), b, DatasetId.FASHION_MNIST, train, test, run,
                    System.out, !noProgress)
                    .overwrite(true).fit(false);
            System.out.println("training a naturally trained surrogate for the transfer attack ...");
            RunDirectory surrogateRun = new RunDirectory(out.resolve("surrogate"));
            new Trainer(recipe("natural", 1, trainExamples, 100, seed + 1), b, DatasetId.FASHION_MNIST, train, test, surrogateRun,
                    new PrintStream(OutputStream.nullOutputStream()), false).overwrite(true).fit(false);
            Model surrogate = Checkpoint.load(b, surrogateRun.lastWeights());
            Diagnosis.Settings s = new Diagnosis.Settings();
            s.eps = 0.1f;
            s.step = 0.025f;
            s.steps = 20;
            s.seed = seed;
            // 60 per class: enough correctly classified examples that the class-removal source has ≥ 5 to measure on.
            s.reachableExamples = 600;
            s.squareQueries = 200;
            RunDiagnosis.run(b, run, Safetensors.read(run.lastWeights()).metadata(), s, evalExamples, surrogate, null,
                    noRemoval ? null : List.of(), System.out);
        }
        System.out.printf(Locale.ROOT, "demo finished in %.0f s; results in %s (metrics.jsonl, checkpoints/, analysis/, plots/, report.html)%n",
                (System.nanoTime() - t0) / 1e9, out.toAbsolutePath());
        return 0;
    }
}
