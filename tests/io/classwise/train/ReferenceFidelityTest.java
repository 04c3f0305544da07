package io.classwise.train;

import io.classwise.cli.Main;
import io.classwise.data.DatasetId;
import io.classwise.tensor.reference.ReferenceBackend;
import io.classwise.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The class-aware defenses as their authors run them (#24's review against the reference implementations). */
class ReferenceFidelityTest {
    @Test
    void cfaCalibratesOnAdversarialAccuracyAsItsAuthorsCount() {
        assertTrue(ClassPolicy.of(Method.CFA, Presets.forDataset(DatasetId.FASHION_MNIST), 10).calibratesOnAdversarialAccuracy());
        assertTrue(!ClassPolicy.of(Method.DAFA, Presets.forDataset(DatasetId.FASHION_MNIST), 10).calibratesOnAdversarialAccuracy());
        // Two examples of class 3: the first wrong on the clean image but right on its adversarial one, the second right on both.
        ClassAccuracy robust = new ClassAccuracy(10), adversarial = new ClassAccuracy(10);
        try (ReferenceBackend b = new ReferenceBackend()) {
            Objective.Batch batch = new Objective.Batch(b.allocate(2, 1, 1, 1), b.allocate(2), new int[] {3, 3}, new ClassAccuracy(10), robust,
                    new Rng(1), null, adversarial);
            batch.countAdversarial(new int[] {5, 3}, new int[] {3, 3});
        }
        assertEquals(0.5, robust.perClass()[3], 1e-12, "robust: right on both");
        assertEquals(1.0, adversarial.perClass()[3], 1e-12, "CFA's A_k: right on the adversarial example");
    }

    @Test
    void frlUsesItsAuthorsBetaUnlessOneIsGiven() throws Exception {
        assertEquals(1.0, Presets.resolve(DatasetId.FASHION_MNIST, null, Map.of("method", "frl")).beta, 0);
        assertEquals(6.0, Presets.resolve(DatasetId.FASHION_MNIST, null, Map.of("method", "frl", "beta", 6.0)).beta, 0);
        assertEquals(6.0, Presets.resolve(DatasetId.FASHION_MNIST, null, Map.of("method", "trades")).beta, 0);
    }

    @Test
    void initStartsFromAPretrainedModelAndIsRecorded(@TempDir Path dir) throws Exception {
        String[] common = {"--dataset", "fashion-mnist", "--embedded", "--arch", "small-cnn", "--epochs", "1", "--train-examples", "100",
                "--eval-examples", "20", "--batch-size", "50", "--eval-steps", "1", "--no-progress", "--device", "cpu", "--threads", "1"};
        Path base = dir.resolve("base"), tuned = dir.resolve("tuned");
        assertEquals(0, Main.execute(concat(new String[] {"train", "--method", "natural", "--out", base.toString()}, common)));
        assertEquals(0, Main.execute(concat(new String[] {"train", "--method", "frl", "--train-steps", "1", "--init", base.toString(), "--out",
                tuned.toString()}, common)));
        String config = Files.readString(tuned.resolve("config.json"));
        assertTrue(config.contains("\"init\" : \"" + base.resolve("checkpoints/epoch-001.safetensors").toAbsolutePath())
                && config.contains("\"initSha256\" : \"" + RunManifest.sha256(base.resolve("checkpoints/epoch-001.safetensors"))), config);
        assertTrue(config.contains("\"beta\" : 1.0"), config);
        // With a learning rate far below float precision the weights after an epoch are the starting ones: those of --init.
        Path frozen = dir.resolve("frozen");
        assertEquals(0, Main.execute(concat(new String[] {"train", "--method", "natural", "--lr", "1e-30", "--momentum", "0", "--weight-decay", "0",
                "--init", base.resolve("checkpoints/epoch-001.safetensors").toString(), "--out", frozen.toString()}, common)));
        var a = io.classwise.nn.checkpoint.Safetensors.read(base.resolve("checkpoints/epoch-001.safetensors")).tensors();
        var f = io.classwise.nn.checkpoint.Safetensors.read(frozen.resolve("checkpoints/epoch-001.safetensors")).tensors();
        assertTrue(java.util.Arrays.equals(a.get("conv1.weight").data(), f.get("conv1.weight").data()), "started from --init's weights");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
