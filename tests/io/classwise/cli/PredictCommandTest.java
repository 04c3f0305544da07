package io.classwise.cli;

import io.classwise.nn.checkpoint.Safetensors;
import io.classwise.nn.checkpoint.TorchCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model zoo's PyTorch-saved checkpoints evaluated from the command line: {@code predict}'s logits equal
 * PyTorch's (the fixture's float64 logits) within 1e-4 of the largest, for every listed architecture.
 */
class PredictCommandTest extends CommandLineTest {

    private static Path zoo(String name) throws URISyntaxException {
        return Path.of(PredictCommandTest.class.getResource("/io/classwise/nn/zoo/" + name).toURI());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"wrn-28-10, cifar10", "wrn-34-10, cifar10", "wrn-34-20, cifar10", "dm-wrn-28-10, cifar10", "dm-wrn-70-16, cifar10",
            "preact-resnet18, cifar10", "resnet18, cifar10", "resnet50, imagenet"})
    void logitsFromTheCommandLineEqualPyTorchs(String arch, String dataset, @TempDir Path dir) throws Exception {
        Path csv = dir.resolve("logits.csv");
        assertEquals(0, Main.execute("predict", "--checkpoint", zoo(arch + ".pt").toString(), "--arch", arch, "--dataset", dataset,
                "--inputs", zoo(arch + ".parity.pt").toString(), "--out", csv.toString(), "--device", "cpu"), stderr());
        assertTrue(stdout().contains("('input') → " + csv), stdout());
        List<String> lines = Files.readAllLines(csv);
        float[] want = TorchCheckpoint.read(zoo(arch + ".parity.pt")).tensors().get("logits").toFloats();
        int k = lines.get(0).split(",").length - 2;
        assertEquals(want.length, (lines.size() - 1) * k, "one row per input, one column per class");
        double scale = 0, worst = 0;
        for (float v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 1; i < lines.size(); i++) {
            String[] cells = lines.get(i).split(",");
            for (int c = 0; c < k; c++) worst = Math.max(worst, Math.abs(Float.parseFloat(cells[c + 2]) - want[(i - 1) * k + c]));
        }
        assertTrue(worst <= 1e-4 * scale, arch + ": largest logit difference " + worst + ", scale " + scale);
    }

    @Test
    void inputsThatAreNotPixelsOrDoNotFitAreRefusedByName(@TempDir Path dir) throws Exception {
        Path normalised = dir.resolve("normalised.safetensors");
        float[] x = new float[2 * 3 * 32 * 32];
        x[5] = -1.9f; // an image already normalised by the dataset's mean/std
        Safetensors.write(normalised, Map.of("images", Safetensors.Entry.f32(new int[] {2, 3, 32, 32}, x)), Map.of());
        assertNotEquals(0, Main.execute("predict", "--checkpoint", zoo("resnet18.pt").toString(), "--arch", "resnet18", "--dataset", "cifar10",
                "--inputs", normalised.toString()));
        assertTrue(stderr().contains("'images' holds -1.9 at index 5; expected pixels in [0, 1]"), stderr());
        err.reset();
        assertNotEquals(0, Main.execute("predict", "--checkpoint", zoo("resnet18.pt").toString(), "--arch", "resnet18", "--dataset", "cifar10",
                "--inputs", zoo("resnet50.parity.pt").toString()));
        assertTrue(stderr().contains("'input' has shape [1, 3, 224, 224]; the model takes (N, 3, 32, 32)"), stderr());
    }
}
