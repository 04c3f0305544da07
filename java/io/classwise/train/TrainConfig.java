package io.classwise.train;

import io.classwise.nn.LrSchedule;

import java.util.Arrays;
import java.util.Locale;

/**
 * Everything that defines a training run. Written to {@code config.json} in the run directory (the
 * resolved configuration, after preset and flags) and read back by {@code --resume}.
 */
public final class TrainConfig {
    public String dataset = "fashion-mnist";
    /** "embedded" uses the Fashion-MNIST subset inside the jar. */
    public String source = "files";
    public String architecture = "small-cnn";
    public String method = "pgd-at";
    public int epochs = 10;
    public int batchSize = 128;
    public double lr = 0.1;
    /** "multistep:75,90" (×0.1 at each), "cosine", "cyclic" or "constant". */
    public String schedule = "multistep:75,90";
    public double momentum = 0.9;
    public double weightDecay = 5e-4;
    public boolean nesterov = false;
    public double eps = 0.1;
    public double trainStep = 0.01;
    public int trainSteps = 10;
    public double evalStep = 0.01;
    public int evalSteps = 20;
    /** TRADES / MART trade-off β. */
    public double beta = 6.0;
    /** HE: cosine-head scale s and margin m. */
    public double heScale = 15.0;
    public double heMargin = 0.2;
    public long seed = 0;
    /** Test examples evaluated (clean and PGD) per epoch, balanced across classes; 0 = the whole test set. */
    public int evalExamples = 0;
    /** Training examples used per epoch, balanced across classes; 0 = all. */
    public int trainExamples = 0;
    public int threads = 0;
    public String device = "auto";
    /** Where the preset's numbers come from. */
    public String presetSource = "";

    public Method methodEnum() { return Method.parse(method); }

    /** Learning rate at fractional epoch t. */
    public LrSchedule lrSchedule() {
        String s = schedule.toLowerCase(Locale.ROOT);
        if (s.equals("constant")) return LrSchedule.constant(lr);
        if (s.equals("cosine")) return LrSchedule.cosine(lr, 0, epochs);
        if (s.equals("cyclic")) return LrSchedule.cyclic(lr, epochs);
        if (s.startsWith("multistep:")) {
            try {
                int[] ms = Arrays.stream(s.substring(10).split(",")).map(String::trim).filter(x -> !x.isEmpty()).mapToInt(Integer::parseInt).toArray();
                return LrSchedule.multiStep(lr, 0.1, ms);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--schedule multistep needs epoch numbers, e.g. multistep:75,90; got '" + schedule + "'");
            }
        }
        throw new IllegalArgumentException("--schedule must be multistep:E1,E2,..., cosine, cyclic or constant; got '" + schedule + "'");
    }

    public void validate() {
        methodEnum();
        lrSchedule();
        if (epochs < 1) throw new IllegalArgumentException("--epochs must be >= 1, got " + epochs);
        if (batchSize < 1) throw new IllegalArgumentException("--batch-size must be >= 1, got " + batchSize);
        if (!(lr > 0)) throw new IllegalArgumentException("--lr must be > 0, got " + lr);
        if (!(eps >= 0) || !(trainStep >= 0) || !(evalStep >= 0)) throw new IllegalArgumentException("--eps and step sizes must be >= 0");
        if (trainSteps < 1 || evalSteps < 1) throw new IllegalArgumentException("--train-steps and --eval-steps must be >= 1");
        if (evalExamples < 0 || trainExamples < 0) throw new IllegalArgumentException("--eval-examples / --train-examples must be >= 0");
    }
}
