package io.classwise.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.data.DatasetId;
import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.nn.StateDict;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.nn.checkpoint.Safetensors;
import io.classwise.nn.checkpoint.TorchCheckpoint;
import io.classwise.tensor.Backend;
import io.classwise.train.Presets;
import io.classwise.train.RunDirectory;
import io.classwise.train.RunManifest;
import io.classwise.train.TrainConfig;
import io.classwise.util.AtomicFiles;
import io.classwise.util.FileDigests;
import io.classwise.util.OutputPaths;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Weights trained elsewhere as a Classwise checkpoint ({@code convert}): a torch.save archive (read without
 * executing any of it) or a bare safetensors file, loaded into the named architecture for the dataset's
 * input shape and classes, and saved with the metadata every command reads (architecture, classes, input
 * shape, normalisation, dataset, ε). Where the normalisation lives is explicit: "none" when the model takes
 * [0, 1] pixels as they are (it normalises inside, or was trained without), "dataset" to put the dataset's
 * mean/std in front of it.
 */
public final class ImportModel {
    private ImportModel() {}

    /** The method recorded for an imported model (its training recipe is unknown). */
    public static final String IMPORTED = "imported";

    /**
     * out: the checkpoint to write, or null with runDir: a run directory (checkpoints/last.safetensors and a
     * config.json naming the dataset, architecture and ε) that diagnose and compare open like a trained run.
     * eps null: the dataset's preset ℓ∞ budget.
     */
    public record Request(Path in, Path out, Path runDir, String architecture, String dataset, String normalize, Float eps, boolean overwrite) {}

    /** What was imported: the spec, and how the file's entries were fitted to it. */
    public record Result(Models.Spec spec, Checkpoint.Loaded found) {}

    public static Result run(Request r, Backend b) throws IOException {
        if (!Files.isRegularFile(r.in())) throw new IllegalArgumentException(r.in() + (Files.isDirectory(r.in()) ? " is a directory, not a "
                + "checkpoint file" : Files.exists(r.in()) ? " is not a regular file" : " does not exist"));
        if ((r.out() == null) == (r.runDir() == null)) throw new IllegalArgumentException("give either OUT (a .safetensors file) or --run DIR");
        // Every output checked before anything is read or written: a refused convert changes nothing.
        if (r.out() != null) OutputPaths.checkFile(r.out(), "OUT", r.overwrite(), r.in());
        else if (RunDirectory.holdsRun(r.runDir())) throw new IllegalArgumentException("--run " + r.runDir() + " already holds a run ("
                + new RunDirectory(r.runDir()).config() + "); choose another directory");
        else OutputPaths.checkDirectory(r.runDir(), "--run", false, d -> false, "a run directory", List.of(r.in()));
        Models.Spec spec = spec(r.architecture(), r.dataset(), r.normalize());
        if (r.eps() != null && !(r.eps() > 0 && r.eps() <= 1)) throw new IllegalArgumentException("--eps must be in (0, 1], got " + r.eps());
        Model model = Models.createForLoading(b, spec);
        Checkpoint.Loaded found = Checkpoint.loadWeights(model, r.in());
        DatasetId id = DatasetId.parse(r.dataset());
        Map<String, String> meta = new TreeMap<>();
        meta.put("classwise.dataset", id.cliName);
        meta.put("classwise.source", "files");
        meta.put("classwise.method", IMPORTED);
        meta.put("classwise.imported_from", r.in().getFileName().toString());
        if (r.eps() != null) meta.put("classwise.eps", Float.toString(r.eps()));
        if (r.out() != null) {
            Checkpoint.save(model, r.out(), meta);
        } else {
            RunDirectory run = new RunDirectory(r.runDir());
            Files.createDirectories(run.checkpoints());
            TrainConfig c = new TrainConfig();
            c.dataset = id.cliName;
            c.architecture = r.architecture();
            c.method = IMPORTED;
            c.eps = r.eps() != null ? r.eps() : Presets.linfEps(id);
            c.presetSource = "imported from " + r.in().getFileName();
            if (r.eps() == null) meta.put("classwise.eps", Double.toString(c.eps));
            Checkpoint.save(model, run.lastWeights(), meta);
            RunManifest.writeImported(run, run.lastWeights());
            // config.json last: a directory that holds it is a run, complete.
            AtomicFiles.write(run.config(), o -> o.write(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(c)));
        }
        return new Result(spec, found);
    }

    /**
     * A model opened from a checkpoint of either kind, with the checkpoint's metadata (empty for weights from
     * elsewhere) and the dataset it is for (--dataset, else the recorded one).
     */
    public record Opened(Model model, Map<String, String> metadata, DatasetId dataset) {}

    /**
     * Opens a Classwise checkpoint (its metadata names everything; architecture must be null) or weights
     * without Classwise metadata (a torch.save file or a bare safetensors file: architecture and dataset
     * required, normalize as in {@link #spec}). dataset, when given, overrides the recorded one.
     */
    public static Opened open(Path given, String architecture, String dataset, String normalize, Backend b) throws IOException {
        Path checkpoint = checkpointFile(given);
        Map<String, String> meta = metadataOf(checkpoint);
        boolean foreign = !meta.containsKey(Checkpoint.ARCHITECTURE);
        if (foreign && (architecture == null || dataset == null)) {
            throw new IllegalArgumentException(checkpoint + " holds weights without Classwise metadata: give --arch and --dataset "
                    + "(and --normalize, --eps), or convert it once with engine.jar convert");
        }
        if (!foreign && architecture != null) throw new IllegalArgumentException("--arch: " + checkpoint
                + " already says its architecture (" + meta.get(Checkpoint.ARCHITECTURE) + ")");
        String ds = dataset != null ? dataset : meta.get("classwise.dataset");
        if (ds == null) throw new IllegalArgumentException(checkpoint + " does not record its dataset; pass --dataset");
        Model model;
        if (foreign) {
            model = Models.createForLoading(b, spec(architecture, dataset, normalize));
            Checkpoint.loadWeights(model, checkpoint);
        } else {
            model = Checkpoint.load(b, checkpoint);
        }
        return new Opened(model, meta, DatasetId.parse(ds));
    }

    /** A checkpoint's Classwise metadata (dataset, source, ε, …): empty for a torch.save file. */
    static Map<String, String> metadata(Path checkpoint) throws IOException { return metadataOf(checkpointFile(checkpoint)); }

    private static Map<String, String> metadataOf(Path file) throws IOException {
        return TorchCheckpoint.isTorchFile(file) ? Map.of() : Safetensors.read(file).metadata();
    }

    /**
     * The file a --checkpoint names: a run directory stands for its final model (resolved through the commit
     * manifest and verified); a run's checkpoints/last.safetensors is accepted only while it is that model (a crash
     * in the commit window can leave the previous epoch's copy there); anything but a regular file is refused.
     */
    public static Path checkpointFile(Path given) throws IOException {
        if (!Files.exists(given)) throw new IllegalArgumentException("--checkpoint: " + given + " does not exist");
        if (Files.isDirectory(given)) {
            if (!RunDirectory.holdsRun(given)) throw new IllegalArgumentException("--checkpoint: " + given + " is a directory, and not a "
                    + "run directory (no config.json of a run); give a checkpoint file (.safetensors, .pt) or a run directory");
            return new RunDirectory(given).finalWeights();
        }
        if (!Files.isRegularFile(given)) throw new IllegalArgumentException("--checkpoint: " + given + " is not a regular file (a pipe, "
                + "device or socket); give a checkpoint file");
        Path abs = given.toAbsolutePath().normalize();
        Path dir = abs.getParent(), root = dir == null ? null : dir.getParent();
        if (root != null && dir.getFileName().toString().equals("checkpoints") && RunDirectory.holdsRun(root)) {
            RunDirectory run = new RunDirectory(root);
            if (abs.equals(run.lastWeights().toAbsolutePath().normalize())) {
                RunManifest.FinalModel fin = run.finalModel();
                if (!fin.file().equals(run.lastWeights()) && !FileDigests.hex(given, "SHA-256").equals(fin.sha256())) {
                    throw new IllegalStateException("--checkpoint: " + given + " is not the run's committed final model (" + fin.file().getFileName()
                            + " per " + run.manifest().getFileName() + "; a crash left an older copy): engine.jar train --resume --out "
                            + root + " repairs it; or pass --checkpoint " + root + " to open the committed model");
                }
            }
        }
        return given;
    }

    /**
     * The architecture for a dataset's inputs and classes, with the normalisation "none", "dataset", or
     * "auto" (null): what the architecture's published models expect ({@link Models#publishedWithDatasetNormalisation}).
     */
    public static Models.Spec spec(String architecture, String dataset, String normalize) {
        if (architecture == null) throw new IllegalArgumentException("--arch is required: the file holds weights, not the network's structure");
        if (dataset == null) throw new IllegalArgumentException("--dataset is required: it gives the input shape and the classes");
        DatasetId id = DatasetId.parse(dataset);
        int[] shape = id.inputShape();
        float[] mean = new float[shape[0]], std = new float[shape[0]];
        Arrays.fill(std, 1f);
        String how = normalize == null ? "auto" : normalize.toLowerCase(Locale.ROOT);
        if (how.equals("auto")) how = Models.publishedWithDatasetNormalisation(architecture) ? "dataset" : "none";
        switch (how) {
            case "none" -> { }
            case "dataset" -> { mean = id.mean(); std = id.std(); }
            default -> throw new IllegalArgumentException("--normalize must be auto (what the architecture's published models expect), none "
                    + "(the model takes [0, 1] pixels) or dataset (the dataset's mean/std in front), got '" + normalize + "'");
        }
        return new Models.Spec(architecture, id.numClasses(), shape, mean, std, 0f);
    }

    /** The parameter and buffer names and shapes an architecture expects (info --arch), in order. */
    public static List<String> expectedNames(Backend b, String architecture, String dataset) {
        Model m = Models.createForLoading(b, spec(architecture, dataset, "none"));
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, StateDict.Entry> e : m.stateDict().entries().entrySet()) {
            lines.add(e.getKey() + " " + Arrays.toString(e.getValue().shape()) + (e.getValue() instanceof StateDict.FloatEntry f
                    && !f.parameter() ? " (buffer)" : ""));
        }
        return lines;
    }
}
