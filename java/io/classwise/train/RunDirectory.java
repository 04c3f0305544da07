package io.classwise.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The layout of a run directory: config.json, metrics.jsonl, checkpoints/ (epoch-NNN.safetensors
 * weights of every epoch, epoch-NNN.state.safetensors the newest epoch's optimizer state, last.json the
 * commit manifest naming them, last.safetensors a copy of the newest weights), analysis/, plots/,
 * examples/, report.html, and .lock while a run is training.
 */
public record RunDirectory(Path root) {
    public Path config() { return root.resolve("config.json"); }
    public Path metrics() { return root.resolve("metrics.jsonl"); }
    public Path checkpoints() { return root.resolve("checkpoints"); }
    /** A copy of the final model for people and tools that open a file by name; readers inside Classwise use {@link #finalWeights()}. */
    public Path lastWeights() { return checkpoints().resolve("last.safetensors"); }
    /** The optimizer state of runs written before commit manifests (checkpoints/last.json) existed; read only to resume them. */
    public Path lastState() { return checkpoints().resolve("last.state.safetensors"); }
    public Path epochWeights(int epoch) { return checkpoints().resolve(String.format("epoch-%03d.safetensors", epoch)); }
    /** The commit manifest: which epoch is committed, its files and their SHA-256, the config it was trained with, the final model. */
    public Path manifest() { return checkpoints().resolve("last.json"); }
    public Path analysis() { return root.resolve("analysis"); }
    public Path plots() { return root.resolve("plots"); }
    /** Galleries of adversarial examples, one folder per attack (index.json, class-NN.png, examples.safetensors). */
    public Path examples() { return root.resolve("examples"); }
    public Path report() { return root.resolve("report.html"); }

    /** Where diagnose writes a new diagnosis before swapping it in whole (see api.RunDiagnosis). */
    public static final String DIAGNOSIS_STAGING = ".diagnosis-staging";

    public Path diagnosisStaging() { return root.resolve(DIAGNOSIS_STAGING); }

    /**
     * What Classwise itself writes at the top of a run directory. {@code --overwrite} deletes only these (and
     * nested runs and comparisons, which demo and reproduce put inside their main run); anything else makes it refuse.
     */
    static final Set<String> LAYOUT = Set.of("config.json", "metrics.jsonl", "checkpoints", "analysis", "plots", "examples", "report.html",
            RunLock.FILE, "final_model.json", "class-removal", "sweep-result.json", DIAGNOSIS_STAGING);

    /** True when dir holds a Classwise run: a config.json that parses as a training configuration (dataset and method named). */
    public static boolean holdsRun(Path dir) {
        Path config = dir.resolve("config.json");
        if (!Files.isRegularFile(config, LinkOption.NOFOLLOW_LINKS)) return false;
        try {
            JsonNode c = new ObjectMapper().readTree(config.toFile());
            return c != null && c.path("dataset").isTextual() && c.path("method").isTextual();
        } catch (IOException notJson) {
            return false;
        }
    }

    /** A comparison directory (compare --out, reproduce's comparison/): it holds comparison.json. */
    public static boolean holdsComparison(Path dir) { return Files.isRegularFile(dir.resolve("comparison.json"), LinkOption.NOFOLLOW_LINKS); }

    /**
     * The entries of this directory that Classwise did not write as part of a run: what {@code --overwrite}
     * refuses to delete. Hidden temporary files of an interrupted write ({@code .NAME.*.tmp}) are ours.
     */
    public List<Path> foreignEntries() throws IOException {
        List<Path> foreign = new ArrayList<>();
        try (var files = Files.list(root)) {
            for (Path p : files.sorted().toList()) {
                String name = p.getFileName().toString();
                boolean ours = LAYOUT.contains(name) || (name.startsWith(".") && name.endsWith(".tmp"))
                        || (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && (holdsRun(p) || holdsComparison(p)));
                if (!ours) foreign.add(p);
            }
        }
        return foreign;
    }

    /**
     * The run's final model, resolved through the commit manifest and verified against its SHA-256: what
     * eval, attack, diagnose, compare and the sweep's read-back open. A run whose manifest is missing while
     * epochs exist, or whose final file changed after the commit, is refused with the fix ({@code --resume}).
     */
    public Path finalWeights() throws IOException { return finalModel().file(); }

    /** As {@link #finalWeights()}, with the file's SHA-256 as the manifest records it (no second hash of the file). */
    public RunManifest.FinalModel finalModel() throws IOException { return RunManifest.finalModel(this); }
}
