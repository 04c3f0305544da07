package io.classwise.data.pipeline;

import io.classwise.data.DatasetId;
import io.classwise.data.Image;
import io.classwise.util.Rng;

/**
 * The literature's augmentation per dataset: random crop with 4-pixel zero padding and horizontal
 * flip for CIFAR (and STL-10, at its 96×96), crop without flip for SVHN (digits are not mirror
 * symmetric), none for MNIST-like data; ImageNet: random-resized crop to 224 + flip for training,
 * resize to 256 + centre crop 224 for evaluation.
 */
public final class Transforms {
    private Transforms() {}

    public static Transform forTraining(DatasetId id) {
        return switch (id) {
            case MNIST, FASHION_MNIST -> identity(id.inputShape());
            case CIFAR10, CIFAR100, STL10 -> randomCrop(id.inputShape(), 4, true);
            case SVHN -> randomCrop(id.inputShape(), 4, false);
            case IMAGENET -> randomResizedCrop(224, 0.08, 1.0, true);
        };
    }

    public static Transform forEvaluation(DatasetId id) {
        return id == DatasetId.IMAGENET ? resizeCenterCrop(256, 224) : identity(id.inputShape());
    }

    private static void requireShape(Image src, int[] shape) {
        if (src.channels() != shape[0] || src.height() != shape[1] || src.width() != shape[2]) {
            throw new IllegalArgumentException("image is " + src.channels() + "x" + src.height() + "x" + src.width()
                    + ", this transform expects " + shape[0] + "x" + shape[1] + "x" + shape[2]);
        }
    }

    public static Transform identity(int[] shape) {
        return new Transform() {
            public int[] outputShape() { return shape.clone(); }
            public void apply(Image src, Rng rng, float[] dst, int off) {
                requireShape(src, shape);
                System.arraycopy(src.pixels(), 0, dst, off, src.pixels().length);
            }
        };
    }

    /** Zero-pad by {@code pad}, crop back to the original size at a random offset, flip with p = ½. */
    public static Transform randomCrop(int[] shape, int pad, boolean flip) {
        return new Transform() {
            public int[] outputShape() { return shape.clone(); }
            public void apply(Image src, Rng rng, float[] dst, int off) {
                requireShape(src, shape);
                int C = shape[0], H = shape[1], W = shape[2];
                int dy = rng.nextInt(2 * pad + 1) - pad, dx = rng.nextInt(2 * pad + 1) - pad;
                boolean mirror = flip && rng.nextDouble() < 0.5;
                float[] p = src.pixels();
                for (int c = 0; c < C; c++)
                    for (int y = 0; y < H; y++) {
                        int sy = y + dy;
                        for (int x = 0; x < W; x++) {
                            int sx = (mirror ? W - 1 - x : x) + dx;
                            dst[off + (c * H + y) * W + x] = sy >= 0 && sy < H && sx >= 0 && sx < W ? p[(c * H + sy) * W + sx] : 0f;
                        }
                    }
            }
        };
    }

    /** torchvision's RandomResizedCrop (area scale and aspect ratio, 10 tries then centre crop) + flip, bilinear. */
    public static Transform randomResizedCrop(int size, double minScale, double maxScale, boolean flip) {
        return new Transform() {
            public int[] outputShape() { return new int[] {3, size, size}; }
            public void apply(Image src, Rng rng, float[] dst, int off) {
                int H = src.height(), W = src.width();
                double area = (double) H * W;
                int ch = 0, cw = 0, top = 0, left = 0;
                boolean found = false;
                for (int t = 0; t < 10 && !found; t++) {
                    double target = area * rng.uniform(minScale, maxScale);
                    double ratio = Math.exp(rng.uniform(Math.log(3.0 / 4), Math.log(4.0 / 3)));
                    int w = (int) Math.round(Math.sqrt(target * ratio)), h = (int) Math.round(Math.sqrt(target / ratio));
                    if (w > 0 && h > 0 && w <= W && h <= H) {
                        cw = w; ch = h;
                        top = rng.nextInt(H - h + 1);
                        left = rng.nextInt(W - w + 1);
                        found = true;
                    }
                }
                if (!found) {
                    ch = Math.min(H, W); cw = ch;
                    top = (H - ch) / 2; left = (W - cw) / 2;
                }
                boolean mirror = flip && rng.nextDouble() < 0.5;
                resizeRegion(src, top, left, ch, cw, size, size, mirror, dst, off);
            }
        };
    }

    /** Resize the shorter side to {@code resize} (aspect kept), then take the centred crop × crop. */
    public static Transform resizeCenterCrop(int resize, int crop) {
        return new Transform() {
            public int[] outputShape() { return new int[] {3, crop, crop}; }
            public void apply(Image src, Rng rng, float[] dst, int off) {
                int H = src.height(), W = src.width();
                double s = (double) resize / Math.min(H, W);
                // The crop window in source coordinates: crop/s pixels, centred.
                double win = crop / s;
                double top = (H - win) / 2, left = (W - win) / 2;
                resizeRegionExact(src, top, left, win, win, crop, crop, dst, off);
            }
        };
    }

    private static void resizeRegion(Image src, int top, int left, int h, int w, int outH, int outW, boolean mirror, float[] dst, int off) {
        resizeRegionExact(src, top, left, h, w, outH, outW, dst, off);
        if (mirror) {
            for (int c = 0; c < src.channels(); c++)
                for (int y = 0; y < outH; y++) {
                    int row = off + (c * outH + y) * outW;
                    for (int x = 0; x < outW / 2; x++) {
                        float t = dst[row + x];
                        dst[row + x] = dst[row + outW - 1 - x];
                        dst[row + outW - 1 - x] = t;
                    }
                }
        }
    }

    /** Bilinear sampling of the source region [top, top+h) × [left, left+w) onto outH × outW (pixel centres aligned). */
    private static void resizeRegionExact(Image src, double top, double left, double h, double w, int outH, int outW, float[] dst,
            int off) {
        int H = src.height(), W = src.width(), C = src.channels();
        float[] p = src.pixels();
        for (int y = 0; y < outH; y++) {
            double sy = Math.min(Math.max(top + (y + 0.5) * h / outH - 0.5, 0), H - 1);
            int y0 = (int) Math.floor(sy), y1 = Math.min(y0 + 1, H - 1);
            double fy = sy - y0;
            for (int x = 0; x < outW; x++) {
                double sx = Math.min(Math.max(left + (x + 0.5) * w / outW - 0.5, 0), W - 1);
                int x0 = (int) Math.floor(sx), x1 = Math.min(x0 + 1, W - 1);
                double fx = sx - x0;
                for (int c = 0; c < C; c++) {
                    int base = c * H * W;
                    double v = (1 - fy) * ((1 - fx) * p[base + y0 * W + x0] + fx * p[base + y0 * W + x1])
                            + fy * ((1 - fx) * p[base + y1 * W + x0] + fx * p[base + y1 * W + x1]);
                    dst[off + (c * outH + y) * outW + x] = (float) v;
                }
            }
        }
    }
}
