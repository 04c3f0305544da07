package io.classwise.nn.layers;

import io.classwise.nn.Grad;
import io.classwise.nn.Layer;
import io.classwise.nn.Tape;
import io.classwise.tensor.Tensor;

/** (N, C, H, W) → (N, C·H·W) as a view, in PyTorch's C-major order. */
public final class Flatten extends Layer {
    private static final class Cache { int[] inShape; }

    @Override
    public Tensor forward(Tape tape, Tensor x) {
        tape.cache(this, Cache::new).inShape = x.shape();
        return x.reshape(x.dim(0), x.size() / x.dim(0));
    }

    @Override
    public Tensor backward(Tape tape, Tensor dy, Grad grad) {
        if (!grad.input()) return null;
        return dy.reshape(tape.cache(this, Cache::new).inShape);
    }
}
