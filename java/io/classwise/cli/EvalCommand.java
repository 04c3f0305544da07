package io.classwise.cli;

import io.classwise.api.CheckpointAttack;
import io.classwise.tensor.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code eval}: clean and PGD accuracy per class of a checkpoint, with the settings it was trained for. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Clean and PGD-k robust accuracy, overall and per class, of a checkpoint on its test set (ε from the checkpoint).")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "A .safetensors file written by train.") Path checkpoint;
    @Option(names = "--steps", defaultValue = "20", description = "PGD steps (default: ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--examples", defaultValue = "0", description = "Balanced subset of the test set (default: 0 = all).") int examples;
    @Option(names = "--dataset", description = "For weights without Classwise metadata: the dataset (else the checkpoint's).") String dataset;
    @Option(names = "--arch", description = "For weights without Classwise metadata (torch.save or bare safetensors): their architecture.") String arch;
    @Mixin NormalizeOption normalization = new NormalizeOption();
    @Option(names = "--eps", description = "ℓ∞ budget (default: the checkpoint's training ε, else the dataset's preset).") Float eps;
    @Mixin DataDirOption data = new DataDirOption();
    @Mixin BackendOptions backend;

    @Override
    public Integer call() throws Exception {
        try (Backend b = backend.create()) {
            AttackCommand.print(CheckpointAttack.run(CheckpointAttack.Request.pgd(checkpoint, steps, examples, data.dataDir, dataset, arch,
                    normalization.normalize, eps), b));
        }
        return 0;
    }
}
