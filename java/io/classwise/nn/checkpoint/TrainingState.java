package io.classwise.nn.checkpoint;

import io.classwise.nn.Model;
import io.classwise.nn.Parameter;
import io.classwise.nn.Sgd;
import io.classwise.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The companion of a weights checkpoint that lets a run resume exactly: the optimizer's momentum
 * buffers (keyed {@code momentum_buffer.<i>} in parameter order, as PyTorch's optimizer state_dict
 * numbers them) and string metadata such as epoch, step and RNG state. Also safetensors, written
 * atomically; never Java serialization.
 */
public final class TrainingState {
    private TrainingState() {}

    private static final String STEPS = "classwise.sgd.steps";
    private static final String STARTED = "classwise.sgd.started";

    private static final String EXTRA = "extra.";

    public static void save(Path file, Sgd sgd, Map<String, String> metadata) throws IOException { save(file, sgd, Map.of(), metadata); }

    /**
     * As above, with further named vectors of the trainer's state (e.g. a weight average), stored as
     * {@code extra.<name>} and read back by {@link #extras}.
     */
    public static void save(Path file, Sgd sgd, Map<String, float[]> extras, Map<String, String> metadata) throws IOException {
        Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : extras.entrySet()) {
            tensors.put(EXTRA + e.getKey(), Safetensors.Entry.f32(new int[] {e.getValue().length}, e.getValue()));
        }
        List<Tensor> bufs = sgd.momentumBuffers();
        for (int i = 0; i < bufs.size(); i++) {
            Tensor t = bufs.get(i);
            if (t != null) tensors.put("momentum_buffer." + i, Safetensors.Entry.f32(t.shape(), t.toArray()));
        }
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put(STEPS, Long.toString(sgd.steps()));
        meta.put(STARTED, Boolean.toString(sgd.started()));
        Safetensors.write(file, tensors, meta);
    }

    /** The {@code extra.} vectors of a state file, by name without the prefix. */
    public static Map<String, float[]> extras(Path file) throws IOException {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Safetensors.Entry> e : Safetensors.read(file).tensors().entrySet()) {
            if (e.getKey().startsWith(EXTRA)) out.put(e.getKey().substring(EXTRA.length()), e.getValue().toFloats());
        }
        return out;
    }

    /** Restores the optimizer and returns the stored metadata. */
    public static Map<String, String> load(Path file, Model model, Sgd sgd) throws IOException {
        Safetensors.Contents c = Safetensors.read(file);
        List<Tensor> bufs = sgd.momentumBuffers();
        List<Parameter> params = model.parameters();
        if (bufs.size() != params.size()) throw new IllegalStateException("optimizer and model disagree on parameter count");
        for (int i = 0; i < bufs.size(); i++) {
            Tensor t = bufs.get(i);
            if (t == null) continue;
            Safetensors.Entry e = c.tensors().get("momentum_buffer." + i);
            if (e == null) throw new SafetensorsFormatException(file, "missing 'momentum_buffer." + i + "'");
            if (!t.hasShape(e.shape())) throw new SafetensorsFormatException(file, "'momentum_buffer." + i + "' has the wrong shape");
            t.copyFrom(e.toFloats());
        }
        String steps = c.metadata().get(STEPS), started = c.metadata().get(STARTED);
        if (steps == null || started == null) throw new SafetensorsFormatException(file, "metadata lacks the optimizer counters");
        try {
            sgd.restore(Long.parseLong(steps), Boolean.parseBoolean(started));
        } catch (NumberFormatException e) {
            throw new SafetensorsFormatException(file, "metadata '" + STEPS + "' is not a number: " + steps);
        }
        return c.metadata();
    }
}
