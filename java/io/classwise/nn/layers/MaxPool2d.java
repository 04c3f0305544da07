package io.classwise.nn.layers;

import io.classwise.nn.Grad;
import io.classwise.nn.Layer;
import io.classwise.nn.Tape;
import io.classwise.tensor.PoolGeometry;
import io.classwise.tensor.Tensor;

/**
 * Max pooling with a square window (PyTorch MaxPool2d, no dilation, floor mode). {@link #afterRelu}
 * builds ReLU → max pooling as one layer: the same function and gradient (max commutes with ReLU),
 * without the full-resolution ReLU output and its passes over memory.
 */
public final class MaxPool2d extends Layer {
    public final int kernel, stride, pad;
    public final boolean relu;

    public MaxPool2d(int kernel, int stride, int pad) { this(kernel, stride, pad, false); }

    private MaxPool2d(int kernel, int stride, int pad, boolean relu) {
        this.kernel = kernel; this.stride = stride; this.pad = pad; this.relu = relu;
    }

    /** ReLU followed by this max pooling. */
    public static MaxPool2d afterRelu(int kernel, int stride, int pad) { return new MaxPool2d(kernel, stride, pad, true); }

    private static final class Cache { Tensor x, y, dx; PoolGeometry g; }

    @Override
    public Tensor forward(Tape tape, Tensor x) {
        Cache c = tape.cache(this, Cache::new);
        c.x = x;
        c.g = new PoolGeometry(x.dim(0), x.dim(1), x.dim(2), x.dim(3), kernel, stride, pad);
        c.y = tape.reuse(c.y, c.g.outputShape());
        if (relu) tape.backend().reluMaxPoolForward(x, c.y, c.g);
        else tape.backend().maxPoolForward(x, c.y, c.g);
        return c.y;
    }

    @Override
    public Tensor backward(Tape tape, Tensor dy, Grad grad) {
        if (!grad.input()) return null;
        Cache c = tape.cache(this, Cache::new);
        c.dx = tape.reuse(c.dx, c.x.shape());
        if (relu) tape.backend().reluMaxPoolBackward(c.x, dy, c.dx, c.g);
        else tape.backend().maxPoolBackward(c.x, dy, c.dx, c.g);
        return c.dx;
    }
}
