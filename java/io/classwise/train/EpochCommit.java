package io.classwise.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.classwise.nn.Model;
import io.classwise.nn.Sgd;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.nn.checkpoint.TrainingState;
import io.classwise.util.AtomicFiles;
import io.classwise.util.CrashPoints;
import io.classwise.util.FileDigests;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import io.classwise.nn.checkpoint.Safetensors;

/**
 * Commits an epoch to a run directory so that a crash at any point leaves a run that resumes:
 * <ol>
 *   <li>checkpoints/epoch-NNN.safetensors (weights) and epoch-NNN.state.safetensors (optimizer), each
 *       written to a temporary file, fsynced and renamed;</li>
 *   <li>the epoch's metrics.jsonl line, appended and fsynced;</li>
 *   <li>checkpoints/last.json, the manifest naming both files with their SHA-256 — written last, it is
 *       the commit: an epoch exists once its manifest does;</li>
 *   <li>then, as conveniences, last.safetensors (a copy of the weights, what users and diagnose open) and
 *       the removal of the previous epoch's optimizer state.</li>
 * </ol>
 * {@link #newest} reads the manifest and checks the two files against it; resume starts there, drops
 * metrics lines of later epochs and rewrites last.safetensors if a crash left it behind.
 */
final class EpochCommit {
    private EpochCommit() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The newest committed epoch: its number and its two files. */
    record Committed(int epoch, Path weights, Path state) {}

    static Path manifest(RunDirectory run) { return run.checkpoints().resolve("last.json"); }

    static Path stateFile(RunDirectory run, int epoch) { return run.checkpoints().resolve(String.format("epoch-%03d.state.safetensors", epoch)); }

    static void commit(RunDirectory run, int epoch, Model model, Sgd sgd, Map<String, String> meta, String metricsLine) throws IOException {
        commit(run, epoch, model, sgd, Map.of(), meta, metricsLine);
    }

    /** As above, with further state vectors (a class-aware policy's) in the optimizer-state file. */
    static void commit(RunDirectory run, int epoch, Model model, Sgd sgd, Map<String, float[]> extras, Map<String, String> meta,
                       String metricsLine) throws IOException {
        CrashPoints.beginEpochCommit(epoch);
        Path weights = run.epochWeights(epoch), state = stateFile(run, epoch);
        Checkpoint.save(model, weights, meta);
        TrainingState.save(state, sgd, extras, meta);
        AtomicFiles.appendLine(run.metrics(), metricsLine);
        ObjectNode m = JSON.createObjectNode();
        m.put("epoch", epoch);
        m.put("weights", weights.getFileName().toString());
        m.put("weights_sha256", sha256(weights));
        m.put("state", state.getFileName().toString());
        m.put("state_sha256", sha256(state));
        AtomicFiles.write(manifest(run), out -> out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m)));
        // Committed. What follows only tidies up; resume repairs it if a crash interrupts it.
        copy(weights, run.lastWeights());
        Path previous = stateFile(run, epoch - 1);
        if (Files.exists(previous)) {
            CrashPoints.step("deleting " + previous);
            Files.delete(previous);
        }
        CrashPoints.endEpochCommit();
    }

    /**
     * The newest committed epoch, its files checked against the manifest; null when nothing was
     * committed yet. A run written before manifests existed resumes from its last.safetensors and
     * last.state.safetensors pair when both name the same epoch.
     */
    static Committed newest(RunDirectory run) throws IOException {
        Path mf = manifest(run);
        if (Files.exists(mf)) {
            JsonNode m;
            try {
                m = JSON.readTree(mf.toFile());
            } catch (IOException e) {
                throw new IOException(mf + ": the commit manifest is unreadable (" + e.getMessage() + ")", e);
            }
            int epoch = m.path("epoch").asInt(-1);
            Path weights = run.checkpoints().resolve(m.path("weights").asText("")), state = run.checkpoints().resolve(m.path("state").asText(""));
            if (epoch < 1) throw new IOException(mf + ": no epoch number");
            for (Path f : new Path[] {weights, state}) {
                if (!Files.isRegularFile(f)) throw new IOException(mf + " commits epoch " + epoch + " but " + f + " is missing");
            }
            if (!sha256(weights).equals(m.path("weights_sha256").asText()) || !sha256(state).equals(m.path("state_sha256").asText())) {
                throw new IOException(mf + " commits epoch " + epoch + " but " + weights.getFileName() + " or " + state.getFileName()
                        + " changed after the commit (SHA-256 differs): the run cannot be resumed safely");
            }
            return new Committed(epoch, weights, state);
        }
        Path legacyState = run.lastState();
        if (Files.exists(run.lastWeights()) && Files.exists(legacyState)) {
            String a = Safetensors.read(run.lastWeights()).metadata().get("classwise.epoch");
            String b = Safetensors.read(legacyState).metadata().get("classwise.epoch");
            if (a != null && a.equals(b)) return new Committed(Integer.parseInt(a), run.lastWeights(), legacyState);
        }
        return null;
    }

    private static void copy(Path from, Path to) throws IOException {
        AtomicFiles.write(to, out -> {
            try (InputStream in = Files.newInputStream(from)) {
                in.transferTo(out);
            }
        });
    }

    /** Makes last.safetensors the committed epoch's weights again (a crash may have left an older copy). */
    static void repairLast(RunDirectory run, Committed c) throws IOException {
        if (!c.weights().equals(run.lastWeights()) && (!Files.exists(run.lastWeights())
                || !sha256(run.lastWeights()).equals(sha256(c.weights())))) {
            copy(c.weights(), run.lastWeights());
        }
    }

    static String sha256(Path file) throws IOException { return FileDigests.hex(file, "SHA-256"); }
}
