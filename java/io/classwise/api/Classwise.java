package io.classwise.api;

import io.classwise.analysis.ClassRobustness;
import io.classwise.analysis.FlipMatrix;
import io.classwise.attack.Attack;
import io.classwise.attack.Attacks;
import io.classwise.attack.Pgd;
import io.classwise.data.DataDirs;
import io.classwise.data.DatasetId;
import io.classwise.data.Datasets;
import io.classwise.data.DemoData;
import io.classwise.data.Image;
import io.classwise.data.ImageDataset;
import io.classwise.data.Split;
import io.classwise.data.pipeline.Transform;
import io.classwise.data.pipeline.Transforms;
import io.classwise.nn.Model;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Backends;
import io.classwise.train.Evaluation;
import io.classwise.train.RunDirectory;
import io.classwise.train.TrainConfig;
import io.classwise.train.Trainer;
import io.classwise.util.Rng;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.io.OutputStream;

/**
 * The entry point for JVM pipelines: datasets, training, checkpoints, attacks and the class-wise
 * measurements, on one backend. Everything the CLI does is reachable from here or from the packages
 * it returns (attack, analysis, train).
 */
public final class Classwise implements AutoCloseable {
    private final Backend backend;
    private final long seed;

    private Classwise(Backend backend, long seed) { this.backend = backend; this.seed = seed; }

    /** device: "auto", "cpu", "cuda" or "reference". */
    public static Classwise open(String device) { return new Classwise(Backends.create(device, 0), 0); }

    public Backend backend() { return backend; }

    /** A split of a dataset from the default data directory ($CLASSWISE_DATA or ~/.cache/classwise/datasets). */
    public static ImageDataset dataset(String name, Split split) throws IOException {
        return Datasets.load(DatasetId.parse(name), split, DataDirs.resolve(null));
    }

    /** The real Fashion-MNIST subset shipped inside the jar (10,000 train / 2,000 test images). */
    public static ImageDataset embeddedFashionMnist(Split split) throws IOException { return DemoData.fashionMnist(split); }

    public Model loadModel(Path checkpoint) throws IOException { return Checkpoint.load(backend, checkpoint); }

    /** Trains with the configuration (its dataset name picks normalisation and augmentation) and returns the model. */
    public Model train(TrainConfig config, ImageDataset train, ImageDataset test, Path runDirectory) throws IOException {
        Trainer t = new Trainer(config, backend, DatasetId.parse(config.dataset), train, test, new RunDirectory(runDirectory),
                new PrintStream(OutputStream.nullOutputStream()), false);
        t.fit(false);
        return t.model();
    }

    /** ℓ∞ PGD with random start. */
    public Attack pgd(double eps, double step, int steps) { return Pgd.pgd((float) eps, (float) step, steps, 1); }

    /** Any attack the command line has, by the same name ({@link Attacks#NAMES}) and knobs. */
    public Attack attack(String name, Attacks.Settings settings) { return Attacks.byName(name, settings); }

    /** Temperature-PGD: PGD on softmax(z/T). */
    public Attack temperaturePgd(double eps, double step, int steps, double temperature) {
        return Pgd.temperaturePgd((float) eps, (float) step, steps, (float) temperature);
    }

    /** Clean, and robust under the attack, predictions of every example. */
    public Evaluation.Predictions predict(Model model, ImageDataset data, Attack attack) {
        return Evaluation.predict(model, data, evaluationTransform(model, data), attack, 128, new Rng(seed));
    }

    /** Per-class robust accuracy under the attack, with its band, gap, spread and intervals. */
    public ClassRobustness robustness(Model model, ImageDataset data, Attack attack) {
        return ClassRobustness.of(predict(model, data, attack).robustAccuracy().perClass());
    }

    /** Where each class's examples go under the attack. */
    public FlipMatrix flipMatrix(Model model, ImageDataset data, Attack attack) {
        Evaluation.Predictions p = predict(model, data, attack);
        FlipMatrix f = new FlipMatrix(data.numClasses());
        f.add(p.labels(), p.clean(), p.robust());
        return f;
    }

    /** Identity when the images already have the model's input shape; else resize + centre crop (ImageNet-style). */
    private static Transform evaluationTransform(Model model, ImageDataset data) {
        int[] in = model.inputShape();
        Image first = data.image(0);
        if (Arrays.equals(in, new int[] {first.channels(), first.height(), first.width()})) return Transforms.identity(in);
        return Transforms.resizeCenterCrop(in[1] * 256 / 224, in[1]);
    }

    @Override
    public void close() { backend.close(); }
}
