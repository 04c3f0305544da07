package io.classwise.nn.checkpoint;

import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.nn.StateDict;
import io.classwise.tensor.Backend;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import io.classwise.nn.layers.CosineLinear;

/**
 * Model weights as safetensors under PyTorch state_dict names, so that
 * {@code model.load_state_dict(safetensors.torch.load_file(path))} works on the PyTorch
 * implementation of the same architecture, and PyTorch-trained weights load here. The
 * {@code __metadata__} carries what is needed to rebuild the model: architecture, class count,
 * input shape, normalisation and the cosine-head scale.
 */
public final class Checkpoint {
    private Checkpoint() {}

    public static final String ARCHITECTURE = "classwise.architecture";
    public static final String NUM_CLASSES = "classwise.num_classes";
    public static final String INPUT_SHAPE = "classwise.input_shape";
    public static final String MEAN = "classwise.mean";
    public static final String STD = "classwise.std";
    public static final String COSINE_SCALE = "classwise.cosine_scale";

    /** Writes the model's state (atomically) with its description, plus any extra metadata. */
    public static void save(Model model, Path file, Map<String, String> extraMetadata) throws IOException {
        Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, StateDict.Entry> e : model.stateDict().entries().entrySet()) {
            StateDict.Entry v = e.getValue();
            if (v instanceof StateDict.FloatEntry f) {
                float[] values = f.tensor().toArray();
                String bad = firstNonFinite(values);
                if (bad != null) {
                    String offender = "'" + e.getKey() + "' holds " + bad;
                    throw new NonFiniteWeightsException(file + " not written: " + offender + " in " + model.architecture()
                            + " (the weights diverged)", offender);
                }
                tensors.put(e.getKey(), Safetensors.Entry.f32(f.shape(), values));
            } else {
                tensors.put(e.getKey(), Safetensors.Entry.i64(v.shape(), ((StateDict.LongEntry) v).get()));
            }
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put(ARCHITECTURE, model.architecture());
        meta.put(NUM_CLASSES, Integer.toString(model.numClasses()));
        meta.put(INPUT_SHAPE, join(model.inputShape()));
        meta.put(MEAN, join(model.mean()));
        meta.put(STD, join(model.std()));
        if (model.classifier() instanceof CosineLinear c) meta.put(COSINE_SCALE, Float.toString(c.scale));
        meta.putAll(extraMetadata);
        Safetensors.write(file, tensors, meta);
    }

    /** Rebuilds the model described by the file's metadata and loads its weights. */
    public static Model load(Backend backend, Path file) throws IOException {
        Safetensors.Contents c = Safetensors.read(file);
        Models.Spec spec = specOf(file, c.metadata());
        Model model = Models.createForLoading(backend, spec);
        loadState(model, file, c);
        return model;
    }

    /** The model description stored in a checkpoint's metadata. */
    public static Models.Spec specOf(Path file, Map<String, String> meta) throws SafetensorsFormatException {
        for (String k : List.of(ARCHITECTURE, NUM_CLASSES, INPUT_SHAPE, MEAN, STD)) {
            if (!meta.containsKey(k)) {
                throw new SafetensorsFormatException(file, "metadata has no '" + k + "': not a Classwise checkpoint; "
                        + "load PyTorch weights into a model you build with Checkpoint.loadInto");
            }
        }
        try {
            int[] shape = Arrays.stream(meta.get(INPUT_SHAPE).split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
            long pixels = 1;
            for (int d : shape) {
                // Sizes from a file are checked before anything is sized by them (a product that wraps gave "negative dimension").
                if (d < 1 || d > 1 << 16) throw new SafetensorsFormatException(file, "metadata '" + INPUT_SHAPE + "' = " + meta.get(INPUT_SHAPE)
                        + " has a dimension " + d + "; expected C,H,W each in 1.." + (1 << 16));
                pixels *= d;
            }
            if (shape.length != 3 || pixels > 1 << 26) throw new SafetensorsFormatException(file, "metadata '" + INPUT_SHAPE + "' = "
                    + meta.get(INPUT_SHAPE) + " is not an image shape C,H,W of at most " + (1 << 26) + " values");
            int classes = Integer.parseInt(meta.get(NUM_CLASSES).trim());
            if (classes < 1 || classes > 1 << 20) throw new SafetensorsFormatException(file, "metadata '" + NUM_CLASSES + "' = " + classes
                    + " is not a class count (1.." + (1 << 20) + ")");
            float[] mean = floats(meta.get(MEAN)), std = floats(meta.get(STD));
            float cos = meta.containsKey(COSINE_SCALE) ? Float.parseFloat(meta.get(COSINE_SCALE)) : 0f;
            return new Models.Spec(meta.get(ARCHITECTURE), Integer.parseInt(meta.get(NUM_CLASSES)), shape, mean, std, cos);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException(file, "metadata does not describe a model: " + e.getMessage());
        }
    }

    /** Loads a safetensors file (ours or PyTorch's) into an existing model; names and shapes must match exactly. */
    public static void loadInto(Model model, Path file) throws IOException {
        loadState(model, file, Safetensors.read(file));
    }

    /**
     * What loading found: the torch archive's contents (null for a safetensors file), the wrapper prefix
     * dropped from every name to fit the architecture ("model." of a normalisation wrapper; null when none),
     * and the entries the architecture's published weights carry but its forward never uses.
     */
    public record Loaded(TorchCheckpoint.Contents torch, String droppedPrefix, List<String> unused) {}

    /**
     * Loads the weights of a file of either kind into an existing model: a torch.save archive (read by
     * {@link TorchCheckpoint}, nothing in it executed) or a safetensors file.
     */
    public static Loaded loadWeights(Model model, Path file) throws IOException {
        if (!TorchCheckpoint.isTorchFile(file)) return loadState(model, file, Safetensors.read(file).tensors());
        TorchCheckpoint.Contents c = TorchCheckpoint.read(file);
        Loaded fit = loadState(model, file, c.tensors());
        return new Loaded(c, fit.droppedPrefix(), fit.unused());
    }

    private static void loadState(Model model, Path file, Safetensors.Contents c) throws IOException { loadState(model, file, c.tensors()); }

    /** The file's names without those the architecture is known to leave unused (TRADES's sub_block1). */
    private static TreeSet<String> used(Set<String> names, List<String> unusedPrefixes) {
        TreeSet<String> out = new TreeSet<>();
        for (String k : names) if (unusedPrefixes.stream().noneMatch(k::startsWith)) out.add(k);
        return out;
    }

    /** Loads tensors into model by name; returns how the names were fitted (torch null: the caller knows the file). */
    private static Loaded loadState(Model model, Path file, Map<String, Safetensors.Entry> tensors) throws IOException {
        Map<String, StateDict.Entry> want = model.stateDict().entries();
        TreeSet<String> wanted = new TreeSet<>(want.keySet());
        List<String> unusedPrefixes = Models.unusedInPublishedWeights(model.architecture());
        String dropped = null;
        // A wrapper module (a normalisation layer in front: "model.conv1.weight", "1.conv1.weight") adds one
        // first name component to every entry; dropped only when that makes the names fit exactly.
        if (!used(tensors.keySet(), unusedPrefixes).equals(wanted) && !tensors.isEmpty()) {
            String first = tensors.keySet().iterator().next();
            int dot = first.indexOf('.');
            if (dot > 0) {
                String prefix = first.substring(0, dot + 1);
                if (tensors.keySet().stream().allMatch(k -> k.startsWith(prefix))) {
                    Map<String, Safetensors.Entry> stripped = new LinkedHashMap<>();
                    tensors.forEach((k, v) -> stripped.put(k.substring(prefix.length()), v));
                    if (used(stripped.keySet(), unusedPrefixes).equals(wanted)) {
                        tensors = stripped;
                        dropped = prefix;
                    }
                }
            }
        }
        List<String> unused = new ArrayList<>();
        for (String k : tensors.keySet()) if (!want.containsKey(k) && unusedPrefixes.stream().anyMatch(k::startsWith)) unused.add(k);
        Map<String, Safetensors.Entry> fitted = new LinkedHashMap<>(tensors);
        unused.forEach(fitted::remove);
        Safetensors.Contents c = new Safetensors.Contents(fitted, Map.of());
        List<String> missing = new ArrayList<>();
        for (String k : want.keySet()) if (!c.tensors().containsKey(k)) missing.add(k);
        TreeSet<String> unexpected = new TreeSet<>(c.tensors().keySet());
        unexpected.removeAll(want.keySet());
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new SafetensorsFormatException(file, "does not fit " + model.architecture() + " with " + model.numClasses() + " classes: "
                    + (missing.isEmpty() ? "" : "missing keys " + head(missing) + " ")
                    + (unexpected.isEmpty() ? "" : "unexpected keys " + head(new ArrayList<>(unexpected)))
                    + " (engine.jar info --arch " + model.architecture() + " lists the names it expects)");
        }
        for (Map.Entry<String, StateDict.Entry> e : want.entrySet()) {
            Safetensors.Entry t = c.tensors().get(e.getKey());
            if (!Arrays.equals(t.shape(), e.getValue().shape())) {
                throw new SafetensorsFormatException(file, "tensor '" + e.getKey() + "' has shape " + Arrays.toString(t.shape())
                        + " but " + model.architecture() + " (" + model.numClasses() + " classes) needs "
                                + Arrays.toString(e.getValue().shape()));
            }
        }
        for (Map.Entry<String, StateDict.Entry> e : want.entrySet()) {
            Safetensors.Entry t = c.tensors().get(e.getKey());
            if (e.getValue() instanceof StateDict.FloatEntry f) {
                float[] values = t.toFloats();
                String bad = firstNonFinite(values);
                // A model with a NaN weight predicts nothing meaningful: attacks would "fail" and report false robustness.
                if (bad != null) throw new SafetensorsFormatException(file, "tensor '" + e.getKey() + "' holds " + bad
                        + ": not a usable model");
                f.tensor().copyFrom(values);
            } else {
                if (t.dtype() != Safetensors.DType.I64) throw new SafetensorsFormatException(file, "tensor '" + e.getKey()
                        + "' must be I64, is " + t.dtype());
                ((StateDict.LongEntry) e.getValue()).set(t.toLongs()[0]);
            }
        }
        return new Loaded(null, dropped, unused);
    }

    /** "NaN at index i" / "Infinity at index i" for the first non-finite value, or null when all are finite. */
    public static String firstNonFinite(float[] values) {
        for (int i = 0; i < values.length; i++) if (!Float.isFinite(values[i])) return values[i] + " at index " + i;
        return null;
    }

    private static String head(List<String> keys) {
        return keys.size() <= 5 ? keys.toString() : keys.subList(0, 5) + " and " + (keys.size() - 5) + " more";
    }

    private static String join(int[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) sb.append(i == 0 ? "" : ",").append(v[i]);
        return sb.toString();
    }

    private static String join(float[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) sb.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%s", v[i]));
        return sb.toString();
    }

    private static float[] floats(String s) {
        String[] parts = s.split(",");
        float[] out = new float[parts.length];
        for (int i = 0; i < parts.length; i++) out[i] = Float.parseFloat(parts[i].trim());
        return out;
    }
}
