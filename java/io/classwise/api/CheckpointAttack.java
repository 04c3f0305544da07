package io.classwise.api;

import io.classwise.analysis.AdversarialExamples;
import io.classwise.attack.Attack;
import io.classwise.attack.Attacks;
import io.classwise.attack.AutoAttack;
import io.classwise.attack.TargetChoice;
import io.classwise.data.DataDirs;
import io.classwise.data.DatasetId;
import io.classwise.data.Datasets;
import io.classwise.data.ImageDataset;
import io.classwise.data.Split;
import io.classwise.data.SubsetDataset;
import io.classwise.data.pipeline.Transforms;
import io.classwise.nn.Model;
import io.classwise.report.ExampleGallery;
import io.classwise.tensor.Backend;
import io.classwise.train.Evaluation;
import io.classwise.train.Presets;
import io.classwise.train.RemovedClasses;
import io.classwise.train.RunDirectory;
import io.classwise.train.TrainConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * One attack on a checkpoint's test set, as {@code attack} and {@code eval} run it: the dataset and ε come
 * from the checkpoint unless given, the predictions are per example, and the adversarial examples can be
 * kept as a gallery.
 */
public final class CheckpointAttack {
    private CheckpointAttack() {}

    /**
     * What to run. Nullable: eps (then the training ε, else the dataset's preset), step (then ε/4), target
     * (untargeted), dataset (the checkpoint's), examplesDir (beside the checkpoint), dataDir (the default).
     * examples = 0 attacks the whole test set; saveExamples = 0 keeps no gallery. architecture / normalize: for
     * weights without Classwise metadata (a torch.save file, a bare safetensors file), with dataset, as {@code convert} takes them.
     */
    public record Request(Path checkpoint, String attack, Float eps, Float step, int steps, int restarts, float temperature,
                          float kappa, int queries, String target, int examples, int batchSize, String dataset, String dataDir,
                          long seed, int saveExamples, Path examplesDir, String architecture, String normalize) {

        /** The same request on another copy of the checkpoint (a Spark task's local copy). */
        public Request withCheckpoint(Path file) {
            return new Request(file, attack, eps, step, steps, restarts, temperature, kappa, queries, target, examples, batchSize, dataset, dataDir,
                    seed, saveExamples, examplesDir, architecture, normalize);
        }

        /** PGD-{@code steps} with the checkpoint's ε on its whole test set, one start, batches of 128. */
        public static Request pgd(Path checkpoint, int steps, int examples, String dataDir, String dataset, String architecture,
                                  String normalize, Float eps) {
            return new Request(checkpoint, "pgd", eps, null, steps, 1, 1f, 50f, 1000, null, examples, 128, dataset, dataDir, 0, 0, null,
                    architecture, normalize);
        }
    }

    /**
     * What came out: the per-example predictions, the attack as run, its ε and where that ε came from
     * ("--eps", "the training ε" or "the dataset's preset"), the gallery directory (null when none was kept).
     */
    public record Result(Evaluation.Predictions predictions, List<String> classNames, String datasetName, String attackName,
                         boolean l2, float eps, String epsSource, TargetChoice targeting, Path gallery, List<String> components) {}

    public static Result run(Request r, Backend backend) throws IOException { return run(r, backend, null); }

    /** The evaluated examples [from, to) of a {@link Request}'s test set: one shard of a distributed evaluation. */
    public record Shard(int from, int to) {}

    /** What a request evaluates: its test examples (the balanced subset, or the whole test set) and their classes. */
    public record Plan(int examples, String dataset, List<String> classNames) {}

    /** The evaluated set of a request, without loading the model (what a driver needs to cut shards). */
    public static Plan plan(Request r) throws IOException {
        Map<String, String> meta = ImportModel.metadata(r.checkpoint());
        String recorded = meta.get("classwise.dataset");
        if (r.dataset() == null && recorded == null) throw new IllegalArgumentException(r.checkpoint() + " does not record its dataset; pass --dataset");
        DatasetId id = DatasetId.parse(r.dataset() != null ? r.dataset() : recorded);
        ImageDataset test = testSet(r, id, embedded(meta, r), meta);
        return new Plan(test.size(), id.cliName, test.classNames());
    }

    /** Whether the test set is the embedded one: the checkpoint was trained on it and --dataset does not say otherwise. */
    private static boolean embedded(Map<String, String> meta, Request r) {
        return "embedded".equals(meta.get("classwise.source")) && r.dataset() == null;
    }

    /** The evaluated test examples: the balanced subset (or all), without the classes the model was trained without. */
    private static ImageDataset testSet(Request r, DatasetId id, boolean embedded, Map<String, String> meta) throws IOException {
        ImageDataset test = Datasets.load(id, Split.TEST, embedded, DataDirs.resolve(r.dataDir()));
        if (r.examples() > 0) test = SubsetDataset.balanced(test, Math.max(1, r.examples() / test.numClasses()), r.seed(), "--examples");
        return RemovedClasses.apply(test, RemovedClasses.of(meta));
    }

    /**
     * As {@link #run(Request, Backend)} on one shard (null: all). A shard must start at a multiple of the batch
     * size, and each batch's attack draws from {@link Evaluation#perBatch}(seed, its first example's index), so
     * shards evaluated anywhere give together exactly what one whole evaluation gives.
     */
    public static Result run(Request r, Backend backend, Shard shard) throws IOException {
        ImportModel.Opened opened = ImportModel.open(r.checkpoint(), r.architecture(), r.dataset(), r.normalize(), backend);
        Map<String, String> meta = opened.metadata();
        DatasetId id = opened.dataset();
        boolean l2 = Attacks.isL2(r.attack());
        float e = Presets.attackEps(r.eps(), l2, meta.get("classwise.eps"), id);
        validate(r, e, l2);
        Attack atk = Attacks.byName(r.attack(), new Attacks.Settings(e, r.step() != null ? r.step() : e / 4, r.steps(), r.restarts(),
                r.temperature(), r.kappa(), r.queries()));
        if (r.target() != null && !Attacks.targetable(atk)) {
            throw new IllegalArgumentException("--target: " + r.attack() + " is untargeted here; use fgsm, fgsm-rs, pgd, tpgd, cw, mi-fgsm or l2-pgd");
        }
        ImageDataset test = testSet(r, id, embedded(meta, r), meta);
        int from = 0;
        if (shard != null) {
            if (shard.from() < 0 || shard.to() > test.size() || shard.from() >= shard.to() || shard.from() % r.batchSize() != 0) {
                throw new IllegalArgumentException("shard [" + shard.from() + ", " + shard.to() + ") of " + test.size()
                        + " examples: must be non-empty, inside, and start at a multiple of the batch size " + r.batchSize());
            }
            if (r.saveExamples() > 0) throw new IllegalArgumentException("a shard keeps no adversarial-example gallery");
            from = shard.from();
            test = SubsetDataset.ofIndices(test, IntStream.range(shard.from(), shard.to()).toArray());
        }
        Model model = opened.model();
        if (model.numClasses() != test.numClasses()) {
            throw new IllegalArgumentException(r.checkpoint() + " has " + model.numClasses() + " classes but " + id.cliName + " has "
                    + test.numClasses());
        }
        TargetChoice targeting = r.target() == null ? null : TargetChoice.parse(r.target(), test.classNames());
        AdversarialExamples kept = r.saveExamples() > 0 ? new AdversarialExamples(test.numClasses(), r.saveExamples()) : null;
        Evaluation.Predictions p = Evaluation.predict(model, test, Transforms.forEvaluation(id), atk, targeting, kept, r.batchSize(),
                Evaluation.perBatch(r.seed(), from));
        Path gallery = kept == null ? null
                : ExampleGallery.write(galleryDir(r.checkpoint(), r.examplesDir(), atk.name()), kept, test.classNames(), atk.name(), e);
        String source = r.eps() != null ? "--eps" : !l2 && meta.containsKey("classwise.eps") ? "the training ε" : "the dataset's preset";
        List<String> components = atk instanceof AutoAttack aa ? aa.components() : null;
        return new Result(p, test.classNames(), id.cliName, atk.name(), l2, e, source, targeting, gallery, components);
    }

    private static void validate(Request r, float e, boolean l2) {
        if (!(e > 0) || !Float.isFinite(e) || (!l2 && e > 1)) {
            throw new IllegalArgumentException("--eps must be " + (l2 ? "a finite ℓ2 radius > 0"
                    : "in (0, 1] (pixel units, e.g. 0.0313725 for 8/255)") + ", got " + e);
        }
        if (r.step() != null && !(r.step() > 0 && Float.isFinite(r.step()))) {
            throw new IllegalArgumentException("--step must be a finite number > 0, got " + r.step());
        }
        if (r.steps() < 1 || r.steps() > 100_000) throw new IllegalArgumentException("--steps must be in 1..100000, got " + r.steps());
        if (r.restarts() < 1 || r.restarts() > 1000) throw new IllegalArgumentException("--restarts must be in 1..1000, got " + r.restarts());
        if (r.examples() < 0) throw new IllegalArgumentException("--examples must be >= 0 (0 = all), got " + r.examples());
        if (r.batchSize() < 1 || r.batchSize() > TrainConfig.MAX_BATCH) {
            throw new IllegalArgumentException("--batch-size must be in 1.." + TrainConfig.MAX_BATCH + ", got " + r.batchSize());
        }
        if (r.queries() < 1) throw new IllegalArgumentException("--queries must be >= 1, got " + r.queries());
        if (r.saveExamples() < 0) throw new IllegalArgumentException("--save-examples must be >= 0, got " + r.saveExamples());
    }

    /** EXAMPLES_DIR/ATTACK; else RUN/examples/ATTACK when the checkpoint sits in a run's checkpoints/ folder; else CHECKPOINT-examples/ATTACK. */
    static Path galleryDir(Path checkpoint, Path examplesDir, String attackName) {
        String folder = attackName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.=-]+", "-");
        if (examplesDir != null) return examplesDir.resolve(folder);
        Path abs = checkpoint.toAbsolutePath();
        if (Files.isDirectory(abs)) return new RunDirectory(abs).examples().resolve(folder); // --checkpoint RUN
        Path parent = abs.getParent();
        if (parent != null && parent.getFileName().toString().equals("checkpoints") && Files.exists(parent.resolveSibling("config.json"))) {
            return parent.resolveSibling("examples").resolve(folder);
        }
        String stem = abs.getFileName().toString().replaceFirst("\\.safetensors$", "");
        return abs.resolveSibling(stem + "-examples").resolve(folder);
    }
}
