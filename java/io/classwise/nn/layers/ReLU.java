package io.classwise.nn.layers;

import io.classwise.nn.Grad;
import io.classwise.nn.Layer;
import io.classwise.nn.Tape;
import io.classwise.tensor.Tensor;

/** y = max(x, 0). The backward uses y (y > 0 ⇔ x > 0). */
public final class ReLU extends Layer {
    private static final class Cache { Tensor y, dx; }

    @Override
    public Tensor forward(Tape tape, Tensor x) {
        Cache c = tape.cache(this, Cache::new);
        c.y = tape.reuse(c.y, x.shape());
        tape.backend().relu(x, c.y);
        return c.y;
    }

    @Override
    public Tensor backward(Tape tape, Tensor dy, Grad grad) {
        if (!grad.input()) return null;
        Cache c = tape.cache(this, Cache::new);
        c.dx = tape.reuse(c.dx, c.y.shape());
        tape.backend().reluBackward(c.y, dy, c.dx);
        return c.dx;
    }
}
