package io.classwise.data.pipeline;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * One batch: images (N, C, H, W) in a direct, native-order buffer (a backend uploads it in one
 * copy), labels as ints and as floats (the form the loss primitives take), and which dataset
 * examples they are. Owned by the {@link BatchLoader}: valid until the next batch is requested.
 */
public final class Batch {
    private final FloatBuffer images;
    private final float[] scratch;
    private final int[] labels, indices;
    private final float[] labelsAsFloats;
    private final int[] imageShape;
    private int size;

    Batch(int capacity, int[] imageShape) {
        int per = imageShape[0] * imageShape[1] * imageShape[2];
        this.images = ByteBuffer.allocateDirect(capacity * per * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        this.scratch = new float[capacity * per];
        this.labels = new int[capacity];
        this.indices = new int[capacity];
        this.labelsAsFloats = new float[capacity];
        this.imageShape = imageShape.clone();
    }

    public int size() { return size; }

    /** (size, C, H, W) */
    public int[] shape() { return new int[] {size, imageShape[0], imageShape[1], imageShape[2]}; }

    /** The images; only the first size·C·H·W floats belong to this batch. */
    public FloatBuffer images() { return images; }

    /** A heap copy of the images (size·C·H·W floats), for code that wants arrays. */
    public float[] imagesArray() {
        float[] out = new float[size * imageShape[0] * imageShape[1] * imageShape[2]];
        images.get(0, out, 0, out.length);
        return out;
    }

    public int label(int i) { return labels[i]; }

    /** Labels as floats (length size), as the loss primitives take them. */
    public float[] labelsAsFloats() { return Arrays.copyOf(labelsAsFloats, size); }

    /** Dataset index of batch row i. */
    public int index(int i) { return indices[i]; }

    float[] scratch() { return scratch; }

    void set(int row, int index, int label) {
        indices[row] = index;
        labels[row] = label;
        labelsAsFloats[row] = label;
    }

    void seal(int size) {
        this.size = size;
        images.put(0, scratch, 0, size * imageShape[0] * imageShape[1] * imageShape[2]);
    }
}
