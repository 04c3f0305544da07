package io.classwise.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.data.DatasetId;
import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.nn.StateDict;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.nn.checkpoint.TorchCheckpoint;
import io.classwise.tensor.Backend;
import io.classwise.train.Presets;
import io.classwise.train.RunDirectory;
import io.classwise.train.TrainConfig;
import io.classwise.util.AtomicFiles;

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
    public record Request(Path in, Path out, Path runDir, String architecture, String dataset, String normalize, Float eps) {}

    /** What was imported: the spec, and where the weights were (null fields for a safetensors input). */
    public record Result(Models.Spec spec, TorchCheckpoint.Contents found) {}

    public static Result run(Request r, Backend b) throws IOException {
        if (!Files.isRegularFile(r.in())) throw new IllegalArgumentException(r.in() + " does not exist");
        Models.Spec spec = spec(r.architecture(), r.dataset(), r.normalize());
        if (r.eps() != null && !(r.eps() > 0 && r.eps() <= 1)) throw new IllegalArgumentException("--eps must be in (0, 1], got " + r.eps());
        Model model = Models.create(b, spec, 0);
        TorchCheckpoint.Contents found = Checkpoint.loadWeights(model, r.in());
        DatasetId id = DatasetId.parse(r.dataset());
        Map<String, String> meta = new TreeMap<>();
        meta.put("classwise.dataset", id.cliName);
        meta.put("classwise.source", "files");
        meta.put("classwise.method", IMPORTED);
        meta.put("classwise.imported_from", r.in().getFileName().toString());
        if (r.eps() != null) meta.put("classwise.eps", Float.toString(r.eps()));
        if ((r.out() == null) == (r.runDir() == null)) throw new IllegalArgumentException("give either OUT (a .safetensors file) or --run DIR");
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
            AtomicFiles.write(run.config(), o -> o.write(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(c)));
        }
        return new Result(spec, found);
    }

    /** The architecture for a dataset's inputs and classes, with the normalisation "none" or "dataset". */
    public static Models.Spec spec(String architecture, String dataset, String normalize) {
        if (architecture == null) throw new IllegalArgumentException("--arch is required: the file holds weights, not the network's structure");
        if (dataset == null) throw new IllegalArgumentException("--dataset is required: it gives the input shape and the classes");
        DatasetId id = DatasetId.parse(dataset);
        int[] shape = id.inputShape();
        float[] mean = new float[shape[0]], std = new float[shape[0]];
        Arrays.fill(std, 1f);
        switch (normalize == null ? "none" : normalize.toLowerCase(Locale.ROOT)) {
            case "none" -> { }
            case "dataset" -> { mean = id.mean(); std = id.std(); }
            default -> throw new IllegalArgumentException("--normalize must be none (the model takes [0, 1] pixels) or dataset (the "
                    + "dataset's mean/std in front), got '" + normalize + "'");
        }
        return new Models.Spec(architecture, id.classNames().size(), shape, mean, std, 0f);
    }

    /** The parameter and buffer names and shapes an architecture expects (info --arch), in order. */
    public static List<String> expectedNames(Backend b, String architecture, String dataset) {
        Model m = Models.create(b, spec(architecture, dataset, "none"), 0);
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, StateDict.Entry> e : m.stateDict().entries().entrySet()) {
            lines.add(e.getKey() + " " + Arrays.toString(e.getValue().shape()) + (e.getValue() instanceof StateDict.FloatEntry f
                    && !f.parameter() ? " (buffer)" : ""));
        }
        return lines;
    }
}
