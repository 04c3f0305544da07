package io.classwise.nn.layers;

import io.classwise.nn.Grad;
import io.classwise.nn.Parameter;
import io.classwise.nn.Tape;
import io.classwise.tensor.Backend;
import io.classwise.tensor.ConvGeometry;
import io.classwise.tensor.Tensor;


/** 2-D convolution, PyTorch layout: weight (out, in, k, k), optional bias (out). */
public final class Conv2d extends WeightBiasLayer {
    public final int in, out, kernel, stride, pad;

    public Conv2d(Backend b, int in, int out, int kernel, int stride, int pad, boolean withBias) {
        super(new Parameter(b, out, in, kernel, kernel), withBias ? new Parameter(b, out) : null, in * kernel * kernel);
        this.in = in; this.out = out; this.kernel = kernel; this.stride = stride; this.pad = pad;
    }

    private static final class Cache { Tensor x, y, dx; ConvGeometry g; }

    @Override
    public Tensor forward(Tape tape, Tensor x) { return forward(tape, x, null); }

    /**
     * forward(x) + residual: the sum that ends a residual block's main path, added as the output is stored where the
     * backend can ({@link Backend#conv2dForwardPlus}). The backward pass is this layer's own: the sum passes dy through.
     */
    public Tensor forwardPlus(Tape tape, Tensor x, Tensor residual) { return forward(tape, x, residual); }

    private Tensor forward(Tape tape, Tensor x, Tensor residual) {
        if (x.rank() != 4 || x.dim(1) != in) {
            throw new IllegalArgumentException("Conv2d(" + in + "→" + out + ") expects (N, " + in + ", H, W), got " + x);
        }
        Cache c = tape.cache(this, Cache::new);
        c.x = x;
        c.g = new ConvGeometry(x.dim(0), in, x.dim(2), x.dim(3), out, kernel, kernel, stride, pad);
        c.y = tape.reuse(c.y, c.g.outputShape());
        Tensor b = bias == null ? null : bias.value();
        if (residual == null) tape.backend().conv2dForward(x, weight.value(), b, c.y, c.g);
        else {
            if (!c.y.sameShape(residual)) throw new IllegalStateException("residual shapes differ: " + c.y + " vs " + residual);
            tape.backend().conv2dForwardPlus(x, weight.value(), b, residual, c.y, c.g);
        }
        return c.y;
    }

    @Override
    public Tensor backward(Tape tape, Tensor dy, Grad grad) {
        Cache c = tape.cache(this, Cache::new);
        Backend b = tape.backend();
        if (grad.params()) b.conv2dBackwardFilter(c.x, dy, weight.grad(), bias == null ? null : bias.grad(), c.g);
        if (!grad.input()) return null;
        c.dx = tape.reuse(c.dx, c.g.inputShape());
        b.conv2dBackwardData(dy, weight.value(), c.dx, c.g);
        return c.dx;
    }
}
