package io.classwise.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.classwise.nn.checkpoint.Safetensors;
import io.classwise.train.RunLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first half of the second reliability round (#24): nothing of the user's is destroyed by train,
 * convert or predict, a refused command changes nothing on disk, and the commit manifest is never
 * silently replaced by a retraining from epoch 1. Each case failed on the code before this round.
 */
class UserFilesSafetyTest extends CommandLineTest {
    @TempDir Path dir;

    /** A run of 1-3 tiny epochs (a few seconds); extra flags ("--seed", "2", "--resume") replace or add to the recipe's. */
    static List<String> train(Path out, int epochs, String... extra) {
        Map<String, String> o = new LinkedHashMap<>();
        String[] base = {"--dataset", "fashion-mnist", "--method", "natural", "--arch", "small-cnn", "--epochs", Integer.toString(epochs),
                "--train-examples", "100", "--eval-examples", "20", "--batch-size", "50", "--eval-steps", "1", "--seed", "1", "--device",
                "cpu", "--threads", "1", "--out", out.toString()};
        for (int i = 0; i < base.length; i += 2) o.put(base[i], base[i + 1]);
        for (int i = 0; i < extra.length; i++) {
            boolean valued = i + 1 < extra.length && !extra[i + 1].startsWith("--");
            o.put(extra[i], valued ? extra[++i] : null);
        }
        List<String> a = new ArrayList<>(List.of("train", "--embedded", "--no-progress"));
        o.forEach((k, v) -> {
            a.add(k);
            if (v != null) a.add(v);
        });
        return a;
    }

    static int run(List<String> args) { return Main.execute(args.toArray(String[]::new)); }

    private static void write(Path f, String text) throws Exception {
        Files.createDirectories(f.getParent());
        Files.writeString(f, text, StandardCharsets.UTF_8);
    }

    @Test
    void overwriteNeverEmptiesADirectoryThatIsNotARun() throws Exception {
        Path src = dir.resolve("project");
        write(src.resolve("Main.java"), "class Main {}");
        write(src.resolve("docs/notes.txt"), "notes");
        assertNotEquals(0, run(train(src, 1, "--overwrite")));
        assertTrue(stderr().contains("is not empty and is not a Classwise run"), stderr());
        assertEquals("class Main {}", Files.readString(src.resolve("Main.java")));
        assertEquals("notes", Files.readString(src.resolve("docs/notes.txt")));
        assertFalse(Files.exists(src.resolve(".lock")), "a refused command leaves nothing behind, not even its lock file");
        assertFalse(Files.exists(src.resolve("config.json")));
        // Without --overwrite the refusal says the same thing (it used to call any non-empty directory "a run").
        err.reset();
        assertNotEquals(0, run(train(src, 1)));
        assertTrue(stderr().contains("is not a Classwise run"), stderr());
    }

    @Test
    void overwriteReplacesARunButNotTheUsersFilesInsideIt() throws Exception {
        Path r = dir.resolve("run");
        assertEquals(0, run(train(r, 1)));
        assertFalse(Files.exists(r.resolve(".lock")), "a finished run removes its lock file");
        write(r.resolve("my-notes.txt"), "keep me");
        assertNotEquals(0, run(train(r, 1, "--overwrite")));
        assertTrue(stderr().contains("my-notes.txt") && stderr().contains("nothing was deleted"), stderr());
        assertEquals("keep me", Files.readString(r.resolve("my-notes.txt")));
        assertTrue(Files.exists(r.resolve("checkpoints/epoch-001.safetensors")));
        Files.delete(r.resolve("my-notes.txt"));
        err.reset();
        assertEquals(0, run(train(r, 1, "--overwrite", "--seed", "2")), stderr());
        assertTrue(Files.readString(r.resolve("config.json")).contains("\"seed\" : 2"));
    }

    @Test
    void anOutThatIsAFileIsNamed() throws Exception {
        Path f = dir.resolve("afile");
        write(f, "data");
        assertNotEquals(0, run(train(f, 1)));
        assertTrue(stderr().contains("--out " + f + " is a file, not a directory"), stderr());
        assertEquals("data", Files.readString(f));
    }

    @Test
    void aRefusedResumeChangesNothingAndTheNextResumeWorks() throws Exception {
        Path r = dir.resolve("run");
        assertEquals(0, run(train(r, 2, "--stop-after", "1")));
        byte[] config = Files.readAllBytes(r.resolve("config.json"));
        // Another process holds the run: the refused resume must not extend --epochs in config.json, nor print its banner.
        try (RunLock held = RunLock.acquire(r, "training")) {
            out.reset();
            assertNotEquals(0, run(train(r, 4, "--resume")));
            assertTrue(stderr().contains("is in use by another process (pid " + ProcessHandle.current().pid()), stderr());
            assertFalse(stdout().contains("training small-cnn"), "no banner before a refusal: " + stdout());
        }
        assertArrayEquals(config, Files.readAllBytes(r.resolve("config.json")));
        // A committed checkpoint changed: refused, and again config.json is untouched.
        Path w = r.resolve("checkpoints/epoch-001.safetensors");
        byte[] weights = Files.readAllBytes(w);
        byte[] flipped = weights.clone();
        flipped[flipped.length - 1] ^= 1;
        Files.write(w, flipped);
        err.reset();
        assertNotEquals(0, run(train(r, 4, "--resume")));
        assertTrue(stderr().contains("changed after the commit"), stderr());
        assertArrayEquals(config, Files.readAllBytes(r.resolve("config.json")));
        Files.write(w, weights);
        err.reset();
        assertEquals(0, run(train(r, 3, "--resume")), stderr());
        assertTrue(Files.readString(r.resolve("config.json")).contains("\"epochs\" : 3"));
        assertTrue(Files.exists(r.resolve("checkpoints/epoch-003.safetensors")));
    }

    @Test
    void aDeletedManifestIsRebuiltFromTheCheckpointsNotRetrainedOver() throws Exception {
        Path r = dir.resolve("run");
        assertEquals(0, run(train(r, 3, "--stop-after", "2")));
        byte[] epoch1 = Files.readAllBytes(r.resolve("checkpoints/epoch-001.safetensors"));
        Files.delete(r.resolve("checkpoints/last.json"));
        // Readers refuse a run whose final model cannot be verified, and say how to repair it.
        assertNotEquals(0, Main.execute("eval", "--checkpoint", r.toString(), "--examples", "20", "--steps", "1"));
        assertTrue(stderr().contains("last.json is missing") && stderr().contains("--resume"), stderr());
        out.reset();
        assertEquals(0, run(train(r, 3, "--resume")), stderr());
        assertTrue(stdout().contains("epoch 3/3") && !stdout().contains("epoch 1/3"), "resumed after epoch 2: " + stdout());
        assertArrayEquals(epoch1, Files.readAllBytes(r.resolve("checkpoints/epoch-001.safetensors")), "committed epochs kept");
        assertTrue(Files.exists(r.resolve("checkpoints/last.json")));

        // No epoch can be verified (the newest optimizer state is gone, older ones were tidied away): refused, not retrained.
        Path s = dir.resolve("second");
        assertEquals(0, run(train(s, 3, "--stop-after", "2")));
        Files.delete(s.resolve("checkpoints/last.json"));
        Files.delete(s.resolve("checkpoints/epoch-002.state.safetensors"));
        byte[] metrics = Files.readAllBytes(s.resolve("metrics.jsonl"));
        err.reset();
        assertNotEquals(0, run(train(s, 3, "--resume")));
        assertTrue(stderr().contains("refusing to train again over 2 committed epoch file(s)"), stderr());
        assertArrayEquals(metrics, Files.readAllBytes(s.resolve("metrics.jsonl")));
    }

    @Test
    void anEditedConfigIsRefusedOnResumeNamingTheField() throws Exception {
        Path r = dir.resolve("run");
        assertEquals(0, run(train(r, 2, "--stop-after", "1", "--method", "pgd-at", "--train-steps", "1")));
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = (ObjectNode) json.readTree(r.resolve("config.json").toFile());
        c.put("eps", 0.3);
        Files.write(r.resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsBytes(c));
        assertNotEquals(0, run(train(r, 2, "--resume", "--method", "pgd-at", "--train-steps", "1")));
        assertTrue(stderr().contains("config.json was changed after epoch 1 was committed (eps: 0.1 → 0.3)"), stderr());
        assertFalse(Files.exists(r.resolve("checkpoints/epoch-002.safetensors")));
    }

    @Test
    void convertAndPredictNeverWriteOverTheirInputsOrExistingFiles() throws Exception {
        Path pt = ConvertCommandTest.fixture("small_cnn_fmnist_fp16.pt");
        Path copy = dir.resolve("g.pt");
        Files.copy(pt, copy);
        byte[] original = Files.readAllBytes(copy);
        String[] arch = {"--arch", "small-cnn", "--dataset", "fashion-mnist"};
        assertNotEquals(0, Main.execute(concat(new String[] {"convert", copy.toString(), copy.toString()}, arch)));
        assertTrue(stderr().contains("is also an input of this command"), stderr());
        assertNotEquals(0, Main.execute(concat(new String[] {"convert", copy.toString(), copy.toString(), "--overwrite"}, arch)));
        assertArrayEquals(original, Files.readAllBytes(copy), "--overwrite never makes an input an output");
        Path notes = dir.resolve("notes.txt");
        write(notes, "my notes");
        err.reset();
        assertNotEquals(0, Main.execute(concat(new String[] {"convert", copy.toString(), notes.toString()}, arch)));
        assertTrue(stderr().contains("already exists; pass --overwrite"), stderr());
        assertEquals("my notes", Files.readString(notes));
        Path ckpt = dir.resolve("m.safetensors");
        assertEquals(0, Main.execute(concat(new String[] {"convert", copy.toString(), ckpt.toString()}, arch)));
        byte[] model = Files.readAllBytes(ckpt);
        // predict --out that is the checkpoint, or the inputs: refused, even with --overwrite.
        Path inputs = dir.resolve("inputs.safetensors");
        float[] pixels = new float[2 * 28 * 28];
        Arrays.fill(pixels, 0.5f);
        Safetensors.write(inputs, Map.of("x", Safetensors.Entry.f32(new int[] {2, 1, 28, 28}, pixels)), Map.of());
        err.reset();
        assertNotEquals(0, Main.execute("predict", "--checkpoint", ckpt.toString(), "--inputs", inputs.toString(), "--out", ckpt.toString(),
                "--overwrite"));
        assertTrue(stderr().contains("is also an input"), stderr());
        assertArrayEquals(model, Files.readAllBytes(ckpt));
        Path csv = dir.resolve("logits.csv");
        assertEquals(0, Main.execute("predict", "--checkpoint", ckpt.toString(), "--inputs", inputs.toString(), "--out", csv.toString()));
        assertNotEquals(0, Main.execute("predict", "--checkpoint", ckpt.toString(), "--inputs", inputs.toString(), "--out", csv.toString()));
        assertEquals(0, Main.execute("predict", "--checkpoint", ckpt.toString(), "--inputs", inputs.toString(), "--out", csv.toString(),
                "--overwrite"));
        // convert --run into a directory that is not empty: refused.
        err.reset();
        assertNotEquals(0, Main.execute(concat(new String[] {"convert", copy.toString(), "--run", dir.toString()}, arch)));
        assertTrue(stderr().contains("is not empty"), stderr());
        assertFalse(Files.exists(dir.resolve("checkpoints")));
    }

    static String[] concat(String[] a, String[] b) {
        String[] c = new String[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
