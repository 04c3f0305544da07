package io.classwise.data;

import java.util.List;

/**
 * A labelled set of images. Pixels come out as floats in [0, 1], planar (C, H, W). In-memory sets
 * have one fixed shape; folder datasets (ImageNet) decode each image at its own size and a
 * {@link io.classwise.data.pipeline.Transform} brings it to the model's input shape.
 */
public interface ImageDataset {
    int size();

    /** Class id in [0, numClasses) of example i. */
    int label(int i);

    int numClasses();

    List<String> classNames();

    /** Where the data came from (files or directory), for messages and reports. */
    String source();

    /** Example i decoded to [0, 1] pixels. */
    Image image(int i);

    /** Counts per class id. */
    default int[] classCounts() {
        int[] counts = new int[numClasses()];
        for (int i = 0; i < size(); i++) counts[label(i)]++;
        return counts;
    }
}
