package io.classwise.api;

import io.classwise.analysis.Diagnosis;
import io.classwise.data.DatasetId;
import io.classwise.data.DemoData;
import io.classwise.data.InMemoryDataset;
import io.classwise.data.Split;
import io.classwise.nn.Model;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.tensor.Backend;
import io.classwise.train.RunDirectory;
import io.classwise.util.OutputPaths;
import io.classwise.train.TrainConfig;
import io.classwise.train.Trainer;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * The class-wise pipeline on the Fashion-MNIST subset inside the jar, sized for a 2-core machine without a
 * GPU: PGD adversarial training of the small CNN, a naturally trained surrogate for the transfer attack,
 * then every analysis and the report ({@code demo}).
 */
public final class Demo {
    private Demo() {}

    /** out: the run directory (replaced if it holds a demo); removal: run the class-removal experiment (two more trainings). */
    public record Request(Path out, int epochs, int trainExamples, int evalExamples, long seed, boolean progress, boolean removal) {}

    /** The demo's training recipe: the small CNN, ε = 0.1, PGD-5 training, PGD-10 evaluation. */
    public static TrainConfig recipe(String method, int epochs, int trainExamples, int evalExamples, long seed) {
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

    public static void run(Request r, Backend b, PrintStream out) throws Exception {
        InMemoryDataset train = DemoData.fashionMnist(Split.TRAIN), test = DemoData.fashionMnist(Split.TEST);
        RunDirectory run = new RunDirectory(r.out());
        // The demo's directory is its own: a second demo replaces the first, and nothing else (not even another run).
        OutputPaths.checkDirectory(r.out(), "--out", true, d -> RunDirectory.holdsRun(d) && RunDirectory.holdsRun(d.resolve("surrogate")),
                "a previous demo (a run with its surrogate/)", List.of());
        out.println("Classwise demo: PGD adversarial training (ε = 0.1) of a small CNN on " + r.trainExamples()
                + " real Fashion-MNIST images (embedded subset), " + r.epochs() + " epochs, on " + b.name());
        new Trainer(recipe("pgd-at", r.epochs(), r.trainExamples(), r.evalExamples(), r.seed()), b, DatasetId.FASHION_MNIST, train, test, run,
                out, r.progress()).overwrite(true).fit(false);
        out.println("training a naturally trained surrogate for the transfer attack ...");
        RunDirectory surrogateRun = new RunDirectory(r.out().resolve("surrogate"));
        new Trainer(recipe("natural", 1, r.trainExamples(), 100, r.seed() + 1), b, DatasetId.FASHION_MNIST, train, test, surrogateRun,
                new PrintStream(OutputStream.nullOutputStream()), false).overwrite(true).fit(false);
        Model surrogate = Checkpoint.load(b, surrogateRun.finalWeights());
        Diagnosis.Settings s = new Diagnosis.Settings();
        s.eps = 0.1f;
        s.step = 0.025f;
        s.steps = 20;
        s.seed = r.seed();
        // 60 per class: enough correctly classified examples that the class-removal source has ≥ 5 to measure on.
        s.reachableExamples = 600;
        s.squareQueries = 200;
        RunDiagnosis.run(b, run, s, r.evalExamples(), surrogate, null,
                r.removal() ? List.of() : null, out);
    }
}
