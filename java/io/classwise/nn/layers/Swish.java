package io.classwise.nn.layers;

import io.classwise.nn.Grad;
import io.classwise.nn.Layer;
import io.classwise.nn.Tape;
import io.classwise.tensor.Tensor;

/**
 * y = x·σ(x) (Swish, PyTorch's SiLU), the activation of Gowal et al.'s and Rebuffi et al.'s robust
 * WideResNets. Unlike ReLU its derivative needs the input, so the forward keeps x.
 */
public final class Swish extends Layer {
    private static final class Cache { Tensor x, y, dx; }

    @Override
    public Tensor forward(Tape tape, Tensor x) {
        Cache c = tape.cache(this, Cache::new);
        c.x = x;
        c.y = tape.reuse(c.y, x.shape());
        tape.backend().swish(x, c.y);
        return c.y;
    }

    @Override
    public Tensor backward(Tape tape, Tensor dy, Grad grad) {
        if (!grad.input()) return null;
        Cache c = tape.cache(this, Cache::new);
        c.dx = tape.reuse(c.dx, c.x.shape());
        tape.backend().swishBackward(c.x, dy, c.dx);
        return c.dx;
    }
}
