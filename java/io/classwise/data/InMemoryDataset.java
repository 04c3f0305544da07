package io.classwise.data;

import java.util.List;

/**
 * Images kept as uint8 (N, C, H, W) planar bytes (a quarter of the memory of floats; CIFAR-10's
 * training set is 150 MB), converted to [0, 1] floats on access.
 */
public final class InMemoryDataset implements ImageDataset {
    private final String source;
    private final byte[] pixels;
    private final int[] labels;
    private final int channels, height, width;
    private final List<String> classNames;

    public InMemoryDataset(String source, byte[] pixels, int[] labels, int channels, int height, int width, List<String> classNames) {
        int per = channels * height * width;
        if ((long) labels.length * per != pixels.length) {
            throw new IllegalArgumentException(source + ": " + labels.length + " labels but " + pixels.length / Math.max(per, 1)
                    + " images");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classNames.size()) {
                throw new IllegalArgumentException(source + ": label " + labels[i] + " of example " + i + " is outside [0, "
                        + classNames.size() + ")");
            }
        }
        this.source = source;
        this.pixels = pixels;
        this.labels = labels;
        this.channels = channels; this.height = height; this.width = width;
        this.classNames = List.copyOf(classNames);
    }

    @Override public int size() { return labels.length; }
    @Override public int label(int i) { return labels[i]; }
    @Override public int numClasses() { return classNames.size(); }
    @Override public List<String> classNames() { return classNames; }
    @Override public String source() { return source; }

    public int channels() { return channels; }
    public int height() { return height; }
    public int width() { return width; }

    /** Raw byte of channel c, row y, column x of example i. */
    public int pixel(int i, int c, int y, int x) { return pixels[((i * channels + c) * height + y) * width + x] & 0xFF; }

    @Override
    public Image image(int i) {
        int per = channels * height * width;
        float[] out = new float[per];
        copyImage(i, out, 0);
        return new Image(channels, height, width, out);
    }

    /** Writes example i as [0, 1] floats into dst[off..off + C·H·W). */
    public void copyImage(int i, float[] dst, int off) {
        int per = channels * height * width, base = i * per;
        for (int j = 0; j < per; j++) dst[off + j] = (pixels[base + j] & 0xFF) * (1f / 255f);
    }
}
