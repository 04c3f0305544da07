package io.classwise.cli;

import io.classwise.api.ImportModel;
import io.classwise.nn.checkpoint.TorchCheckpoint;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Backends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/** {@code convert}: a PyTorch checkpoint as a Classwise one, without executing anything from it. */
@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Read a torch.save file (.pt/.pth/.bin, PyTorch >= 1.6; nothing in it is executed) or a bare safetensors file into "
                + "an architecture and write a Classwise checkpoint that eval, attack, diagnose and compare open.",
                "The weights may sit at the top level or under state_dict, model_state_dict, model, net, ...; DataParallel's 'module.' "
                + "prefix is dropped; other entries are listed and left."})
final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "The PyTorch (or safetensors) file.") Path in;
    @Parameters(index = "1", arity = "0..1", paramLabel = "OUT", description = "The Classwise checkpoint to write (.safetensors); or --run.") Path out;
    @Option(names = "--run", description = "Instead of OUT: a run directory (checkpoints/last.safetensors + config.json) that diagnose and "
            + "compare open like a trained run.") Path runDir;
    @Option(names = "--arch", required = true, description = "The architecture the weights belong to (engine.jar info --arch A lists "
            + "the names and shapes it expects).") String arch;
    @Option(names = "--dataset", required = true, description = "The dataset: input shape and classes.") String dataset;
    @Mixin NormalizeOption normalization = new NormalizeOption();
    @Option(names = "--eps", description = "The ℓ∞ budget the model was trained for (what attacks default to; else the dataset's preset).") Float eps;

    @Option(names = "--overwrite", description = "Replace OUT if it exists (never an input, never a directory).") boolean overwrite;

    @Override
    public Integer call() throws Exception {
        try (Backend b = Backends.create("reference", 0)) {
            ImportModel.Result r = ImportModel.run(new ImportModel.Request(in, out, runDir, arch, dataset, normalization.normalize, eps, overwrite), b);
            TorchCheckpoint.Contents c = r.found().torch();
            if (c != null) {
                System.out.println("weights: " + c.tensors().size() + " tensors " + (c.foundUnder().isEmpty() ? "at the top level"
                        : "under '" + c.foundUnder() + "'") + (c.dataParallel() ? " (DataParallel's 'module.' prefix dropped)" : ""));
                if (!c.ignored().isEmpty()) System.out.println("left out (not weights): " + String.join(", ", c.ignored()));
            }
            if (r.found().droppedPrefix() != null) System.out.println("the wrapper prefix '" + r.found().droppedPrefix() + "' dropped from every name");
            if (!r.found().unused().isEmpty()) System.out.println("left out (unused by " + arch + "'s forward): " + r.found().unused().size()
                    + " tensors, " + r.found().unused().get(0) + " ...");
            System.out.println(arch + " for " + dataset + ", " + r.spec().numClasses() + " classes, input " + Arrays.toString(r.spec().inputShape())
                    + ", normalisation " + (isIdentity(r.spec().mean(), r.spec().std()) ? "none (the model takes [0, 1] pixels)"
                    : "mean " + Arrays.toString(r.spec().mean()) + " std " + Arrays.toString(r.spec().std()))
                    + ("auto".equals(normalization.normalize) ? " (auto: what " + arch + "'s published models expect; --normalize to change)" : ""));
            System.out.println(out != null ? "checkpoint: " + out : "run directory: " + runDir + " (diagnose --run " + runDir
                    + ", compare " + runDir + " ...)");
        }
        return 0;
    }

    private static boolean isIdentity(float[] mean, float[] std) {
        for (int i = 0; i < std.length; i++) if (std[i] != 1f || mean[i] != 0f) return false;
        return true;
    }
}
