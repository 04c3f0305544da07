package io.classwise.train;

import io.classwise.data.DatasetId;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.CharConversionException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.List;
import java.util.ArrayList;
import java.util.Map;

/**
 * The literature's settings per dataset. Each preset records its source in
 * {@link TrainConfig#presetSource}; flags override any field.
 */
public final class Presets {
    private Presets() {}

    public static TrainConfig forDataset(DatasetId id) {
        TrainConfig c = new TrainConfig();
        c.dataset = id.cliName;
        c.method = "pgd-at";
        c.momentum = 0.9;
        c.batchSize = 128;
        switch (id) {
            case MNIST -> {
                // Madry et al. 2018 (MNIST challenge): CNN, ε = 0.3, 40 steps of 0.01 for training, 100 steps of 0.01
                // to evaluate; SGD schedule of TRADES' MNIST experiments (lr 0.01, momentum 0.9, 100 epochs).
                c.architecture = "madry-cnn"; c.eps = 0.3; c.trainStep = 0.01; c.trainSteps = 40; c.evalStep = 0.01; c.evalSteps = 100;
                c.epochs = 100; c.lr = 0.01; c.schedule = "multistep:55,75,90"; c.weightDecay = 0;
                c.presetSource = "Madry et al. 2018 (attack); Zhang et al. 2019, TRADES MNIST setup (optimiser)";
            }
            case FASHION_MNIST -> {
                // No setting in the study; MNIST's recipe with ε = 0.1 (the common Fashion-MNIST budget) and 20 steps.
                c.architecture = "madry-cnn"; c.eps = 0.1; c.trainStep = 0.01; c.trainSteps = 20; c.evalStep = 0.01; c.evalSteps = 20;
                c.epochs = 50; c.lr = 0.01; c.schedule = "multistep:30,40"; c.weightDecay = 0;
                c.presetSource = "Classwise: MNIST recipe of Madry et al. with ε = 0.1";
            }
            case CIFAR10, CIFAR100, STL10 -> {
                // Madry et al. PGD-AT with ε = 8/255, step 2/255, 10 steps (evaluation PGD-20); ResNet-18; SGD lr 0.1,
                // momentum 0.9, weight decay 5e-4, 100 epochs with ×0.1 at 75 and 90 (TRADES/MART CIFAR schedule).
                c.architecture = "resnet18"; c.eps = 8 / 255.0; c.trainStep = 2 / 255.0; c.trainSteps = 10;
                c.evalStep = 2 / 255.0; c.evalSteps = 20; c.epochs = 100; c.lr = 0.1; c.schedule = "multistep:75,90"; c.weightDecay = 5e-4;
                c.presetSource = "Madry et al. 2018 (PGD-AT, ε = 8/255); Zhang et al. 2019 / Wang et al. 2020 (schedule)";
            }
            case SVHN -> {
                // As CIFAR but lr 0.01 (SVHN diverges at 0.1 under PGD-AT) and 50 epochs.
                c.architecture = "resnet18"; c.eps = 8 / 255.0; c.trainStep = 2 / 255.0; c.trainSteps = 10;
                c.evalStep = 2 / 255.0; c.evalSteps = 20; c.epochs = 50; c.lr = 0.01; c.schedule = "multistep:25,40"; c.weightDecay = 5e-4;
                c.presetSource = "Madry et al. 2018 (attack); Wang et al. 2020 MART SVHN setup (lr 0.01)";
            }
            case IMAGENET -> {
                // Wong et al. 2020 fast adversarial training on ImageNet: ResNet-50, FGSM with random start,
                // ε = 4/255, α = 1.25 ε, cyclic learning rate, 15 epochs; evaluation PGD-10 (step 1/255).
                c.architecture = "resnet50"; c.method = "fgsm-rs"; c.eps = 4 / 255.0; c.trainStep = 1.25 * 4 / 255.0; c.trainSteps = 1;
                c.evalStep = 1 / 255.0; c.evalSteps = 10; c.epochs = 15; c.lr = 0.4; c.schedule = "cyclic"; c.weightDecay = 5e-5;
                c.batchSize = 256;
                c.presetSource = "Wong et al. 2020, Fast is better than free (ImageNet, ε = 4/255)";
            }
        }
        return c;
    }
    /** The ℓ∞ budget of the dataset's usual threat model (the training preset's ε), in [0, 1] pixel units. */
    public static double linfEps(DatasetId id) { return forDataset(id).eps; }

    /**
     * The ℓ2 budget of the dataset's usual ℓ2 threat model, in [0, 1] pixel units: MNIST 2.0 (Madry et al.'s
     * MNIST challenge, Croce and Hein), CIFAR-10/100 and SVHN 0.5 (RobustBench), ImageNet 3.0 (Engstrom et
     * al.'s robustness library); Fashion-MNIST 1.5 and STL-10 1.5 are Classwise's choices (no common value:
     * MNIST's scaled with the ℓ∞ budget, and CIFAR's scaled with the side, 96/32).
     */
    public static double l2Eps(DatasetId id) {
        return switch (id) {
            case MNIST -> 2.0;
            case FASHION_MNIST, STL10 -> 1.5;
            case CIFAR10, CIFAR100, SVHN -> 0.5;
            case IMAGENET -> 3.0;
        };
    }

    /**
     * The budget of an attack on a checkpoint: the flag when given; else, for ℓ∞, the ε the model was
     * trained with ({@code trainedLinfEps}, from its metadata; null when it does not say); else the
     * dataset's preset for the attack's norm. Never a guess: without a flag and a dataset it is an error
     * that names the flag.
     */
    public static float attackEps(Float flag, boolean l2, String trainedLinfEps, DatasetId dataset) {
        if (flag != null) return flag;
        if (!l2 && trainedLinfEps != null) {
            float e;
            try {
                e = Float.parseFloat(trainedLinfEps);
            } catch (NumberFormatException notANumber) {
                e = Float.NaN;
            }
            // Not the user's flag: say where the bad number came from.
            if (!(e > 0 && e <= 1)) throw new IllegalArgumentException("the checkpoint's metadata records classwise.eps = " + trainedLinfEps
                    + ", not a budget in (0, 1]; pass --eps to choose one");
            return e;
        }
        if (dataset == null) {
            throw new IllegalArgumentException("the checkpoint records no " + (l2 ? "ℓ2 " : "")
                    + "ε and no dataset: pass --eps (and --dataset)");
        }
        return (float) (l2 ? l2Eps(dataset) : linfEps(dataset));
    }

    /**
     * The layering every entry point uses (train, reproduce, the Java API): the dataset's preset, then
     * a JSON/YAML config file (nullable; TrainConfig field names), then flags — a map from TrainConfig field
     * name to value, holding only what the user set. FGSM-RS gets Wong et al.'s defaults (step 1.25 ε,
     * cyclic schedule, peak lr 0.2 outside ImageNet) for whatever neither the file nor a flag set.
     * The result is validated.
     */
    public static TrainConfig resolve(DatasetId id, Path configFile, Map<String, Object> flags) throws IOException {
        TrainConfig c = forDataset(id);
        ObjectMapper json = new ObjectMapper();
        boolean betaInFile = false;
        if (configFile != null) {
            if (!Files.exists(configFile)) throw new IllegalArgumentException("--config: " + configFile + " does not exist");
            String n = configFile.getFileName().toString().toLowerCase(Locale.ROOT);
            ObjectMapper reader = n.endsWith(".yaml") || n.endsWith(".yml")
                    ? new YAMLMapper() : new ObjectMapper();
            reader.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT); // epochs: 1.7 is a mistake, not 1 epoch
            reader.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION); // "eps" twice: which one was meant? Refused.
            try {
                JsonNode tree = reader.readTree(configFile.toFile());
                if (tree == null || !tree.isObject()) {
                    throw new IllegalArgumentException("--config " + configFile
                            + ": expected an object of TrainConfig fields (e.g. epochs: 10), got "
                            + (tree == null ? "nothing" : tree.getNodeType().toString().toLowerCase(Locale.ROOT)));
                }
                betaInFile = tree.has("beta");
                // Read from the file again (not from the tree) so that a field's bad value is reported at its line.
                reader.readerForUpdating(c).readValue(configFile.toFile());
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("--config " + configFile + ": " + e.getOriginalMessage() + where(e));
            } catch (CharConversionException e) {
                throw new IllegalArgumentException("--config " + configFile + ": not UTF-8 text (" + e.getMessage() + ")");
            }
        }
        json.readerForUpdating(c).readValue((JsonNode) json.valueToTree(flags));
        // Wong et al.'s fast AT: step 1.25 ε, cyclic learning rate (peak 0.2 on CIFAR), unless set explicitly.
        if (c.method.equals("fgsm-rs") && configFile == null) {
            if (!flags.containsKey("trainStep")) c.trainStep = 1.25 * c.eps;
            if (!flags.containsKey("schedule")) c.schedule = "cyclic";
            if (!flags.containsKey("lr") && !c.dataset.equals("imagenet")) c.lr = 0.2;
        }
        // FRL's authors train with TRADES β = 1 (their script's default), not TRADES's own 6.
        if (c.method.equals("frl") && !flags.containsKey("beta") && !betaInFile) c.beta = 1.0;
        c.validate();
        return c;
    }

    /**
     * A saved run's configuration with what a resumed run may change: more epochs, another device or
     * thread count. Any other flag that disagrees with the saved value is an error naming it (it would
     * silently make the resumed run a different experiment). {@code flagNames} maps field names to flags.
     */
    public static TrainConfig resumed(TrainConfig saved, Map<String, Object> flags, Map<String, String> flagNames) {
        ObjectMapper json = new ObjectMapper();
        JsonNode was = json.valueToTree(saved);
        TrainConfig c = saved.copy();
        for (Map.Entry<String, Object> f : flags.entrySet()) {
            String field = f.getKey(), flag = flagNames.getOrDefault(field, field);
            JsonNode given = json.valueToTree(f.getValue()), before = was.path(field);
            if (field.equals("device") || field.equals("threads")) continue;
            if (field.equals("epochs")) {
                if (given.asInt() < saved.epochs) {
                    throw new IllegalArgumentException(flag + " " + given.asInt() + " is fewer than the run's " + saved.epochs
                            + "; a resumed run can only be extended");
                }
                continue;
            }
            boolean same = given.isNumber() && before.isNumber() ? given.asDouble() == before.asDouble()
                    : given.asText().equals(before.asText());
            if (!same) {
                throw new IllegalArgumentException(flag + " " + given.asText() + " contradicts the run being resumed (" + flag
                        + " " + before.asText()
                        + " in its config.json); resume without it, or start a new run");
            }
        }
        try {
            json.readerForUpdating(c).readValue((JsonNode) json.valueToTree(flags));
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        c.validate();
        return c;
    }

    /** " (line L, field F)" for a parse or mapping error, as much as is known (never "line -1"). */
    static String where(JsonProcessingException e) {
        List<String> parts = new ArrayList<>();
        if (e.getLocation() != null && e.getLocation().getLineNr() > 0) parts.add("line " + e.getLocation().getLineNr());
        if (e instanceof com.fasterxml.jackson.databind.JsonMappingException m && !m.getPath().isEmpty()) {
            String field = m.getPath().get(m.getPath().size() - 1).getFieldName();
            if (field != null) parts.add("field '" + field + "'");
        }
        return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
    }
}
