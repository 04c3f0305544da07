package io.classwise.nn.layers;

import io.classwise.nn.Grad;
import io.classwise.nn.Layer;
import io.classwise.nn.Tape;
import io.classwise.tensor.PoolGeometry;
import io.classwise.tensor.Tensor;

/**
 * Average pooling with a square window. {@link #global()} averages each whole feature map to 1×1
 * (adaptive average pooling to (1, 1), as in torchvision's ResNet head).
 */
public final class AvgPool2d extends Layer {
    /** 0 means "the whole map". */
    public final int kernel, stride;

    public AvgPool2d(int kernel, int stride) { this.kernel = kernel; this.stride = stride; }

    public static AvgPool2d global() { return new AvgPool2d(0, 0); }

    private static final class Cache { Tensor y, dx; PoolGeometry g; int[] inShape; }

    @Override
    public Tensor forward(Tape tape, Tensor x) {
        Cache c = tape.cache(this, Cache::new);
        int h = x.dim(2), w = x.dim(3);
        if (kernel == 0 && h != w) throw new IllegalArgumentException("global average pooling expects square maps, got " + x);
        c.g = kernel == 0 ? new PoolGeometry(x.dim(0), x.dim(1), h, w, h, h, 0)
                          : new PoolGeometry(x.dim(0), x.dim(1), h, w, kernel, stride, 0);
        c.inShape = x.shape();
        c.y = tape.reuse(c.y, c.g.outputShape());
        tape.backend().avgPoolForward(x, c.y, c.g);
        return c.y;
    }

    @Override
    public Tensor backward(Tape tape, Tensor dy, Grad grad) {
        if (!grad.input()) return null;
        Cache c = tape.cache(this, Cache::new);
        c.dx = tape.reuse(c.dx, c.inShape);
        tape.backend().avgPoolBackward(dy, c.dx, c.g);
        return c.dx;
    }
}
