package io.classwise.data.pipeline;

import io.classwise.data.Image;
import io.classwise.util.Rng;

/** Maps a decoded image to the model's input (C, H, W), possibly at random (augmentation). */
public interface Transform {
    /** (C, H, W) of what {@link #apply} writes. */
    int[] outputShape();

    /** Writes the transformed image into dst[off .. off + C·H·W); rng drives any randomness. */
    void apply(Image src, Rng rng, float[] dst, int off);
}
