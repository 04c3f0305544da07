package io.classwise.cli;

import io.classwise.analysis.AdversarialExamples;
import io.classwise.attack.Attack;
import io.classwise.attack.Attacks;
import io.classwise.attack.TargetChoice;
import io.classwise.data.DataDirs;
import io.classwise.data.DatasetId;
import io.classwise.data.Datasets;
import io.classwise.data.ImageDataset;
import io.classwise.data.Split;
import io.classwise.data.SubsetDataset;
import io.classwise.data.pipeline.Transforms;
import io.classwise.nn.Model;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.nn.checkpoint.Safetensors;
import io.classwise.tensor.Backend;
import io.classwise.train.ClassAccuracy;
import io.classwise.report.ExampleGallery;
import io.classwise.train.Evaluation;
import io.classwise.train.Presets;
import io.classwise.util.Rng;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import io.classwise.train.TrainConfig;

/** {@code attack}: overall and per-class robust accuracy of a checkpoint under one attack. */
@Command(name = "attack", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Attack a checkpoint on its test set; print overall and per-class clean and robust accuracy.")
final class AttackCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "A .safetensors file written by train.") Path checkpoint;
    @Option(names = "--attack", defaultValue = "pgd",
            description = "fgsm, fgsm-rs, pgd, tpgd, cw, mi-fgsm, l2-pgd, apgd-ce, apgd-dlr, square (default: ${DEFAULT-VALUE}).") String attack;
    @Option(names = "--queries", defaultValue = "1000", description = "Query budget of square (default: ${DEFAULT-VALUE}).") int queries;
    @Option(names = {"--T", "--temperature"}, defaultValue = "1", description = "Temperature of tpgd (default: ${DEFAULT-VALUE}).") float temperature;
    @picocli.CommandLine.Mixin AttackBudgetOptions budget = new AttackBudgetOptions();
    @Option(names = "--restarts", defaultValue = "1", description = "Random restarts; an example is robust only if it survives all (default: ${DEFAULT-VALUE}).") int restarts;
    @Option(names = "--kappa", defaultValue = "50", description = "CW confidence κ (default: ${DEFAULT-VALUE}).") float kappa;
    @Option(names = "--target", description = "Targeted attack (Pgd-based attacks: fgsm, fgsm-rs, pgd, tpgd, cw, mi-fgsm, l2-pgd): a class id "
            + "or name, least-likely (the clean image's least likely class) or random (a seeded uniform other class).") String target;
    @Option(names = "--save-examples", paramLabel = "N", defaultValue = "0", description = "Save up to N adversarial examples per class "
            + "(flipped ones first) as PNG grids (clean, adversarial, perturbation ×10) and raw tensors (default: ${DEFAULT-VALUE} = none).") int saveExamples;
    @Option(names = "--examples-dir", description = "Where --save-examples writes (default: RUN/examples/ATTACK for a run's checkpoint, "
            + "else CHECKPOINT-examples/ATTACK beside it).") Path examplesDir;
    @Option(names = "--examples", defaultValue = "0", description = "Balanced subset of the test set (default: 0 = all).") int examples;
    @Option(names = "--batch-size", defaultValue = "128", description = "Images per attacked batch (default: ${DEFAULT-VALUE}).") int batchSize;
    @Option(names = "--dataset", description = "Override the dataset recorded in the checkpoint.") String dataset;
    @picocli.CommandLine.Mixin DataDirOption data = new DataDirOption();
    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random starts and the test subset (default: ${DEFAULT-VALUE}).") long seed;
    @picocli.CommandLine.Mixin BackendOptions backend;

    @Override
    public Integer call() throws Exception {
        if (!Files.exists(checkpoint)) throw new IllegalArgumentException("--checkpoint: " + checkpoint + " does not exist");
        Map<String, String> meta = Safetensors.read(checkpoint).metadata();
        String ds = dataset != null ? dataset : meta.get("classwise.dataset");
        if (ds == null) throw new IllegalArgumentException(checkpoint + " does not record its dataset; pass --dataset");
        DatasetId id = DatasetId.parse(ds);
        boolean l2 = Attacks.isL2(attack);
        float e = Presets.attackEps(budget.eps, l2, meta.get("classwise.eps"), id);
        if (!(e > 0) || !Float.isFinite(e) || (!l2 && e > 1)) {
            throw new IllegalArgumentException("--eps must be " + (l2 ? "a finite ℓ2 radius > 0"
                    : "in (0, 1] (pixel units, e.g. 0.0313725 for 8/255)") + ", got " + e);
        }
        if (budget.step != null && !(budget.step > 0 && Float.isFinite(budget.step))) throw new IllegalArgumentException("--step must be a finite number > 0, got " + budget.step);
        if (budget.steps < 1 || budget.steps > 100_000) throw new IllegalArgumentException("--steps must be in 1..100000, got "
                + budget.steps);
        if (restarts < 1 || restarts > 1000) throw new IllegalArgumentException("--restarts must be in 1..1000, got " + restarts);
        if (examples < 0) throw new IllegalArgumentException("--examples must be >= 0 (0 = all), got " + examples);
        if (batchSize < 1 || batchSize > TrainConfig.MAX_BATCH) {
            throw new IllegalArgumentException("--batch-size must be in 1.." + TrainConfig.MAX_BATCH + ", got " + batchSize);
        }
        if (queries < 1) throw new IllegalArgumentException("--queries must be >= 1, got " + queries);
        float a = budget.step != null ? budget.step : e / 4;
        Attack atk = Attacks.byName(attack, new Attacks.Settings(e, a, budget.steps, restarts, temperature, kappa, queries));
        if (target != null && !Attacks.targetable(atk)) {
            throw new IllegalArgumentException("--target: " + attack
                    + " is untargeted here; use fgsm, fgsm-rs, pgd, tpgd, cw, mi-fgsm or l2-pgd");
        }
        ImageDataset test = Datasets.load(id, Split.TEST, "embedded".equals(meta.get("classwise.source")) && dataset == null,
                DataDirs.resolve(data.dataDir));
        if (examples > 0) test = SubsetDataset.balanced(test, Math.max(1, examples / test.numClasses()), seed, "--examples");
        try (Backend b = backend.create()) {
            Model model = Checkpoint.load(b, checkpoint);
            if (model.numClasses() != test.numClasses()) {
                throw new IllegalArgumentException(checkpoint + " has " + model.numClasses() + " classes but " + id.cliName
                        + " has " + test.numClasses());
            }
            TargetChoice targeting = target == null ? null : TargetChoice.parse(target, test.classNames());
            if (saveExamples < 0) throw new IllegalArgumentException("--save-examples must be >= 0, got " + saveExamples);
            AdversarialExamples kept = saveExamples > 0 ? new AdversarialExamples(test.numClasses(), saveExamples) : null;
            Evaluation.Predictions p = Evaluation.predict(model, test, Transforms.forEvaluation(id), atk, targeting, kept,
                    batchSize, new Rng(seed));
            ClassAccuracy[] r = {p.cleanAccuracy(), p.robustAccuracy()};
            System.out.printf(Locale.ROOT, "%s on %s (%d test images, %s ε = %.4f, %s): clean %.4f, robust %.4f%n",
                    atk.name(), id.cliName, r[0].total(), l2 ? "ℓ2" : "ℓ∞", e, budget.eps != null ? "--eps" : !l2
                            && meta.containsKey("classwise.eps")
                            ? "the training ε" : "the dataset's preset", r[0].overall(), r[1].overall());
            System.out.println(Evaluation.ROBUST_DEFINITION);
            if (kept != null) {
                Path dir = ExampleGallery.write(galleryDir(atk.name()), kept, test.classNames(), atk.name(), e);
                System.out.println("adversarial examples: " + dir.resolve("index.json") + " (PNG per class, examples.safetensors)");
            }
            if (targeting != null) {
                System.out.println("targeted towards " + targeting
                        + "; target hit = share of the correctly classified examples (with a target) "
                        + "predicted as their target after the attack");
            }
            System.out.printf(Locale.ROOT, "%-4s %-20s %6s %8s %8s%s%n", "id", "class", "n", "clean", "robust", targeting == null
                    ? "" : "  target hit");
            double[] c = r[0].perClass(), rb = r[1].perClass(), hit = targeting == null ? null : p.targetHitRate();
            long[] n = r[0].counts();
            for (int k = 0; k < c.length; k++) {
                System.out.printf(Locale.ROOT, "%-4d %-20s %6d %8.4f %8.4f%s%n", k, test.classNames().get(k), n[k], c[k], rb[k],
                        hit == null ? "" : String.format(Locale.ROOT, "  %10.4f", hit[k]));
            }
        }
        return 0;
    }

    /** RUN/examples/ATTACK when the checkpoint sits in a run's checkpoints/ folder, else CHECKPOINT-examples/ATTACK beside it. */
    private Path galleryDir(String attackName) {
        String folder = attackName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.=-]+", "-");
        if (examplesDir != null) return examplesDir.resolve(folder);
        Path abs = checkpoint.toAbsolutePath();
        Path parent = abs.getParent();
        if (parent != null && parent.getFileName().toString().equals("checkpoints") && Files.exists(parent.resolveSibling("config.json"))) {
            return parent.resolveSibling("examples").resolve(folder);
        }
        String stem = abs.getFileName().toString().replaceFirst("\\.safetensors$", "");
        return abs.resolveSibling(stem + "-examples").resolve(folder);
    }
}
