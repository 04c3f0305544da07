package io.classwise.cli;

import io.classwise.api.Predict;
import io.classwise.tensor.Backend;
import io.classwise.util.AtomicFiles;
import io.classwise.util.OutputPaths;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code predict}: a model's logits on given inputs, to compare with what PyTorch computes for the same model. */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Logits and predicted class of a checkpoint on inputs you give (pixels in [0, 1], (N, C, H, W), in a torch.save or "
                + "safetensors file), as CSV: compare them with your PyTorch model's to check that Classwise reads it right.",
                "In PyTorch: torch.save(x, 'inputs.pt'); model.eval(); print(model(x))."})
final class PredictCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "A Classwise checkpoint, or weights from elsewhere with --arch and --dataset.") Path checkpoint;
    @Option(names = "--inputs", required = true, description = "A torch.save (.pt) or safetensors file holding the images.") Path inputs;
    @Option(names = "--key", description = "Which tensor of --inputs (default: the only 4-D one).") String key;
    @Option(names = "--out", description = "Write the CSV here (default: print it).") Path out;
    @Option(names = "--dataset", description = "For weights without Classwise metadata: the dataset (classes, input shape).") String dataset;
    @Option(names = "--arch", description = "For weights without Classwise metadata: their architecture.") String arch;
    @Mixin NormalizeOption normalization = new NormalizeOption();
    @Option(names = "--batch-size", defaultValue = "64", description = "Images per forward pass (default: ${DEFAULT-VALUE}).") int batchSize;
    @Option(names = "--overwrite", description = "Replace --out if it exists (never the checkpoint or the inputs).") boolean overwrite;
    @Mixin BackendOptions backend;

    @Override
    public Integer call() throws Exception {
        if (out != null) OutputPaths.checkFile(out, "--out", overwrite, checkpoint, inputs);
        try (Backend b = backend.create()) {
            Predict.Result r = Predict.run(new Predict.Request(checkpoint, inputs, key, arch, dataset, normalization.normalize, batchSize), b);
            if (out == null) {
                write(r, System.out);
            } else {
                AtomicFiles.write(out, o -> {
                    PrintStream p = new PrintStream(o, false, StandardCharsets.UTF_8);
                    write(r, p);
                    p.flush();
                });
                System.out.println(r.logits().length + " inputs ('" + r.inputKey() + "') → " + out);
            }
        }
        return 0;
    }

    /** index, predicted class, then one logit column per class (float's shortest exact decimal form). */
    private static void write(Predict.Result r, PrintStream p) {
        StringBuilder header = new StringBuilder("index,predicted");
        for (String c : r.classNames()) header.append(",logit:").append(c.replace(',', ' '));
        p.println(header);
        for (int i = 0; i < r.logits().length; i++) {
            StringBuilder row = new StringBuilder().append(i).append(',').append(r.classNames().get(r.predicted()[i]).replace(',', ' '));
            for (float v : r.logits()[i]) row.append(',').append(String.format(Locale.ROOT, "%s", v));
            p.println(row);
        }
    }
}
