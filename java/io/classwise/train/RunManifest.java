package io.classwise.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.classwise.util.AtomicFiles;
import io.classwise.util.FileDigests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * checkpoints/last.json, the commit manifest of a run. Written last in an epoch's commit, it is the commit:
 * <pre>
 * { "epoch": 3,
 *   "weights": "epoch-003.safetensors", "weights_sha256": "…",
 *   "state": "epoch-003.state.safetensors", "state_sha256": "…",
 *   "final": "epoch-003.safetensors", "final_sha256": "…",   // what readers open: CFA's FAWA average once written
 *   "config": { …config.json as the committed epochs were trained… } }
 * </pre>
 * An imported model's run directory has a manifest with only "final" (epoch 0, nothing to resume).
 */
public final class RunManifest {
    private RunManifest() {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern EPOCH_FILE = Pattern.compile("epoch-(\\d{3,})\\.safetensors");

    /** Settings a resumed run may change without becoming another experiment (Presets.resumed allows exactly these). */
    static final Set<String> RESUMABLE = Set.of("epochs", "device", "threads");

    /** The manifest as written, or null when the run has none. */
    static ObjectNode read(RunDirectory run) throws IOException {
        Path mf = run.manifest();
        if (!Files.exists(mf)) return null;
        JsonNode m;
        try {
            m = JSON.readTree(mf.toFile());
        } catch (IOException e) {
            throw new IOException(mf + ": the commit manifest is unreadable (" + e.getMessage() + ")", e);
        }
        if (!(m instanceof ObjectNode o)) throw new IOException(mf + ": the commit manifest is not a JSON object");
        return o;
    }

    static void write(RunDirectory run, ObjectNode m) throws IOException {
        AtomicFiles.write(run.manifest(), out -> out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m)));
    }

    /** The manifest of an imported model's run directory: its one checkpoint is the final model. */
    public static void writeImported(RunDirectory run, Path weights) throws IOException {
        ObjectNode m = JSON.createObjectNode();
        m.put("epoch", 0);
        m.put("final", run.checkpoints().relativize(weights).toString());
        m.put("final_sha256", sha256(weights));
        write(run, m);
    }

    /**
     * A run's final model: the file, and its SHA-256 as the manifest records it (already checked against the file),
     * or null for a run written before manifests (then computed when asked for).
     */
    public record FinalModel(Path file, String recordedSha256) {
        public String sha256() throws IOException { return recordedSha256 != null ? recordedSha256 : RunManifest.sha256(file); }
    }

    /** See {@link RunDirectory#finalModel()}. */
    static FinalModel finalModel(RunDirectory run) throws IOException {
        Path root = run.root();
        if (!Files.isDirectory(root)) throw new IllegalArgumentException(root + (Files.exists(root) ? " is a file, not a run directory"
                : " does not exist"));
        ObjectNode m = read(run);
        if (m != null) {
            String name = m.path("final").asText(m.path("weights").asText(""));
            String sha = m.has("final") ? m.path("final_sha256").asText("") : m.path("weights_sha256").asText("");
            Path f = run.checkpoints().resolve(name);
            if (name.isEmpty() || !Files.isRegularFile(f)) {
                throw new IOException(run.manifest() + " names " + (name.isEmpty() ? "no file" : f) + " as the run's final model, but it is "
                        + "missing; " + repairHint(run));
            }
            if (!sha256(f).equals(sha)) {
                throw new IOException(f + " is not the file " + run.manifest() + " committed (its SHA-256 differs): it was changed or "
                        + "corrupted after the commit; " + repairHint(run));
            }
            return new FinalModel(f, sha);
        }
        List<Path> epochs = epochFiles(run);
        if (!epochs.isEmpty()) {
            throw new IOException(run.manifest() + " is missing although " + root + " holds committed epochs (" + epochs.get(0)
                    .getFileName() + " ...): its final model cannot be verified. engine.jar train --resume --out " + root
                    + " rebuilds the manifest from the checkpoints' own checksums");
        }
        // Written before manifests: its own checksum is verified on reading.
        if (Files.isRegularFile(run.lastWeights())) return new FinalModel(run.lastWeights(), null);
        throw new IllegalArgumentException(root + " holds no trained model (neither " + run.manifest().getFileName() + " nor "
                + run.lastWeights().getFileName() + " in " + run.checkpoints() + "): train first");
    }

    private static String repairHint(RunDirectory run) {
        return isImported(run) ? "convert the model again into a new run directory"
                : "engine.jar train --resume --out " + run.root() + " repairs what a crash left, or retrain";
    }

    /** epoch-NNN.safetensors files of the run, newest first. */
    static List<Path> epochFiles(RunDirectory run) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(run.checkpoints())) return out;
        try (var files = Files.list(run.checkpoints())) {
            for (Path p : files.toList()) if (EPOCH_FILE.matcher(p.getFileName().toString()).matches()) out.add(p);
        }
        out.sort((a, b) -> Integer.compare(epochOf(b), epochOf(a)));
        return out;
    }

    static int epochOf(Path epochFile) {
        Matcher m = EPOCH_FILE.matcher(epochFile.getFileName().toString());
        if (!m.matches()) throw new IllegalArgumentException(epochFile + " is not an epoch checkpoint");
        return Integer.parseInt(m.group(1));
    }

    /**
     * The first setting (in field order) in which config.json differs from the configuration the committed
     * epochs were trained with, as "field: committed → now", or null when they agree (settings a resume may
     * change aside; a manifest written before configs were recorded agrees with anything).
     */
    static String configChange(ObjectNode manifest, JsonNode now) {
        JsonNode was = manifest.get("config");
        if (was == null || !was.isObject()) return null;
        TreeSet<String> fields = new TreeSet<>();
        for (Iterator<String> it = was.fieldNames(); it.hasNext(); ) fields.add(it.next());
        for (Iterator<String> it = now.fieldNames(); it.hasNext(); ) fields.add(it.next());
        for (String f : fields) {
            if (RESUMABLE.contains(f)) continue;
            JsonNode a = was.path(f), b = now.path(f);
            boolean same = a.isNumber() && b.isNumber() ? a.asDouble() == b.asDouble() : a.equals(b);
            if (!same) return f + ": " + (a.isMissingNode() ? "(absent)" : a.toString()) + " → " + (b.isMissingNode() ? "(absent)" : b.toString());
        }
        return null;
    }

    static String sha256(Path file) throws IOException { return FileDigests.hex(file, "SHA-256"); }

    /** Whether a run directory holds an imported model (its recipe unknown: nothing to resume). */
    private static boolean isImported(RunDirectory run) {
        try {
            return "imported".equals(JSON.readTree(run.config().toFile()).path("method").asText());
        } catch (IOException e) {
            return false;
        }
    }
}
