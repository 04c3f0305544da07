package io.classwise.train;

import java.nio.file.Path;

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
    public Path lastWeights() { return checkpoints().resolve("last.safetensors"); }
    /** The optimizer state of runs written before commit manifests (checkpoints/last.json) existed; read only to resume them. */
    public Path lastState() { return checkpoints().resolve("last.state.safetensors"); }
    public Path epochWeights(int epoch) { return checkpoints().resolve(String.format("epoch-%03d.safetensors", epoch)); }
    public Path analysis() { return root.resolve("analysis"); }
    public Path plots() { return root.resolve("plots"); }
    /** Galleries of adversarial examples, one folder per attack (index.json, class-NN.png, examples.safetensors). */
    public Path examples() { return root.resolve("examples"); }
    public Path report() { return root.resolve("report.html"); }
}
