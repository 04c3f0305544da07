package io.classwise.tensor.cuda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A user's training run on the emulated CUDA device equals the same run on the CPU, class by class: one epoch of
 * PGD-AT on the embedded Fashion-MNIST (1,000 images, PGD-3, 200 test images), through the command line. Everything
 * but the convolutions, GEMMs and batch norm runs in the CUDA backend's code and native/cuda's kernels.
 *
 * <p>Tolerance: one test example per class (0.05 of 20). The two devices sum in different orders (a block reduction
 * against a loop), and PGD moves each pixel by the sign of its gradient, so a gradient within rounding of zero can
 * flip a pixel and, rarely, a borderline prediction; measured here: equal to the last digit.
 */
class EmulatedCudaTrainingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode train(Path out, String device) {
        PrintStream old = System.out;
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.execute("train", "--dataset", "fashion-mnist", "--embedded", "--arch", "small-cnn", "--epochs", "1",
                    "--train-examples", "1000", "--eval-examples", "200", "--batch-size", "50", "--train-steps", "3", "--lr", "0.05",
                    "--schedule", "constant", "--device", device, "--threads", "2", "--no-progress", "--out", out.toString()));
            return JSON.readTree(Files.readAllLines(out.resolve("metrics.jsonl")).get(0));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void oneEpochOfPgdAtEqualsTheCpuRunPerClass(@TempDir Path dir) {
        JsonNode cpu = train(dir.resolve("cpu"), "cpu"), emulated = train(dir.resolve("emulated"), "cuda-emulated");
        assertTrue(cpu.path("test").path("clean").path("overall").asDouble() > 0.3, "the recipe learns something: " + cpu.path("test"));
        for (String split : new String[] {"train", "test"}) {
            for (String kind : new String[] {"clean", "robust"}) {
                JsonNode a = cpu.path(split).path(kind).path("per_class"), b = emulated.path(split).path(kind).path("per_class");
                assertEquals(10, a.size(), split + " " + kind);
                for (int c = 0; c < 10; c++) {
                    assertEquals(a.get(c).asDouble(), b.get(c).asDouble(), 0.05 + 1e-9, split + " " + kind + " accuracy of class " + c);
                }
            }
        }
        assertEquals(cpu.path("train_loss").asDouble(), emulated.path("train_loss").asDouble(), 1e-3, "training loss");
    }
}
