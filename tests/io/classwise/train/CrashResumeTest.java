package io.classwise.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.util.CrashPoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Crash injection: a training process is halted (as by kill -9) before each file operation of its
 * first epoch's commit in turn — every write, fsync, rename, append and delete — and then resumed with
 * {@code train --resume}. Every time, the resumed run must end with files byte-identical to an
 * uninterrupted run's, two metrics lines, and no temporary files.
 */
class CrashResumeTest {
    @TempDir Path dir;

    private static final List<String> RECIPE = List.of("train", "--dataset", "fashion-mnist", "--embedded", "--method", "natural",
            "--arch", "small-cnn",
            "--epochs", "2", "--train-examples", "100", "--eval-examples", "20", "--batch-size", "50", "--eval-steps", "1", "--seed", "1",
            "--no-progress", "--device", "cpu", "--threads", "1");

    private static int engine(Path out, String crashAt, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
        if (crashAt != null) cmd.add("-Dclasswise.crashAt=" + crashAt);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.classwise.cli.Main"));
        cmd.addAll(List.of(extra));
        cmd.addAll(List.of("--out", out.toString()));
        Path log = out.resolveSibling(out.getFileName() + "-" + (crashAt == null ? "run" : crashAt.replace(':', '_')) + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("engine did not finish: " + cmd);
        }
        if (p.exitValue() != 0 && p.exitValue() != CrashPoints.EXIT_CODE) fail("engine exit " + p.exitValue() + ": "
                + Files.readString(log));
        return p.exitValue();
    }

    private static List<String> testMetrics(Path run) throws Exception {
        List<String> out = new ArrayList<>();
        ObjectMapper m = new ObjectMapper();
        for (String l : Files.readAllLines(run.resolve("metrics.jsonl"))) out.add(m.readTree(l).path("epoch") + " "
                + m.readTree(l).path("test"));
        return out;
    }

    @Test
    void resumeAfterACrashAtEveryFileOperationOfAnEpochCommitEqualsTheUninterruptedRun() throws Exception {
        Path reference = dir.resolve("reference");
        assertEquals(0, engine(reference, null, RECIPE.toArray(new String[0])));
        String lastSha = EpochCommit.sha256(reference.resolve("checkpoints/last.safetensors"));
        String epoch2Sha = EpochCommit.sha256(reference.resolve("checkpoints/epoch-002.safetensors"));
        List<String> metrics = testMetrics(reference);
        assertEquals(2, metrics.size());
        int points = 0;
        for (int n = 1; n < 100; n++) {
            Path run = dir.resolve("crash-" + n);
            if (engine(run, "1:" + n, RECIPE.toArray(new String[0])) == 0) break; // past the last operation of the commit
            points++;
            assertEquals(0, engine(run, null, "train", "--resume"), "resume after a crash before operation " + n);
            assertEquals(lastSha, EpochCommit.sha256(run.resolve("checkpoints/last.safetensors")),
                    "last.safetensors after crash point " + n);
            assertEquals(epoch2Sha, EpochCommit.sha256(run.resolve("checkpoints/epoch-002.safetensors")),
                    "epoch-002 after crash point " + n);
            assertEquals(metrics, testMetrics(run), "metrics.jsonl after crash point " + n);
            try (var files = Files.walk(run)) {
                List<Path> tmp = files.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList();
                assertTrue(tmp.isEmpty(), "temporary files left after crash point " + n + ": " + tmp);
            }
        }
        // weights (4: write, fsync, rename, directory fsync), state (4), metrics (2), manifest (4), last.safetensors (4), the end
        assertTrue(points >= 19, "only " + points + " crash points were reached");
        // Later epochs add one operation, deleting the previous epoch's optimizer state: crash there too, and after it.
        for (int n : new int[] {points, points + 1}) {
            Path run = dir.resolve("crash-2-" + n);
            assertEquals(CrashPoints.EXIT_CODE, engine(run, "2:" + n, RECIPE.toArray(new String[0])), "epoch 2, operation " + n);
            assertEquals(0, engine(run, null, "train", "--resume"), "resume after a crash in epoch 2's commit before operation " + n);
            assertEquals(lastSha, EpochCommit.sha256(run.resolve("checkpoints/last.safetensors")), "last.safetensors after epoch-2 crash point " + n);
            assertEquals(metrics, testMetrics(run), "metrics.jsonl after epoch-2 crash point " + n);
        }
        assertTrue(Files.readString(dir.resolve("crash-2-" + points + "-2_" + points + ".log")).contains("halting before deleting"),
                "the extra operation of later epochs is the deletion of the previous state");
        assertTrue(new File(dir.toFile(), "crash-1").isDirectory());
    }
}
