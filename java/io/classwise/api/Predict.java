package io.classwise.api;

import io.classwise.data.DatasetId;
import io.classwise.nn.Model;
import io.classwise.nn.Tape;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.nn.checkpoint.Safetensors;
import io.classwise.nn.checkpoint.TorchCheckpoint;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The logits of a model on given inputs ({@code predict}): how a researcher checks that Classwise reads a
 * model trained elsewhere exactly as PyTorch runs it, before trusting its class-wise numbers. The inputs are
 * a torch.save file (a tensor, or a dict of tensors) or a safetensors file, holding pixels in [0, 1] of shape
 * (N, C, H, W); the model's own normalisation is applied, as in every other command.
 */
public final class Predict {
    private Predict() {}

    /** key: which tensor of the inputs file (null: the only 4-D one). */
    public record Request(Path checkpoint, Path inputs, String key, String architecture, String dataset, String normalize, int batchSize) {}

    /** logits (N, K) row by row; predicted = argmax per row. */
    public record Result(List<String> classNames, float[][] logits, int[] predicted, String inputKey) {}

    public static Result run(Request r, Backend b) throws IOException {
        if (r.batchSize() < 1) throw new IllegalArgumentException("--batch-size must be >= 1, got " + r.batchSize());
        ImportModel.Opened opened = ImportModel.open(r.checkpoint(), r.architecture(), r.dataset(), r.normalize(), b);
        Model model = opened.model();
        try {
            Map.Entry<String, Safetensors.Entry> in = inputs(r.inputs(), r.key(), model.inputShape());
            int[] shape = in.getValue().shape();
            float[] pixels = in.getValue().toFloats();
            for (int i = 0; i < pixels.length; i++) {
                if (!(pixels[i] >= 0f && pixels[i] <= 1f)) {
                    throw new IllegalArgumentException("--inputs: " + r.inputs() + " '" + in.getKey() + "' holds " + pixels[i] + " at index " + i
                            + "; expected pixels in [0, 1] (the model's normalisation is applied here; pass images before it)");
                }
            }
            int n = shape[0], per = pixels.length / Math.max(n, 1), k = model.numClasses();
            float[][] logits = new float[n][];
            int[] predicted = new int[n];
            for (int start = 0; start < n; start += r.batchSize()) {
                int m = Math.min(r.batchSize(), n - start);
                try (Tape tape = new Tape(b)) {
                    Tensor x = b.allocate(m, shape[1], shape[2], shape[3]).copyFrom(Arrays.copyOfRange(pixels, start * per, (start + m) * per));
                    Tensor z = model.forward(tape, x);
                    float[] values = z.toArray();
                    String bad = Checkpoint.firstNonFinite(values);
                    // The rule eval applies: a model whose outputs are not finite predicts nothing meaningful.
                    if (bad != null) throw new IllegalStateException(r.checkpoint() + " gives non-finite logits on --inputs " + r.inputs()
                            + " (" + bad + " of the logits of examples " + start + ".." + (start + m - 1) + "): not a usable model");
                    System.arraycopy(b.argmaxRows(z), 0, predicted, start, m);
                    x.release();
                    for (int i = 0; i < m; i++) logits[start + i] = Arrays.copyOfRange(values, i * k, (i + 1) * k);
                }
            }
            return new Result(classNames(opened.dataset(), k), logits, predicted, in.getKey());
        } finally {
            model.release();
        }
    }

    private static List<String> classNames(DatasetId id, int k) {
        if (id.classNames().size() == k) return id.classNames();
        List<String> names = new ArrayList<>();
        for (int c = 0; c < k; c++) names.add("class_" + c);
        return names;
    }

    /** The named tensor, or the only 4-D one, checked against the model's (C, H, W). */
    private static Map.Entry<String, Safetensors.Entry> inputs(Path file, String key, int[] chw) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("--inputs: " + file + (!Files.exists(file) ? " does not exist"
                : Files.isDirectory(file) ? " is a directory" : " is not a regular file (a pipe or device)") + "; give a .pt or .safetensors file");
        Map<String, Safetensors.Entry> tensors = TorchCheckpoint.isTorchFile(file) ? TorchCheckpoint.read(file).tensors()
                : Safetensors.read(file).tensors();
        Map.Entry<String, Safetensors.Entry> chosen = null;
        if (key != null) {
            if (!tensors.containsKey(key)) throw new IllegalArgumentException("--key: " + file + " has no tensor '" + key + "'; it has "
                    + tensors.keySet());
            chosen = Map.entry(key, tensors.get(key));
        } else {
            for (Map.Entry<String, Safetensors.Entry> e : tensors.entrySet()) {
                if (e.getValue().shape().length != 4) continue;
                if (chosen != null) throw new IllegalArgumentException("--inputs: " + file + " holds several 4-D tensors ("
                        + chosen.getKey() + ", " + e.getKey() + ", ...); name one with --key");
                chosen = e;
            }
            if (chosen == null) throw new IllegalArgumentException("--inputs: " + file + " holds no (N, C, H, W) tensor; it has " + tensors.keySet());
        }
        int[] s = chosen.getValue().shape();
        if (s.length != 4 || s[1] != chw[0] || s[2] != chw[1] || s[3] != chw[2]) {
            throw new IllegalArgumentException("--inputs: '" + chosen.getKey() + "' has shape " + Arrays.toString(s) + "; the model takes (N, "
                    + chw[0] + ", " + chw[1] + ", " + chw[2] + ")");
        }
        return chosen;
    }
}
