package io.classwise.train;

import io.classwise.data.DatasetId;
import io.classwise.data.DemoData;
import io.classwise.data.Split;
import io.classwise.tensor.cpu.CpuBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real learning on real Fashion-MNIST (the embedded subset): a short PGD adversarial training run
 * is clearly more robust under the same PGD attack than natural training, and its per-class robust
 * accuracies spread out (the class-wise phenomenon the study is about).
 */
class RealAdversarialTrainingTest {
    @TempDir Path dir;

    private static TrainConfig recipe(String method) {
        return Recipes.smallCnn(method, 3, 64, "multistep:3", 0.025, 5, 0.01, 20, 4000, 1000, 1);
    }

    @Test
    void adversarialTrainingIsRobustAndClassesDiffer() throws Exception {
        try (CpuBackend b = new CpuBackend(2)) {
            var train = DemoData.fashionMnist(Split.TRAIN);
            var test = DemoData.fashionMnist(Split.TEST);
            PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
            EpochMetrics nat = last(new Trainer(recipe("natural"), b, DatasetId.FASHION_MNIST, train, test,
                    new RunDirectory(dir.resolve("nat")), quiet, false).fit(false).toArray(new EpochMetrics[0]));
            EpochMetrics adv = last(new Trainer(recipe("pgd-at"), b, DatasetId.FASHION_MNIST, train, test,
                    new RunDirectory(dir.resolve("adv")), quiet, false).fit(false).toArray(new EpochMetrics[0]));
            double[] perClass = adv.testRobust().perClass();
            double min = Arrays.stream(perClass).min().orElseThrow(), max = Arrays.stream(perClass).max().orElseThrow();
            System.out.printf("natural: clean %.3f robust %.3f | pgd-at: clean %.3f robust %.3f | pgd-at per-class robust %s (gap %.3f)%n",
                    nat.testClean().overall(), nat.testRobust().overall(), adv.testClean().overall(), adv.testRobust().overall(),
                    Arrays.toString(Arrays.stream(perClass).map(v -> Math.round(v * 1000) / 1000.0).toArray()), max - min);
            assertTrue(nat.testClean().overall() > 0.7, "natural clean " + nat.testClean().overall());
            assertTrue(adv.testRobust().overall() > nat.testRobust().overall() + 0.2,
                    "PGD-AT robust " + adv.testRobust().overall() + " vs natural " + nat.testRobust().overall());
            assertTrue(max - min > 0.3, "per-class robust accuracy spreads: gap " + (max - min));
        }
    }

    private static EpochMetrics last(EpochMetrics[] m) { return m[m.length - 1]; }
}
