package io.classwise.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.train.RunLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import static io.classwise.cli.UserFilesSafetyTest.run;
import static io.classwise.cli.UserFilesSafetyTest.train;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nothing stale is reported as current (#24): the final model is the one the manifest commits, a run in
 * training is not diagnosed, an interrupted diagnosis leaves the previous one whole and no mixture is ever
 * assembled into a report, and a stopped command says what it committed.
 */
class StaleResultsTest extends CommandLineTest {
    @TempDir Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** diagnose with the cheapest settings that still run every analysis but class removal. */
    private static List<String> diagnose(Path run, String... extra) { return diagnose(run, 40, extra); }

    private static List<String> diagnose(Path run, int examples, String... extra) {
        List<String> a = new ArrayList<>(List.of("diagnose", "--run", run.toString(), "--examples", Integer.toString(examples), "--reachable-examples", "20",
                "--steps", "2", "--square-queries", "10", "--temperatures", "1,5", "--no-pgd100", "--no-removal", "--device", "cpu"));
        a.addAll(List.of(extra));
        return a;
    }

    @Test
    void aStaleLastSafetensorsIsNeverTakenForTheFinalModel() throws Exception {
        Path r = dir.resolve("run");
        assertEquals(0, run(train(r, 2)));
        Path last = r.resolve("checkpoints/last.safetensors");
        // What a crash inside the final commit window leaves: last.json commits epoch 2, last.safetensors is still epoch 1.
        Files.copy(r.resolve("checkpoints/epoch-001.safetensors"), last, StandardCopyOption.REPLACE_EXISTING);
        assertNotEquals(0, Main.execute("eval", "--checkpoint", last.toString(), "--examples", "20", "--steps", "1", "--device", "cpu"));
        assertTrue(stderr().contains("is not the run's committed final model (epoch-002.safetensors") && stderr().contains("--resume"), stderr());
        assertEquals(0, Main.execute("eval", "--checkpoint", r.toString(), "--examples", "20", "--steps", "1", "--device", "cpu"), stderr());
        out.reset();
        assertEquals(0, run(diagnose(r)), stderr());
        assertTrue(stdout().contains("diagnosing " + r.resolve("checkpoints/epoch-002.safetensors")), stdout());
        JsonNode seal = JSON.readTree(r.resolve("analysis/diagnosis.json").toFile());
        assertEquals("checkpoints/epoch-002.safetensors", seal.path("model").path("file").asText());
        // --resume repairs the convenience copy.
        assertEquals(0, run(train(r, 2, "--resume")), stderr());
        assertArrayEquals(Files.readAllBytes(r.resolve("checkpoints/epoch-002.safetensors")), Files.readAllBytes(last));
    }

    @Test
    void aRunBeingTrainedIsNotDiagnosed() throws Exception {
        Path r = dir.resolve("run");
        assertEquals(0, run(train(r, 1)));
        try (RunLock training = RunLock.acquire(r, "training")) {
            assertNotEquals(0, run(diagnose(r)));
        }
        assertTrue(stderr().contains("is in use by another process (pid " + ProcessHandle.current().pid() + ", training since"), stderr());
        assertFalse(Files.exists(r.resolve("analysis")) || Files.exists(r.resolve(".diagnosis-staging")) || Files.exists(r.resolve("report.html")));
    }

    @Test
    void anInterruptedDiagnosisLeavesThePreviousOneWholeAndNoMixtureIsReported() throws Exception {
        Path r = dir.resolve("run");
        assertEquals(0, run(train(r, 1)));
        assertEquals(0, run(diagnose(r, "--eps", "0.1")), stderr());
        byte[] seal = Files.readAllBytes(r.resolve("analysis/diagnosis.json"));
        byte[] flips = Files.readAllBytes(r.resolve("analysis/flip_matrix.json"));
        assertEquals(0.1, JSON.readTree(seal).path("settings").path("eps").asDouble(), 1e-6);

        // A second diagnosis at another ε, stopped by SIGTERM after its first analyses were written.
        List<String> again = diagnose(r, 400, "--eps", "0.05");
        EngineProcess p = EngineProcess.start(dir.resolve("diagnose.log"), again.toArray(String[]::new));
        assertTrue(p.awaitOutput("reachable classes"), p.output());
        int code = p.terminate();
        assertNotEquals(0, code);
        assertTrue(p.output().contains("interrupted: the diagnosis of " + r + " was not finished; its previous diagnosis (if any) is unchanged"),
                p.output());
        assertArrayEquals(seal, Files.readAllBytes(r.resolve("analysis/diagnosis.json")), "the previous diagnosis is still the sealed one");
        assertArrayEquals(flips, Files.readAllBytes(r.resolve("analysis/flip_matrix.json")));
        assertEquals(0, Main.execute("report", "--run", r.toString()), stderr());

        // Files changed or the seal missing: the report refuses rather than assembling a mixture.
        Files.writeString(r.resolve("analysis/flip_matrix.json"), "{\"eps\": 0.05}");
        assertNotEquals(0, Main.execute("report", "--run", r.toString()));
        assertTrue(stderr().contains("flip_matrix.json changed since the diagnosis sealed"), stderr());
        Files.delete(r.resolve("analysis/diagnosis.json"));
        err.reset();
        assertNotEquals(0, Main.execute("report", "--run", r.toString()));
        assertTrue(stderr().contains("has no diagnosis.json") && stderr().contains("diagnose --run"), stderr());
        // A new diagnosis replaces the remains whole.
        assertEquals(0, run(diagnose(r, "--eps", "0.05")), stderr());
        assertEquals(0.05, JSON.readTree(r.resolve("analysis/diagnosis.json").toFile()).path("settings").path("eps").asDouble(), 1e-6);
        assertFalse(Files.exists(r.resolve(".diagnosis-staging")));
        assertEquals(0, Main.execute("report", "--run", r.toString()), stderr());
    }

    @Test
    void aStoppedTrainingSaysWhatIsCommittedAndHowToContinue() throws Exception {
        Path r = dir.resolve("run");
        List<String> args = train(r, 40, "--train-examples", "1000");
        EngineProcess p = EngineProcess.start(dir.resolve("train.log"), args.toArray(String[]::new));
        assertTrue(p.awaitOutput("epoch 1/40"), p.output());
        p.terminate();
        String o = p.output();
        int committed = Integer.parseInt(o.replaceAll("(?s).*interrupted: epoch (\\d+) of 40 is committed.*", "$1"));
        assertTrue(o.contains("interrupted: epoch " + committed + " of 40 is committed in " + r + "; continue with: engine.jar train --resume --out "
                + r), o);
        assertEquals(0, run(train(r, 40, "--train-examples", "1000", "--resume", "--stop-after", Integer.toString(committed + 1))), stderr());
        assertTrue(Files.exists(r.resolve("checkpoints/epoch-" + String.format("%03d", committed + 1) + ".safetensors")));
    }
}
