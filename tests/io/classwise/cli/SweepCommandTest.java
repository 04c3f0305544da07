package io.classwise.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sweep} without Spark: the grid one run after the other, resumable; a bad spec refused before anything runs. */
class SweepCommandTest extends CommandLineTest {

    @Test
    void aGridRunsOnceAndIsReadBackTheSecondTime(@TempDir Path dir) throws Exception {
        Path spec = dir.resolve("sweep.yaml");
        Files.writeString(spec, "out: " + dir.resolve("out") + "\ndataset: fashion-mnist\nembedded: true\nsettings:\n  epochs: 1\n  trainExamples: 100\n"
                + "  evalExamples: 20\n  batchSize: 50\n  evalSteps: 1\n  device: cpu\n  threads: 1\ngrid:\n  method: [natural]\n  seed: [0, 1]\n");
        assertEquals(0, Main.execute("sweep", spec.toString()), stderr());
        assertTrue(stdout().contains("method=natural,seed=0: starting in") && stdout().contains("method=natural,seed=1: starting in"), stdout());
        assertEquals(3, Files.readAllLines(dir.resolve("out").resolve("summary.csv")).size());
        out.reset();
        assertEquals(0, Main.execute("sweep", spec.toString()), stderr());
        assertTrue(stdout().contains("method=natural,seed=1: finished earlier") && !stdout().contains("starting in"), stdout());
    }

    /**
     * "Class removed" as a sweep dimension: a run trained without Shirt (6) records it in its checkpoints; attack evaluates
     * it without Shirt; runs on different class sets are not compared class by class (the sweep says so), runs on the same one are.
     */
    @Test
    void aRemovedClassIsASweepDimensionEvaluatedOnTheSameClasses(@TempDir Path dir) throws Exception {
        Path spec = dir.resolve("sweep.yaml");
        Files.writeString(spec, "out: " + dir.resolve("out") + "\ndataset: fashion-mnist\nembedded: true\nsettings:\n  epochs: 1\n  method: natural\n"
                + "  trainExamples: 200\n  evalExamples: 100\n  batchSize: 50\n  evalSteps: 1\n  device: cpu\n  threads: 1\n"
                + "grid:\n  removeClasses: [[], [6]]\ncompare:\n  examples: 100\n  steps: 1\n");
        assertEquals(0, Main.execute("sweep", spec.toString()), stderr());
        Path kept = dir.resolve("out").resolve("removeClasses-none"), removed = dir.resolve("out").resolve("removeClasses-6");
        assertEquals("6", io.classwise.nn.checkpoint.Safetensors.read(removed.resolve("checkpoints/last.safetensors")).metadata()
                .get(io.classwise.train.RemovedClasses.KEY));
        assertTrue(io.classwise.nn.checkpoint.Safetensors.read(kept.resolve("checkpoints/last.safetensors")).metadata()
                .get(io.classwise.train.RemovedClasses.KEY) == null);
        String metrics = Files.readAllLines(removed.resolve("metrics.jsonl")).get(0);
        assertTrue(metrics.contains("\"per_class\""), metrics);
        assertTrue(stdout().contains("compare report skipped: ") && stdout().contains("was trained without classes []"), stdout());
        out.reset();
        assertEquals(0, Main.execute("attack", "--checkpoint", removed.toString(), "--attack", "fgsm", "--examples", "100", "--device", "cpu"), stderr());
        assertTrue(stdout().contains("(90 test images"), "Shirt's 10 examples are not evaluated: " + stdout());
        out.reset();
        assertEquals(0, Main.execute("attack", "--checkpoint", kept.toString(), "--attack", "fgsm", "--examples", "100", "--device", "cpu"), stderr());
        assertTrue(stdout().contains("(100 test images"), stdout());
    }

    /** The example specs in the repository parse, name real settings, and have the grids their comments promise. */
    @Test
    void theExampleSweepsParse() throws Exception {
        io.classwise.api.Sweep.Spec laptop = io.classwise.api.Sweep.read(Path.of("examples", "sweeps", "laptop.yaml"));
        assertEquals(4, io.classwise.api.Sweep.runs(laptop).size());
        assertTrue(laptop.embedded() && laptop.compare() != null && !io.classwise.api.Sweep.isUri(laptop.location()));
        io.classwise.api.Sweep.Spec gpu = io.classwise.api.Sweep.read(Path.of("examples", "sweeps", "cifar10-gpu.yaml"));
        assertEquals(21, io.classwise.api.Sweep.runs(gpu).size());
        assertTrue(io.classwise.api.Sweep.isUri(gpu.location()) && gpu.compare().autoAttack());
        // Every run's settings resolve into a valid training configuration (a typo in a field name would be refused here).
        for (io.classwise.api.Sweep.Spec spec : java.util.List.of(laptop, gpu)) {
            for (io.classwise.api.Sweep.Run r : io.classwise.api.Sweep.runs(spec)) {
                io.classwise.train.Presets.resolve(io.classwise.data.DatasetId.parse(spec.dataset()), null, r.settings());
            }
        }
    }

    @Test
    void aSpecWithAnUnknownFieldIsRefusedNamingTheRun(@TempDir Path dir) throws Exception {
        Path spec = dir.resolve("bad.yaml");
        Files.writeString(spec, "out: " + dir.resolve("out") + "\ndataset: fashion-mnist\nembedded: true\ngrid:\n  method: [natural, pgd-at]\n"
                + "  epoch: [1]\n");
        assertNotEquals(0, Main.execute("sweep", spec.toString()));
        assertTrue(stderr().contains("bad.yaml, run method=natural,epoch=1") && stderr().contains("epoch"), stderr());
        assertTrue(!Files.exists(dir.resolve("out")), "nothing ran");
        err.reset();
        Files.writeString(spec, "out: x\ndataset: fashion-mnist\ngrid:\n  seed: 3\n");
        assertNotEquals(0, Main.execute("sweep", spec.toString()));
        assertTrue(stderr().contains("grid.seed must be a non-empty list"), stderr());
    }
}
