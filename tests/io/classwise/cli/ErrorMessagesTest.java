package io.classwise.cli;

import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.nn.StateDict;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.tensor.reference.ReferenceBackend;
import io.classwise.util.AtomicFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Bad input gets one line that names the file or flag and what was expected (#24's list), never a bare exception or a hang. */
class ErrorMessagesTest extends CommandLineTest {
    @TempDir Path dir;

    /** A small CNN checkpoint for Fashion-MNIST with the given metadata; scale multiplies every weight (to make logits overflow). */
    private Path checkpoint(String name, Map<String, String> meta, float scale) throws Exception {
        try (ReferenceBackend b = new ReferenceBackend()) {
            Model m = Models.create(b, new Models.Spec("small-cnn", 10, new int[] {1, 28, 28}, new float[] {0}, new float[] {1}, 0f), 1);
            for (var e : m.stateDict().entries().values()) {
                if (e instanceof StateDict.FloatEntry f) {
                    float[] v = f.tensor().toArray();
                    for (int i = 0; i < v.length; i++) v[i] = v[i] * scale + (scale == 1 ? 0 : 1e30f);
                    f.tensor().copyFrom(v);
                }
            }
            Path p = dir.resolve(name);
            Checkpoint.save(m, p, meta);
            m.release();
            return p;
        }
    }

    private String oneLine() {
        String e = stderr().trim();
        assertEquals(1, e.lines().count(), "one line: " + e);
        assertTrue(e.startsWith("error: "), e);
        return e;
    }

    @Test
    void aCheckpointThatIsADirectoryAPipeOrADeviceIsNamed() throws Exception {
        assertNotEquals(0, Main.execute("eval", "--checkpoint", dir.toString()));
        assertTrue(oneLine().contains(dir + " is a directory, and not a run directory"), stderr());
        Path fifo = dir.resolve("pipe.safetensors");
        assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo is available");
        err.reset();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertNotEquals(0, Main.execute("eval", "--checkpoint", fifo.toString())));
        assertTrue(oneLine().contains(fifo + " is not a regular file"), stderr());
        Path model = checkpoint("m.safetensors", Map.of("classwise.dataset", "fashion-mnist"), 1);
        err.reset();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertNotEquals(0, Main.execute("predict", "--checkpoint", model.toString(),
                "--inputs", "/dev/zero")));
        assertTrue(oneLine().contains("--inputs: /dev/zero is not a regular file"), stderr());
    }

    @Test
    void aBadEpsInTheCheckpointIsNotBlamedOnTheFlag() throws Exception {
        Path model = checkpoint("nan-eps.safetensors", Map.of("classwise.dataset", "fashion-mnist", "classwise.source", "embedded",
                "classwise.eps", "NaN"), 1);
        assertNotEquals(0, Main.execute("eval", "--checkpoint", model.toString(), "--examples", "20", "--steps", "1"));
        String e = oneLine();
        assertTrue(e.contains("the checkpoint's metadata records classwise.eps = NaN") && !e.contains("--eps must"), e);
    }

    @Test
    void predictRefusesNonFiniteLogitsAsEvalDoes() throws Exception {
        Path model = checkpoint("overflowing.safetensors", Map.of("classwise.dataset", "fashion-mnist", "classwise.source", "embedded"), 1e30f);
        Path inputs = dir.resolve("x.safetensors");
        float[] pixels = new float[28 * 28];
        Arrays.fill(pixels, 0.5f);
        io.classwise.nn.checkpoint.Safetensors.write(inputs, Map.of("x", io.classwise.nn.checkpoint.Safetensors.Entry.f32(new int[] {1, 1, 28, 28},
                pixels)), Map.of());
        Path csv = dir.resolve("logits.csv");
        assertNotEquals(0, Main.execute("predict", "--checkpoint", model.toString(), "--inputs", inputs.toString(), "--out", csv.toString()));
        assertTrue(oneLine().contains("gives non-finite logits"), stderr());
        assertFalse(Files.exists(csv), "no partial CSV");
    }

    @Test
    void aPickleThatPopsAnEmptyStackIsExplained() throws Exception {
        Path pt = dir.resolve("empty-stack.pt");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(pt))) {
            z.putNextEntry(new ZipEntry("archive/data.pkl"));
            z.write(new byte[] {(byte) 0x80, 2, '.'}); // PROTO 2, STOP with nothing on the stack
            z.closeEntry();
            z.putNextEntry(new ZipEntry("archive/version"));
            z.write("3\n".getBytes(StandardCharsets.US_ASCII));
            z.closeEntry();
        }
        assertNotEquals(0, Main.execute("convert", pt.toString(), dir.resolve("o.safetensors").toString(), "--arch", "small-cnn", "--dataset",
                "fashion-mnist"));
        String e = oneLine();
        assertTrue(e.contains(pt.toString()) && e.contains("empty stack") && !e.contains("IndexOutOfBounds"), e);
    }

    @Test
    void anAbsurdArchitectureIsRefusedByFlagBeforeAllocating() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertNotEquals(0, Main.execute("info", "--arch", "wrn-10000-100",
                "--dataset", "cifar10")));
        assertTrue(oneLine().contains("--arch wrn-10000-100: depth 10000 and width 100 are beyond any WideResNet"), stderr());
    }

    @Test
    void configErrorsNameTheirLineAndDuplicateKeysAreRefused() throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "lr: 0.05\nepochs: many\n");
        assertNotEquals(0, Main.execute("train", "--dataset", "fashion-mnist", "--embedded", "--config", bad.toString(), "--out",
                dir.resolve("r").toString()));
        String e = oneLine();
        assertTrue(e.contains("(line 2, field 'epochs')") && !e.contains("line -1"), e);
        Path dup = dir.resolve("dup.yaml");
        Files.writeString(dup, "eps: 0.1\nepochs: 2\neps: 0.3\n");
        err.reset();
        assertNotEquals(0, Main.execute("train", "--dataset", "fashion-mnist", "--embedded", "--config", dup.toString(), "--out",
                dir.resolve("r").toString()));
        assertTrue(oneLine().contains("Duplicate field 'eps'"), stderr());
        assertFalse(Files.exists(dir.resolve("r")), "a refused train creates nothing");
    }

    @Test
    void aFullDiskNamesTheFileBeingAppendedTo() {
        Path full = Path.of("/dev/full");
        assumeTrue(Files.exists(full), "Linux's /dev/full");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.appendLine(full, "{\"epoch\": 1}"));
        assertTrue(e.getMessage().contains("appending to /dev/full") && e.getMessage().contains("No space left"), e.getMessage());
    }
}
