package io.classwise.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.data.DatasetId;
import io.classwise.data.DemoData;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.data.InMemoryDataset;
import io.classwise.data.Split;
import io.classwise.nn.Parameter;
import io.classwise.tensor.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.classwise.nn.checkpoint.Safetensors;
import java.io.IOException;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

class TrainerTest {
    static CpuBackend B;
    static InMemoryDataset train, test;
    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());
    @TempDir Path dir;

    @BeforeAll
    static void data() throws Exception {
        B = new CpuBackend(2);
        train = DemoData.fashionMnist(Split.TRAIN);
        test = DemoData.fashionMnist(Split.TEST);
    }

    @AfterAll
    static void close() { B.close(); }

    static TrainConfig tiny(String method) {
        return Recipes.smallCnn(method, 2, 50, "multistep:2", 0.03, 3, 0.03, 5, 500, 100, 3);
    }

    private Trainer trainer(TrainConfig c, Path runDir) {
        return new Trainer(c, B, DatasetId.FASHION_MNIST, train, test, new RunDirectory(runDir), QUIET, false);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"natural", "pgd-at", "fgsm-rs", "trades", "mart", "he"})
    void everyMethodTrainsAndWritesPerClassMetricsAndCheckpoints(String method) throws Exception {
        TrainConfig c = tiny(method);
        List<EpochMetrics> m = trainer(c, dir).fit(false);
        assertEquals(2, m.size());
        assertTrue(m.get(1).trainLoss() < m.get(0).trainLoss(), method + " loss " + m.get(0).trainLoss() + " → " + m.get(1).trainLoss());
        // HE's scaled cosine head starts slower; every other method is well above chance after 20 steps.
        if (!method.equals("he")) assertTrue(m.get(1).testClean().overall() > 0.3, method + " learned something: "
                + m.get(1).testClean().overall());
        List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
        assertEquals(2, lines.size());
        JsonNode line = new ObjectMapper().readTree(lines.get(0));
        assertEquals(10, line.path("test").path("robust").path("per_class").size());
        assertEquals(10, line.path("train").path("clean").path("per_class").size());
        assertEquals(method.equals("natural"), line.path("train").path("robust").isMissingNode());
        assertEquals("Ankle boot", line.path("class_names").get(9).asText());
        // One definition of robust on train and test: right on the clean and the adversarial example, so
        // no class is ever more robust than it is accurate (TRADES once logged Sandal clean 0.01, robust 0.12).
        for (String l : lines) {
            JsonNode e = new ObjectMapper().readTree(l);
            assertEquals(Evaluation.ROBUST_DEFINITION, e.path("robust_definition").asText());
            for (String split : List.of("train", "test")) {
                JsonNode clean = e.path(split).path("clean").path("per_class"), robust = e.path(split).path("robust").path("per_class");
                if (robust.isMissingNode()) continue;
                for (int k = 0; k < 10; k++) {
                    assertTrue(robust.get(k).asDouble() <= clean.get(k).asDouble() + 1e-12,
                            method + " epoch " + e.path("epoch").asInt() + " " + split + " class " + k + ": robust "
                                    + robust.get(k) + " > clean " + clean.get(k));
                }
            }
        }
        assertTrue(Files.exists(dir.resolve("checkpoints/epoch-001.safetensors")));
        assertTrue(Files.exists(dir.resolve("checkpoints/epoch-002.state.safetensors"))
                && Files.exists(dir.resolve("checkpoints/last.json")));
        assertFalse(Files.exists(dir.resolve("checkpoints/epoch-001.state.safetensors")), "only the newest optimizer state is kept");
        assertTrue(Files.exists(dir.resolve("config.json")));
    }

    @Test
    void resumedRunEqualsTheUninterruptedRunBitForBit() throws Exception {
        Path a = dir.resolve("a"), b = dir.resolve("b");
        Trainer full = trainer(tiny("pgd-at"), a);
        full.fit(false);
        trainer(tiny("pgd-at"), b).fit(false, 1);               // interrupted after epoch 1
        Trainer resumed = trainer(tiny("pgd-at"), b);
        resumed.fit(true);
        List<Parameter> pa = full.model().parameters(), pb = resumed.model().parameters();
        for (int i = 0; i < pa.size(); i++) assertArrayEquals(pa.get(i).value().toArray(), pb.get(i).value().toArray(), "parameter " + i);
        assertArrayEquals(Files.readAllBytes(a.resolve("checkpoints/last.safetensors")),
                Files.readAllBytes(b.resolve("checkpoints/last.safetensors")));
        List<String> ma = Files.readAllLines(a.resolve("metrics.jsonl")), mb = Files.readAllLines(b.resolve("metrics.jsonl"));
        assertEquals(2, mb.size());
        for (int i = 0; i < 2; i++) {
            assertEquals(new ObjectMapper().readTree(ma.get(i)).path("test"), new ObjectMapper().readTree(mb.get(i)).path("test"));
        }
    }

    @Test
    void divergingLossStopsWithAClearMessage() {
        TrainConfig c = tiny("natural");
        c.lr = 1e30;
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> trainer(c, dir).fit(false));
        assertTrue(e.getMessage().contains("epoch 1") && e.getMessage().contains("--lr"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("checkpoints/last.safetensors")), "no checkpoint of a diverged model");
    }

    /** --lr 1e38: the weights overflow while the loss of the epoch still looked finite; nothing non-finite may be saved. */
    @Test
    void weightsThatStopBeingFiniteAreNeverSaved() throws Exception {
        TrainConfig c = tiny("natural");
        c.lr = 1e38;
        c.epochs = 3;
        try {
            trainer(c, dir).fit(false);
        } catch (TrainingDivergedException e) {
            assertTrue(e.getMessage().contains("--lr") && !e.getMessage().contains("last good checkpoint is "
                    + dir.resolve("checkpoints/last.safetensors")), e.getMessage());
        }
        try (var files = Files.list(dir.resolve("checkpoints"))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".safetensors")
                    && !f.toString().endsWith(".state.safetensors")).toList()) {
                Checkpoint.load(B, f); // refuses non-finite tensors: every file that exists is a usable model
            }
        }
    }

    @Test
    void aCheckpointWithOneNaNIsRefused() throws Exception {
        Trainer t = trainer(tiny("natural"), dir);
        t.fit(false, 1);
        Path f = dir.resolve("checkpoints/epoch-001.safetensors");
        Safetensors.Contents contents = Safetensors.read(f);
        Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>(contents.tensors());
        float[] bias = tensors.get("fc2.bias").toFloats();
        bias[3] = Float.NaN;
        tensors.put("fc2.bias", Safetensors.Entry.f32(new int[] {bias.length}, bias));
        Path bad = dir.resolve("nan.safetensors");
        Safetensors.write(bad, tensors, contents.metadata());
        Exception e = assertThrows(IOException.class, () -> Checkpoint.load(B, bad));
        assertTrue(e.getMessage().contains("fc2.bias") && e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void aNonEmptyRunDirectoryIsNotOverwrittenSilently() throws Exception {
        trainer(tiny("natural"), dir).fit(false, 1);
        List<String> before = Files.readAllLines(dir.resolve("metrics.jsonl"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> trainer(tiny("natural"), dir).fit(false));
        assertTrue(e.getMessage().contains("--resume") && e.getMessage().contains("--overwrite"), e.getMessage());
        assertEquals(before, Files.readAllLines(dir.resolve("metrics.jsonl")), "the refused run changed nothing");
        trainer(tiny("natural"), dir).overwrite(true).fit(false, 1);
        assertEquals(1, Files.readAllLines(dir.resolve("metrics.jsonl")).size());
    }

    @Test
    void twoTrainingsIntoOneDirectoryAreRefused() throws Exception {
        // Hold the run's lock as a running training would, then start a second one.
        try (RunLock held = RunLock.acquire(dir)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> trainer(tiny("natural"), dir).fit(false));
            assertTrue(e.getMessage().contains("in use by another process") && e.getMessage().contains("pid "
                    + ProcessHandle.current().pid()), e.getMessage());
        }
        trainer(tiny("natural"), dir).fit(false, 1); // released: fine
    }

    /** A crash mid-append leaves a torn last metrics line and temporary files: resume drops and removes them. */
    @Test
    void resumeRepairsWhatACrashLeaves() throws Exception {
        Path a = dir.resolve("a"), b = dir.resolve("b");
        trainer(tiny("natural"), a).fit(false);
        trainer(tiny("natural"), b).fit(false, 1);
        Files.writeString(b.resolve("metrics.jsonl"), "{\"epoch\": 2, \"lr\": 0.0", StandardOpenOption.APPEND);
        Files.writeString(b.resolve("checkpoints/.last.safetensors.123.tmp"), "partial");
        Files.copy(b.resolve("checkpoints/epoch-001.safetensors"), b.resolve("checkpoints/last.safetensors"),
                StandardCopyOption.REPLACE_EXISTING);
        trainer(tiny("natural"), b).fit(true);
        assertFalse(Files.exists(b.resolve("checkpoints/.last.safetensors.123.tmp")));
        assertEquals(2, Files.readAllLines(b.resolve("metrics.jsonl")).size());
        for (String f : List.of("epoch-002.safetensors", "last.safetensors")) {
            assertArrayEquals(Files.readAllBytes(a.resolve("checkpoints").resolve(f)),
                    Files.readAllBytes(b.resolve("checkpoints").resolve(f)), f);
        }
        // Any other unreadable line is an error naming the file.
        Files.writeString(b.resolve("metrics.jsonl"), "not json\n" + Files.readString(b.resolve("metrics.jsonl")));
        TrainConfig longer = tiny("natural");
        longer.epochs = 3;
        Exception e = assertThrows(IOException.class, () -> trainer(longer, b).fit(true));
        assertTrue(e.getMessage().contains("metrics.jsonl line 1"), e.getMessage());
    }

    @Test
    void resumeWithoutCheckpointIsExplained() {
        Exception e = assertThrows(IOException.class, () -> trainer(tiny("pgd-at"), dir).fit(true));
        assertTrue(e.getMessage().contains("nothing to resume"), e.getMessage());
    }
}
