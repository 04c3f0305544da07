package io.classwise.data;

/** One decoded image: floats in [0, 1], planar (C, H, W). */
public record Image(int channels, int height, int width, float[] pixels) {
    public Image {
        if (pixels.length != channels * height * width) throw new IllegalArgumentException("pixel count does not match " + channels
                + "x" + height + "x" + width);
    }

    public float at(int c, int y, int x) { return pixels[(c * height + y) * width + x]; }
}
