package io.classwise.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.classwise.train.RunDirectory;
import io.classwise.train.RunManifest;
import io.classwise.util.AtomicFiles;
import io.classwise.util.FileDigests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * RUN/analysis/diagnosis.json: which files make up the run's diagnosis, with their SHA-256, the settings they
 * were computed with (ε, steps, examples, seed) and the model file they describe. Written last, when a diagnosis
 * has been swapped in whole; a report is assembled only from the files it lists, unchanged. An analysis directory
 * without it (an interrupted swap, or files put there by hand) yields no report, so a mixture of two diagnoses
 * is never presented as one.
 */
public final class AnalysisSeal {
    private AnalysisSeal() {}

    public static final String FILE = "diagnosis.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public static Path file(RunDirectory run) { return run.analysis().resolve(FILE); }

    /** Seals every file now in RUN/analysis as one diagnosis of the given model with the given settings. */
    public static void write(RunDirectory run, JsonNode settings, RunManifest.FinalModel model) throws IOException {
        ObjectNode seal = JSON.createObjectNode();
        seal.set("settings", settings);
        ObjectNode m = seal.putObject("model");
        m.put("file", run.root().toAbsolutePath().relativize(model.file().toAbsolutePath()).toString());
        m.put("sha256", model.sha256());
        ObjectNode files = seal.putObject("files");
        try (var list = Files.list(run.analysis())) {
            for (Path f : list.sorted().toList()) {
                String name = f.getFileName().toString();
                if (name.equals(FILE) || name.startsWith(".") || !Files.isRegularFile(f)) continue;
                files.put(name, FileDigests.hex(f, "SHA-256"));
            }
        }
        AtomicFiles.write(file(run), out -> out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(seal)));
    }

    /**
     * Adds files a later step of the same command wrote into a sealed analysis (remove-class's class_removal,
     * reproduce's Temperature-PGD by method), keeping the settings and model; seals a first time with the
     * given settings when there is no seal yet.
     */
    public static void extend(RunDirectory run, JsonNode settingsIfNew, RunManifest.FinalModel model) throws IOException {
        Path f = file(run);
        JsonNode settings = settingsIfNew;
        if (Files.exists(f)) settings = JSON.readTree(f.toFile()).path("settings");
        write(run, settings, model);
    }

    /**
     * The sealed files (name → SHA-256), each checked to be present and unchanged; refuses an analysis directory
     * that has files but no seal, naming the fix. Empty when there is no analysis at all.
     */
    public static Map<String, String> verify(RunDirectory run) throws IOException {
        Map<String, String> out = new TreeMap<>();
        if (!Files.isDirectory(run.analysis())) return out;
        Path f = file(run);
        if (!Files.exists(f)) {
            throw new IllegalStateException(run.analysis() + " has no " + FILE + ": it is what an interrupted diagnose (or an older "
                    + "Classwise) left, possibly a mixture of two diagnoses; run 'engine.jar diagnose --run " + run.root() + "' again");
        }
        JsonNode seal = JSON.readTree(f.toFile());
        for (var it = seal.path("files").fields(); it.hasNext(); ) {
            var e = it.next();
            Path p = run.analysis().resolve(e.getKey());
            if (!Files.isRegularFile(p) || !FileDigests.hex(p, "SHA-256").equals(e.getValue().asText())) {
                throw new IllegalStateException(p + (Files.exists(p) ? " changed" : " is missing") + " since the diagnosis sealed in " + f
                        + " was written; run 'engine.jar diagnose --run " + run.root() + "' again");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }
}
