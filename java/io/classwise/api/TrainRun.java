package io.classwise.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.data.DataDirs;
import io.classwise.data.DatasetId;
import io.classwise.data.Datasets;
import io.classwise.data.ImageDataset;
import io.classwise.data.Split;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Backends;
import io.classwise.tensor.Precision;
import io.classwise.train.Presets;
import io.classwise.train.RunDirectory;
import io.classwise.train.TrainConfig;
import io.classwise.train.Trainer;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A training run as {@code train} starts it: a fresh run layers the dataset's preset, a config file and the
 * given settings; a resumed run reads its config.json back and accepts only settings that agree with it
 * (except more epochs and another device or thread count). Then the data, the backend and the epoch loop.
 */
public final class TrainRun {
    private TrainRun() {}

    /**
     * settings: TrainConfig field → value, only what the user set; flagOf: field → the flag that sets it (for
     * messages); dataset null only when resuming; synthetic null: real data; stopAfter null: all epochs.
     */
    public record Request(Path out, String dataset, Path configFile, boolean embedded, Integer synthetic, boolean resume, boolean overwrite,
                          Map<String, Object> settings, Map<String, String> flagOf, String dataDir, Integer stopAfter, boolean progress) {}

    /** Trains; returns the configuration it ran with. */
    public static TrainConfig run(Request r, PrintStream out) throws Exception {
        if (r.out().toString().isBlank()) throw new IllegalArgumentException("--out must name a directory, got an empty path");
        if (r.stopAfter() != null && r.stopAfter() < 1) throw new IllegalArgumentException("--stop-after must be >= 1, got " + r.stopAfter());
        RunDirectory run = new RunDirectory(r.out());
        TrainConfig c = r.resume() ? resumed(r, run) : fresh(r);
        DatasetId id = DatasetId.parse(c.dataset);
        ImageDataset train = Datasets.load(id, Split.TRAIN, c.source, c.seed, DataDirs.resolve(r.dataDir()));
        ImageDataset test = Datasets.load(id, Split.TEST, c.source, c.seed, DataDirs.resolve(r.dataDir()));
        try (Backend b = Backends.create(c.device, c.threads, false, Precision.parse(c.precision), c.bf16Kernel)) {
            Trainer t = new Trainer(c, b, id, train, test, run, out, r.progress()).overwrite(r.overwrite())
                    .announce("training " + c.architecture + " on " + c.dataset + " with " + c.method + " (" + c.epochs + " epochs, "
                            + b.name() + ", " + Backends.arithmeticOf(b) + "); run directory " + r.out());
            t.fit(r.resume(), r.stopAfter() == null ? c.epochs : r.stopAfter());
            if (b.peakBytes() > 0) out.printf(Locale.ROOT, "peak device memory: %.1f MiB%n", b.peakBytes() / 1048576.0);
        }
        return c;
    }

    private static TrainConfig resumed(Request r, RunDirectory run) throws Exception {
        if (r.overwrite()) throw new IllegalArgumentException("--resume and --overwrite exclude each other");
        if (!Files.exists(run.config())) throw new IllegalArgumentException("--resume: " + run.config() + " does not exist");
        if (r.configFile() != null) throw new IllegalArgumentException("--config cannot change a run being resumed (" + run.config()
                + " is its recipe)");
        TrainConfig saved = new ObjectMapper().readValue(run.config().toFile(), TrainConfig.class);
        if (r.dataset() != null && !DatasetId.parse(r.dataset()).cliName.equals(saved.dataset)) {
            throw new IllegalArgumentException("--dataset " + r.dataset() + " contradicts the run being resumed (dataset " + saved.dataset + ")");
        }
        if ((r.embedded() && !saved.source.equals("embedded")) || (r.synthetic() != null && !saved.source.equals("synthetic:" + r.synthetic()))) {
            throw new IllegalArgumentException((r.embedded() ? "--embedded" : "--synthetic") + " contradicts the run being resumed (data: "
                    + saved.source + ")");
        }
        // A longer run is written to config.json by the Trainer, once it holds the run and every check passed.
        return Presets.resumed(saved, r.settings(), r.flagOf());
    }

    private static TrainConfig fresh(Request r) throws Exception {
        if (r.dataset() == null) throw new IllegalArgumentException("--dataset is required (mnist, fashion-mnist, cifar10, cifar100, svhn, stl10, imagenet)");
        DatasetId id = DatasetId.parse(r.dataset());
        Map<String, Object> f = new LinkedHashMap<>(r.settings());
        if (r.embedded() && r.synthetic() != null) throw new IllegalArgumentException("--synthetic and --embedded exclude each other");
        if (r.embedded()) {
            if (id != DatasetId.FASHION_MNIST) throw new IllegalArgumentException("--embedded is only available for fashion-mnist");
            f.put("source", "embedded");
        }
        if (r.synthetic() != null) {
            if (r.synthetic() < 1) throw new IllegalArgumentException("--synthetic must be >= 1, got " + r.synthetic());
            f.put("source", "synthetic:" + r.synthetic());
        }
        TrainConfig c = Presets.resolve(id, r.configFile(), f);
        // A run directory stands for its verified final model; the Trainer records the file's digest in config.json.
        if (!c.init.isEmpty()) c.init = ImportModel.checkpointFile(Path.of(c.init)).toAbsolutePath().normalize().toString();
        return c;
    }
}
