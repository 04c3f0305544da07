package io.classwise.data;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The datasets of the study plus Fashion-MNIST: names, classes, image shape and the per-channel
 * mean/std that the model's normalisation layer uses (the values common in the literature's code).
 */
public enum DatasetId {
    MNIST("mnist", 1, 28, new float[] {0.1307f}, new float[] {0.3081f},
            List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")),
    FASHION_MNIST("fashion-mnist", 1, 28, new float[] {0.2860f}, new float[] {0.3530f},
            List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")),
    CIFAR10("cifar10", 3, 32, new float[] {0.4914f, 0.4822f, 0.4465f}, new float[] {0.2471f, 0.2435f, 0.2616f},
            List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")),
    CIFAR100("cifar100", 3, 32, new float[] {0.5071f, 0.4865f, 0.4409f}, new float[] {0.2673f, 0.2564f, 0.2762f},
            Cifar100Names.FINE),
    SVHN("svhn", 3, 32, new float[] {0.4377f, 0.4438f, 0.4728f}, new float[] {0.1980f, 0.2010f, 0.1970f},
            List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")),
    STL10("stl10", 3, 96, new float[] {0.4467f, 0.4398f, 0.4066f}, new float[] {0.2603f, 0.2566f, 0.2713f},
            List.of("airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck")),
    /** Class names come from the folders (and a mapping file); 224×224 after the standard crops. */
    IMAGENET("imagenet", 3, 224, new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f}, List.of());

    public final String cliName;
    public final int channels, side;
    private final float[] mean, std;
    private final List<String> classNames;

    DatasetId(String cliName, int channels, int side, float[] mean, float[] std, List<String> classNames) {
        this.cliName = cliName; this.channels = channels; this.side = side;
        this.mean = mean; this.std = std; this.classNames = classNames;
    }

    public float[] mean() { return mean.clone(); }

    public float[] std() { return std.clone(); }

    /** Built-in class names (empty for ImageNet, whose names come from the data). */
    public List<String> classNames() { return classNames; }

    /** How many classes a model of this dataset predicts (ImageNet: the 1,000 of ILSVRC-2012). */
    public int numClasses() { return this == IMAGENET ? 1000 : classNames.size(); }

    /** (C, H, W) of the model input. */
    public int[] inputShape() { return new int[] {channels, side, side}; }

    public static DatasetId parse(String name) {
        String n = name.toLowerCase(Locale.ROOT).replace("_", "-");
        for (DatasetId d : values()) if (d.cliName.equals(n) || d.cliName.replace("-", "").equals(n.replace("-", ""))) return d;
        throw new IllegalArgumentException("unknown dataset '" + name + "'; expected one of "
                + Arrays.stream(values()).map(d -> d.cliName).collect(Collectors.joining(", ")));
    }
}
