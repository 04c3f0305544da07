package io.classwise.nn.layers;

import io.classwise.nn.Grad;
import io.classwise.nn.Layer;
import io.classwise.nn.Tape;
import io.classwise.tensor.PoolGeometry;
import io.classwise.tensor.Tensor;

/** Max pooling with a square window (PyTorch MaxPool2d, no dilation, floor mode). */
public final class MaxPool2d extends Layer {
    public final int kernel, stride, pad;

    public MaxPool2d(int kernel, int stride, int pad) { this.kernel = kernel; this.stride = stride; this.pad = pad; }

    private static final class Cache { Tensor x, y, dx; PoolGeometry g; }

    @Override
    public Tensor forward(Tape tape, Tensor x) {
        Cache c = tape.cache(this, Cache::new);
        c.x = x;
        c.g = new PoolGeometry(x.dim(0), x.dim(1), x.dim(2), x.dim(3), kernel, stride, pad);
        c.y = tape.reuse(c.y, c.g.outputShape());
        tape.backend().maxPoolForward(x, c.y, c.g);
        return c.y;
    }

    @Override
    public Tensor backward(Tape tape, Tensor dy, Grad grad) {
        if (!grad.input()) return null;
        Cache c = tape.cache(this, Cache::new);
        c.dx = tape.reuse(c.dx, c.x.shape());
        tape.backend().maxPoolBackward(c.x, dy, c.dx, c.g);
        return c.dx;
    }
}
