package io.classwise.nn.layers;

import io.classwise.nn.Grad;
import io.classwise.nn.Parameter;
import io.classwise.nn.Tape;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;


/** y (N, out) = x (N, in) · Wᵀ + b, PyTorch layout: weight (out, in), bias (out). */
public final class Linear extends WeightBiasLayer {
    public final int in, out;

    public Linear(Backend b, int in, int out, boolean withBias) {
        super(new Parameter(b, out, in), withBias ? new Parameter(b, out) : null, in);
        this.in = in; this.out = out;
    }

    private static final class Cache { Tensor x, y, dx; }

    @Override
    public Tensor forward(Tape tape, Tensor x) {
        if (x.rank() != 2 || x.dim(1) != in) throw new IllegalArgumentException("Linear(" + in + "→" + out + ") expects (N, " + in
                + "), got " + x);
        Cache c = tape.cache(this, Cache::new);
        int n = x.dim(0);
        c.x = x;
        c.y = tape.reuse(c.y, n, out);
        tape.backend().gemm(false, true, n, out, in, 1f, x, weight.value(), 0f, c.y);
        if (bias != null) tape.backend().addRowVector(c.y, bias.value());
        return c.y;
    }

    @Override
    public Tensor backward(Tape tape, Tensor dy, Grad grad) {
        Cache c = tape.cache(this, Cache::new);
        Backend b = tape.backend();
        int n = c.x.dim(0);
        if (grad.params()) {
            b.gemm(true, false, out, in, n, 1f, dy, c.x, 1f, weight.grad()); // dW (out, in) += dyᵀ · x
            if (bias != null) b.sumRows(dy, bias.grad());
        }
        if (!grad.input()) return null;
        c.dx = tape.reuse(c.dx, n, in);
        b.gemm(false, false, n, in, out, 1f, dy, weight.value(), 0f, c.dx); // dx (N, in) = dy · W
        return c.dx;
    }
}
