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

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EpochCommit.class);

    /** The newest committed epoch: its number and its two files, and the manifest that commits them. */
    record Committed(int epoch, Path weights, Path state, ObjectNode manifest) {}

    static Path stateFile(RunDirectory run, int epoch) { return run.checkpoints().resolve(String.format("epoch-%03d.state.safetensors", epoch)); }

    /**
     * Commits an epoch; extras: further state vectors (a class-aware policy's) in the optimizer-state file;
     * config: the run's configuration as config.json holds it (recorded in the manifest, so that a resume
     * notices an edited config.json).
     */
    static void commit(RunDirectory run, int epoch, Model model, Sgd sgd, Map<String, float[]> extras, Map<String, String> meta,
                       String metricsLine, JsonNode config) throws IOException {
        CrashPoints.beginEpochCommit(epoch);
        Path weights = run.epochWeights(epoch), state = stateFile(run, epoch);
        Checkpoint.save(model, weights, meta);
        TrainingState.save(state, sgd, extras, meta);
        AtomicFiles.appendLine(run.metrics(), metricsLine);
        RunManifest.write(run, manifest(epoch, weights, state, config));
        // Committed. What follows only tidies up; resume repairs it if a crash interrupts it.
        copy(weights, run.lastWeights());
        Path previous = stateFile(run, epoch - 1);
        if (Files.exists(previous)) {
            CrashPoints.step("deleting " + previous);
            Files.delete(previous);
        }
        CrashPoints.endEpochCommit();
    }

    private static ObjectNode manifest(int epoch, Path weights, Path state, JsonNode config) throws IOException {
        ObjectNode m = JSON.createObjectNode();
        String weightsSha = RunManifest.sha256(weights);
        m.put("epoch", epoch);
        m.put("weights", weights.getFileName().toString());
        m.put("weights_sha256", weightsSha);
        m.put("state", state.getFileName().toString());
        m.put("state_sha256", RunManifest.sha256(state));
        m.put("final", weights.getFileName().toString());
        m.put("final_sha256", weightsSha);
        m.set("config", config);
        return m;
    }

    /** Makes another file of the run (CFA's weight average) its final model: written, then named in the manifest. */
    static void commitFinal(RunDirectory run, Path finalWeights) throws IOException {
        ObjectNode m = RunManifest.read(run);
        if (m == null) throw new IOException(run.manifest() + " is missing: no epoch was committed");
        m.put("final", run.checkpoints().relativize(finalWeights).toString());
        m.put("final_sha256", RunManifest.sha256(finalWeights));
        RunManifest.write(run, m);
    }

    /**
     * The newest committed epoch, its files checked against the manifest; null when nothing was
     * committed yet. A run written before manifests existed resumes from its last.safetensors and
     * last.state.safetensors pair when both name the same epoch. A manifest deleted by hand is rebuilt
     * from the newest epoch whose weights, optimizer state and metrics line are all present and whose
     * files pass their own checksums (said in the log); when no epoch qualifies the resume is refused
     * rather than retraining over committed epochs.
     */
    static Committed newest(RunDirectory run) throws IOException {
        Path mf = run.manifest();
        ObjectNode m = RunManifest.read(run);
        if (m != null) {
            int epoch = m.path("epoch").asInt(-1);
            Path weights = run.checkpoints().resolve(m.path("weights").asText("")), state = run.checkpoints().resolve(m.path("state").asText(""));
            if (epoch < 1) throw new IOException(mf + ": no epoch number (an imported model's run cannot be resumed)");
            for (Path f : new Path[] {weights, state}) {
                if (!Files.isRegularFile(f)) throw new IOException(mf + " commits epoch " + epoch + " but " + f + " is missing");
            }
            if (!sha256(weights).equals(m.path("weights_sha256").asText()) || !sha256(state).equals(m.path("state_sha256").asText())) {
                throw new IOException(mf + " commits epoch " + epoch + " but " + weights.getFileName() + " or " + state.getFileName()
                        + " changed after the commit (SHA-256 differs): the run cannot be resumed safely");
            }
            return new Committed(epoch, weights, state, m);
        }
        Path legacyState = run.lastState();
        if (Files.exists(run.lastWeights()) && Files.exists(legacyState)) {
            String a = Safetensors.read(run.lastWeights()).metadata().get("classwise.epoch");
            String b = Safetensors.read(legacyState).metadata().get("classwise.epoch");
            if (a != null && a.equals(b)) return new Committed(Integer.parseInt(a), run.lastWeights(), legacyState, JSON.createObjectNode());
        }
        // The metrics line is appended just before the manifest: without any, no epoch was ever committed (a crash in
        // the first epoch's commit leaves its files behind, and training starts again from epoch 1 over them).
        Set<Integer> logged = metricsEpochs(run);
        if (logged.isEmpty()) return null;
        return rebuild(run, RunManifest.epochFiles(run), logged);
    }

    private static Committed rebuild(RunDirectory run, List<Path> epochFiles, Set<Integer> logged) throws IOException {
        for (Path weights : epochFiles) {
            int epoch = RunManifest.epochOf(weights);
            Path state = stateFile(run, epoch);
            if (!Files.isRegularFile(state) || !logged.contains(epoch)) continue;
            try {
                if (!Integer.toString(epoch).equals(Safetensors.read(weights).metadata().get("classwise.epoch"))
                        || !Integer.toString(epoch).equals(Safetensors.read(state).metadata().get("classwise.epoch"))) continue;
            } catch (IOException damaged) {
                continue;
            }
            ObjectNode m = manifest(epoch, weights, state, JSON.readTree(run.config().toFile()));
            RunManifest.write(run, m);
            LOG.warn("{} was missing: rebuilt it for epoch {} from {} and {}, whose own checksums verify and whose metrics line is in {}",
                    run.manifest(), epoch, weights.getFileName(), state.getFileName(), run.metrics().getFileName());
            return new Committed(epoch, weights, state, m);
        }
        throw new IOException(run.manifest() + " is missing although " + run.metrics().getFileName() + " records committed epochs (up to "
                + logged.stream().max(Integer::compare).orElseThrow() + "), and no epoch can be verified instead (each needs "
                + "epoch-NNN.safetensors, epoch-NNN.state.safetensors and its metrics line, checksums intact); refusing to train "
                + "again over " + epochFiles.size() + " committed epoch file(s). Restore last.json, or start a new run in another --out");
    }

    /** Epoch numbers that have a complete line in metrics.jsonl. */
    private static Set<Integer> metricsEpochs(RunDirectory run) throws IOException {
        Set<Integer> out = new HashSet<>();
        if (!Files.exists(run.metrics())) return out;
        for (String l : Files.readAllLines(run.metrics(), StandardCharsets.UTF_8)) {
            try {
                JsonNode n = JSON.readTree(l);
                if (n != null && n.has("epoch")) out.add(n.path("epoch").asInt());
            } catch (IOException torn) {
                // an incomplete last line: that epoch was not logged
            }
        }
        return out;
    }

    private static void copy(Path from, Path to) throws IOException {
        AtomicFiles.write(to, out -> {
            try (InputStream in = Files.newInputStream(from)) {
                in.transferTo(out);
            }
        });
    }

    /**
     * Deletes optimizer states of epochs other than the committed one: a crash between a commit and its tidying
     * leaves the previous epoch's state behind (only the committed epoch's state is ever read).
     */
    static int removeSupersededStates(RunDirectory run, int committedEpoch) throws IOException {
        int n = 0;
        try (var files = Files.list(run.checkpoints())) {
            for (Path p : files.toList()) {
                Matcher m = STATE_FILE.matcher(p.getFileName().toString());
                if (m.matches() && Integer.parseInt(m.group(1)) != committedEpoch) {
                    Files.delete(p);
                    n++;
                }
            }
        }
        return n;
    }

    private static final Pattern STATE_FILE = Pattern.compile("epoch-(\\d{3,})\\.state\\.safetensors");

    /** Makes last.safetensors the committed final model again (a crash may have left an older copy). */
    static void repairLast(RunDirectory run) throws IOException {
        RunManifest.FinalModel fin = run.finalModel();
        Path last = run.lastWeights();
        if (!fin.file().equals(last) && (!Files.exists(last) || !sha256(last).equals(fin.sha256()))) copy(fin.file(), last);
    }

    static String sha256(Path file) throws IOException { return RunManifest.sha256(file); }
}
