package io.classwise.cli;

import io.classwise.attack.Apgd;
import io.classwise.attack.Attack;
import io.classwise.attack.SquareAttack;
import io.classwise.attack.Pgd;
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
import io.classwise.train.Evaluation;
import io.classwise.util.Rng;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code attack}: overall and per-class robust accuracy of a checkpoint under one attack. */
@Command(name = "attack", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Attack a checkpoint on its test set; print overall and per-class clean and robust accuracy.")
final class AttackCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "A .safetensors file written by train.") Path checkpoint;
    @Option(names = "--attack", defaultValue = "pgd",
            description = "fgsm, fgsm-rs, pgd, tpgd, cw, mi-fgsm, l2-pgd, apgd-ce, apgd-dlr, square (default: ${DEFAULT-VALUE}).") String attack;
    @Option(names = "--queries", defaultValue = "1000", description = "Query budget of square (default: ${DEFAULT-VALUE}).") int queries;
    @Option(names = {"--T", "--temperature"}, defaultValue = "1", description = "Temperature of tpgd (default: ${DEFAULT-VALUE}).") float temperature;
    @Option(names = "--eps", description = "Budget: ℓ∞ (ℓ2 for l2-pgd); default: the ℓ∞ ε the model was trained with.") Float eps;
    @Option(names = "--step", description = "Step size (default: eps/4).") Float step;
    @Option(names = "--steps", defaultValue = "20") int steps;
    @Option(names = "--restarts", defaultValue = "1") int restarts;
    @Option(names = "--kappa", defaultValue = "50", description = "CW confidence κ.") float kappa;
    @Option(names = "--examples", defaultValue = "0", description = "Balanced subset of the test set (0 = all).") int examples;
    @Option(names = "--batch-size", defaultValue = "128") int batchSize;
    @Option(names = "--dataset", description = "Override the dataset recorded in the checkpoint.") String dataset;
    @Option(names = "--data-dir") String dataDir;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @picocli.CommandLine.Mixin BackendOptions backend;

    @Override
    public Integer call() throws Exception {
        if (!Files.exists(checkpoint)) throw new IllegalArgumentException("--checkpoint: " + checkpoint + " does not exist");
        Map<String, String> meta = Safetensors.read(checkpoint).metadata();
        String ds = dataset != null ? dataset : meta.get("classwise.dataset");
        if (ds == null) throw new IllegalArgumentException(checkpoint + " does not record its dataset; pass --dataset");
        DatasetId id = DatasetId.parse(ds);
        float e = eps != null ? eps : meta.containsKey("classwise.eps") ? Float.parseFloat(meta.get("classwise.eps")) : 0.1f;
        float a = step != null ? step : e / 4;
        Attack atk = switch (attack.toLowerCase(Locale.ROOT)) {
            case "fgsm" -> Pgd.fgsm(e);
            case "fgsm-rs" -> Pgd.fgsmRandomStart(e, 1.25f * e);
            case "pgd" -> Pgd.pgd(e, a, steps, restarts);
            case "tpgd" -> Pgd.temperaturePgd(e, a, steps, temperature);
            case "cw" -> Pgd.cw(e, a, steps, kappa);
            case "mi-fgsm" -> Pgd.miFgsm(e, steps, 1f);
            case "l2-pgd" -> Pgd.l2(e, a, steps, restarts);
            case "apgd-ce" -> new Apgd(e, Math.max(steps, 2), Apgd.Loss.CROSS_ENTROPY);
            case "apgd-dlr" -> new Apgd(e, Math.max(steps, 2), Apgd.Loss.DLR);
            case "square" -> new SquareAttack(e, queries);
            default -> throw new IllegalArgumentException("--attack must be fgsm, fgsm-rs, pgd, tpgd, cw, mi-fgsm, l2-pgd, apgd-ce, apgd-dlr or square; got '" + attack + "'");
        };
        ImageDataset test = Datasets.load(id, Split.TEST, "embedded".equals(meta.get("classwise.source")) && dataset == null, DataDirs.resolve(dataDir));
        if (examples > 0) test = SubsetDataset.balanced(test, Math.max(1, examples / test.numClasses()), seed);
        try (Backend b = backend.create()) {
            Model model = Checkpoint.load(b, checkpoint);
            if (model.numClasses() != test.numClasses()) {
                throw new IllegalArgumentException(checkpoint + " has " + model.numClasses() + " classes but " + id.cliName + " has " + test.numClasses());
            }
            ClassAccuracy[] r = Evaluation.run(model, test, Transforms.forEvaluation(id), atk, batchSize, new Rng(seed));
            System.out.printf(Locale.ROOT, "%s on %s (%d test images, ε = %.4f): clean %.4f, robust %.4f%n",
                    atk.name(), id.cliName, r[0].total(), e, r[0].overall(), r[1].overall());
            System.out.printf(Locale.ROOT, "%-4s %-20s %6s %8s %8s%n", "id", "class", "n", "clean", "robust");
            double[] c = r[0].perClass(), rb = r[1].perClass();
            long[] n = r[0].counts();
            for (int k = 0; k < c.length; k++) {
                System.out.printf(Locale.ROOT, "%-4d %-20s %6d %8.4f %8.4f%n", k, test.classNames().get(k), n[k], c[k], rb[k]);
            }
        }
        return 0;
    }
}
