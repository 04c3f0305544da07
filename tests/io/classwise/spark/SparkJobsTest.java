package io.classwise.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.analysis.ClassCounts;
import io.classwise.api.CheckpointAttack;
import io.classwise.api.Sweep;
import io.classwise.api.TrainRun;
import io.classwise.nn.checkpoint.Safetensors;
import io.classwise.tensor.cpu.CpuBackend;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertThrows;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Spark jobs in local mode (the test JVM is driver and executor): a sweep with a task failing on purpose
 * mid-run, and an evaluation sharded across tasks, each against the same work done without Spark.
 */
class SparkJobsTest {
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);

    private static Path spec(Path dir, Path out) throws Exception {
        return spec(dir, out.toString(), "[natural, pgd-at]", "[0, 1, 2]", true);
    }

    private static Path spec(Path dir, String out, String methods, String seeds, boolean compare) throws Exception {
        Path spec = dir.resolve("sweep.yaml");
        Files.writeString(spec, String.join("\n",
                "out: " + out,
                "dataset: fashion-mnist",
                "embedded: true",
                "settings:",
                "  architecture: small-cnn",
                "  epochs: 2",
                "  trainExamples: 600",
                "  evalExamples: 100",
                "  batchSize: 50",
                "  evalSteps: 2",
                "  device: cpu",
                "  threads: 1",
                "grid:",
                "  method: " + methods,
                "  seed: " + seeds,
                compare ? "compare:\n  examples: 50\n  steps: 2" : "",
                ""));
        return spec;
    }

    @Test
    void aSweepWithAKilledTaskFinishesAndEqualsTheRunsMadeWithoutSpark(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("sweep");
        Path spec = spec(dir, out);
        // local[2,3]: two task slots, up to 3 attempts per task (local mode's default is 1: no retry).
        assertEquals(0, SparkMain.execute("sweep", spec.toString(), "--master", "local[2,3]", "--fail-once", "method=pgd-at,seed=1@1"));
        Sweep.Spec s = Sweep.read(spec);
        List<Sweep.Run> runs = Sweep.runs(s);
        assertEquals(6, runs.size());
        List<String> summary = Files.readAllLines(out.resolve("summary.csv"));
        assertEquals(7, summary.size(), "header and one row per run: " + summary);
        assertTrue(Files.exists(out.resolve("comparison").resolve("report.html")), "the compare report");

        String killed = Files.readString(out.resolve("logs").resolve("method-pgd-at_seed-1.log"));
        assertTrue(killed.contains("injected failure after epoch 1") && killed.contains("attempt 1"), killed);
        String retry = killed.substring(killed.indexOf("attempt 1"));
        assertTrue(retry.contains("resuming in") && !retry.contains("starting in"), "the retry resumes: " + retry);
        List<String> metrics = Files.readAllLines(out.resolve("method-pgd-at_seed-1").resolve("metrics.jsonl"));
        assertEquals(2, metrics.size(), "epoch 1 once (committed before the failure), then epoch 2");

        // The same runs without Spark, one after the other here.
        Sweep.Spec plain = s.withOut(dir.resolve("plain"));
        ObjectMapper json = new ObjectMapper();
        for (Sweep.Run r : runs) {
            Sweep.Result without = Sweep.runOne(plain, r, null, QUIET);
            Sweep.Result with = json.readValue(out.resolve(r.directory()).resolve(Sweep.RESULT).toFile(), Sweep.Result.class);
            assertArrayEquals(without.robust(), with.robust(), r.name());
            assertArrayEquals(without.clean(), with.clean(), r.name());
            Map<String, Safetensors.Entry> a = Safetensors.read(Sweep.directory(plain, r).resolve("checkpoints/last.safetensors")).tensors();
            Map<String, Safetensors.Entry> b = Safetensors.read(Sweep.directory(s, r).resolve("checkpoints/last.safetensors")).tensors();
            assertEquals(a.keySet(), b.keySet());
            for (String k : a.keySet()) assertTrue(Arrays.equals(a.get(k).data(), b.get(k).data()), r.name() + ": " + k + " differs");
        }

        // Run again: every run is read back, none trained.
        assertEquals(0, SparkMain.execute("sweep", spec.toString(), "--master", "local[2]"));
        for (Sweep.Run r : runs) {
            String log = Files.readString(out.resolve("logs").resolve(r.directory() + ".log"));
            assertTrue(log.contains("finished earlier"), r.name());
        }
        assertEquals(2, Files.readAllLines(out.resolve("method-pgd-at_seed-1").resolve("metrics.jsonl")).size());
    }

    /**
     * Output under a Hadoop filesystem URI (file:// here; hdfs://, s3a://… go the same way): each run trains in a
     * task's scratch directory and is copied up after every epoch, so the retried task copies it down and resumes.
     */
    @Test
    void aSweepUnderAHadoopUriCopiesEachEpochUpAndResumesFromTheCopy(@TempDir Path dir) throws Exception {
        Path remote = dir.resolve("remote");
        Path spec = spec(dir, remote.toUri().toString(), "[pgd-at]", "[0, 1]", true);
        // The spec itself read through Hadoop's filesystem too (as hdfs:///jobs/sweep.yaml would be).
        assertEquals(0, SparkMain.execute("sweep", spec.toUri().toString(), "--master", "local[2,3]", "--fail-once", "method=pgd-at,seed=1@1"));
        assertEquals(3, Files.readAllLines(remote.resolve("summary.csv")).size());
        assertTrue(Files.exists(remote.resolve("comparison").resolve("report.html")));
        String killed = Files.readString(remote.resolve("logs").resolve("method-pgd-at_seed-1.log"));
        assertTrue(killed.contains("injected failure after epoch 1") && killed.contains("attempt 1"), killed);
        String retry = killed.substring(killed.indexOf("attempt 1"));
        assertTrue(retry.contains("resuming in") && !retry.contains("starting in"), "the retry resumes: " + retry);
        // The retry starts at epoch 2 (no empty step for the epoch the copy holds), and each epoch's upload sends only what
        // changed: config.json and epoch-001.safetensors stay where they are (8 files otherwise, with sweep-result.json).
        assertTrue(retry.contains("== epoch 2 copied up") && !retry.contains("== epoch 1 copied up"), retry);
        String first = killed.substring(0, killed.indexOf("attempt 1"));
        int firstUpload = Integer.parseInt(first.replaceAll("(?s).*== epoch 1 copied up to \\S+ \\((\\d+) new.*", "$1"));
        int secondUpload = Integer.parseInt(retry.replaceAll("(?s).*== epoch 2 copied up to \\S+ \\((\\d+) new.*", "$1"));
        assertTrue(secondUpload <= firstUpload, "epoch 2 sent " + secondUpload + " files, epoch 1 " + firstUpload);
        try (var scratch = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertTrue(scratch.noneMatch(p -> p.getFileName().toString().startsWith("classwise-sweep-method-pgd-at")), "no scratch copy left");
        }
        try (var files = Files.walk(remote)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".uploading")), "no half-copied file left");
        }
        Sweep.Spec plain = Sweep.read(spec).withOut(dir.resolve("plain"));
        for (Sweep.Run r : Sweep.runs(plain)) {
            Sweep.runOne(plain, r, null, QUIET);
            Map<String, Safetensors.Entry> a = Safetensors.read(Sweep.directory(plain, r).resolve("checkpoints/last.safetensors")).tensors();
            Map<String, Safetensors.Entry> b = Safetensors.read(remote.resolve(r.directory()).resolve("checkpoints/last.safetensors")).tensors();
            for (String k : a.keySet()) assertTrue(Arrays.equals(a.get(k).data(), b.get(k).data()), r.name() + ": " + k + " differs");
            assertEquals(2, Files.readAllLines(remote.resolve(r.directory()).resolve("metrics.jsonl")).size());
        }
    }

    /** A task on a node without the shared out wrote its run where the driver cannot see it: the sweep fails saying where. */
    @Test
    void runsTheDriverCannotSeeAreReportedWithTheirHost(@TempDir Path dir) throws Exception {
        String j = "{\"name\":\"method=pgd-at\",\"directory\":\"method-pgd-at\",\"executor_host\":\"worker-7\",\"run_path\":\"/data/out/method-pgd-at\"}";
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SweepJob.received(List.of(j), dir));
        assertTrue(e.getMessage().contains("run method=pgd-at finished on executor host worker-7 in /data/out/method-pgd-at")
                && e.getMessage().contains("out must be a path every node sees"), e.getMessage());
        Files.createDirectories(dir.resolve("method-pgd-at"));
        Files.writeString(dir.resolve("method-pgd-at").resolve(io.classwise.api.Sweep.RESULT), "{}");
        assertEquals("method-pgd-at", SweepJob.received(List.of(j), dir).get(0).directory());
        assertEquals(1, SweepJob.received(List.of(j), null).size(), "under a URI the driver reads the runs through Hadoop");
    }

    @Test
    void anEvaluationShardedOverFourTasksEqualsTheSingleMachineAttack(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        TrainRun.run(new TrainRun.Request(run, "fashion-mnist", null, true, null, false, false, Map.of("architecture", "small-cnn", "epochs", 2,
                "trainExamples", 2000, "evalExamples", 20, "evalSteps", 1, "method", "natural", "threads", 1, "device", "cpu"), Map.of(), null, null,
                false), QUIET);
        Path ckpt = run.resolve("checkpoints/last.safetensors");
        Path result = dir.resolve("evaluation.json");
        // 200 examples in batches of 32: 7 batches over 4 shards (2, 2, 2, 1); PGD with a random start.
        assertEquals(0, SparkMain.execute("evaluate", "--checkpoint", ckpt.toString(), "--shards", "4", "--examples", "200", "--batch-size", "32",
                "--steps", "3", "--master", "local[4]", "--out", result.toString()));
        JsonNode j = new ObjectMapper().readTree(result.toFile());
        assertEquals(4, j.path("shards").asInt());
        ClassCounts distributed = new ObjectMapper().treeToValue(j.path("counts"), ClassCounts.class);

        CheckpointAttack.Request single = new CheckpointAttack.Request(ckpt, "pgd", null, null, 3, 1, 1f, 50f, 1000, null, 200, 32, null, null, 0, 0,
                null, null, "auto");
        try (CpuBackend b = new CpuBackend(1)) {
            ClassCounts whole = ClassCounts.of(CheckpointAttack.run(single, b).predictions());
            assertEquals(200, whole.examples());
            assertEquals(whole, distributed);
            long robust = Arrays.stream(whole.robust()).sum(), clean = Arrays.stream(whole.clean()).sum();
            assertTrue(robust > 0 && robust < clean, "an attack that changes some predictions and not all: " + robust + " of " + clean);
        }
    }
}
