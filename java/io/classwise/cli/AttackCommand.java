package io.classwise.cli;

import io.classwise.analysis.RobustFairness;
import io.classwise.api.CheckpointAttack;
import io.classwise.tensor.Backend;
import io.classwise.train.ClassAccuracy;
import io.classwise.train.Evaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code attack}: overall and per-class robust accuracy of a checkpoint under one attack. */
@Command(name = "attack", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Attack a checkpoint on its test set; print overall and per-class clean and robust accuracy.")
final class AttackCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "A .safetensors file written by train.") Path checkpoint;
    @Option(names = "--attack", defaultValue = "pgd",
            description = "fgsm, fgsm-rs, pgd, tpgd, cw, mi-fgsm, l2-pgd, apgd-ce, apgd-dlr, square, fab-t, autoattack (the standard "
                    + "ensemble: APGD-CE, APGD-T, FAB-T, Square-5000; each component's contribution per class is printed) "
                    + "(default: ${DEFAULT-VALUE}).") String attack;
    @Option(names = "--queries", defaultValue = "1000", description = "Query budget of square (default: ${DEFAULT-VALUE}).") int queries;
    @Option(names = {"--T", "--temperature"}, defaultValue = "1", description = "Temperature of tpgd (default: ${DEFAULT-VALUE}).") float temperature;
    @Mixin AttackBudgetOptions budget = new AttackBudgetOptions();
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
    @Option(names = "--dataset", description = "Override the dataset recorded in the checkpoint (required for weights without Classwise "
            + "metadata).") String dataset;
    @Option(names = "--arch", description = "For weights without Classwise metadata (a torch.save .pt/.pth/.bin, read without executing "
            + "it, or a bare safetensors file): their architecture.") String arch;
    @Mixin NormalizeOption normalization = new NormalizeOption();
    @Mixin DataDirOption data = new DataDirOption();
    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random starts and the test subset (default: ${DEFAULT-VALUE}).") long seed;
    @Mixin BackendOptions backend;

    @Override
    public Integer call() throws Exception {
        CheckpointAttack.Request r = new CheckpointAttack.Request(checkpoint, attack, budget.eps, budget.step, budget.steps, restarts,
                temperature, kappa, queries, target, examples, batchSize, dataset, data.dataDir, seed, saveExamples, examplesDir, arch, normalization.normalize);
        try (Backend b = backend.create()) {
            print(CheckpointAttack.run(r, b));
        }
        return 0;
    }

    static void print(CheckpointAttack.Result res) {
        Evaluation.Predictions p = res.predictions();
        ClassAccuracy clean = p.cleanAccuracy(), robust = p.robustAccuracy();
        System.out.printf(Locale.ROOT, "%s on %s (%d test images, %s ε = %.4f, %s): clean %.4f, robust %.4f%n", res.attackName(),
                res.datasetName(), clean.total(), res.l2() ? "ℓ2" : "ℓ∞", res.eps(), res.epsSource(), clean.overall(), robust.overall());
        System.out.println(Evaluation.ROBUST_DEFINITION);
        if (res.gallery() != null) {
            System.out.println("adversarial examples: " + res.gallery().resolve("index.json") + " (PNG per class, examples.safetensors)");
        }
        if (res.targeting() != null) {
            System.out.println("targeted towards " + res.targeting()
                    + "; target hit = share of the correctly classified examples (with a target) predicted as their target after the attack");
        }
        boolean targeted = res.targeting() != null;
        List<String> names = res.classNames();
        RobustFairness f = RobustFairness.of(p.labels(), p.robustMask(), names.size(), 0);
        System.out.printf(Locale.ROOT, "robust fairness: average over classes %.4f [%.4f, %.4f], worst class %.4f (%s) [%.4f, %.4f], "
                + "gap %.4f [%.4f, %.4f], std %.4f (95 %% bootstrap intervals, %d resamples)%n", f.average(), f.interval()[0][0],
                f.interval()[0][1], f.worst(), names.get(f.worstClass()), f.interval()[1][0], f.interval()[1][1], f.gap(),
                f.interval()[2][0], f.interval()[2][1], f.std(), f.resamples());
        System.out.printf(Locale.ROOT, "%-4s %-20s %6s %8s %8s %17s%s%n", "id", "class", "n", "clean", "robust", "95% interval",
                targeted ? "  target hit" : "");
        double[] c = clean.perClass(), rb = robust.perClass(), hit = targeted ? p.targetHitRate() : null;
        long[] n = clean.counts();
        for (int k = 0; k < c.length; k++) {
            System.out.printf(Locale.ROOT, "%-4d %-20s %6d %8.4f %8.4f  [%.4f, %.4f]%s%n", k, names.get(k), n[k], c[k], rb[k], f.lower()[k],
                    f.upper()[k], hit == null ? "" : String.format(Locale.ROOT, "  %10.4f", hit[k]));
        }
        if (p.brokenBy() != null && res.components() != null) {
            List<String> comps = res.components();
            double[][] after = p.robustAfterEachComponent(comps.size());
            System.out.println("\nrobust accuracy per class after each component (each attacks only what the earlier ones left robust):");
            StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-4s %-20s %8s", "id", "class", "clean"));
            for (String comp : comps) head.append(String.format(Locale.ROOT, " %12s", comp));
            System.out.println(head);
            for (int k = 0; k < c.length; k++) {
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-4d %-20s %8.4f", k, names.get(k), c[k]));
                for (double[] a : after) row.append(String.format(Locale.ROOT, " %12.4f", a[k]));
                System.out.println(row);
            }
        }
    }
}
