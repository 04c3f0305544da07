package io.classwise.nn.layers;

import io.classwise.nn.Grad;
import io.classwise.nn.Layer;
import io.classwise.nn.Tape;
import io.classwise.tensor.Tensor;

/**
 * Zero padding by (left, right, top, bottom), PyTorch's {@code F.pad(x, (left, right, top, bottom))}.
 * Models ported from TensorFlow need it before a strided convolution: "SAME" padding of a 3×3 stride-2
 * convolution on an even input pads 0 before and 1 after, which no symmetric conv padding reproduces.
 */
public final class ZeroPad2d extends Layer {
    public final int left, right, top, bottom;

    public ZeroPad2d(int left, int right, int top, int bottom) {
        if (left < 0 || right < 0 || top < 0 || bottom < 0) throw new IllegalArgumentException("padding must be >= 0");
        this.left = left; this.right = right; this.top = top; this.bottom = bottom;
    }

    private static final class Cache { Tensor y, dx; int[] inputShape; }

    @Override
    public Tensor forward(Tape tape, Tensor x) {
        if (x.rank() != 4) throw new IllegalArgumentException("ZeroPad2d expects (N, C, H, W), got " + x);
        Cache c = tape.cache(this, Cache::new);
        c.inputShape = x.shape();
        // (N, C, H + top + bottom, W + left + right)
        c.y = tape.reuse(c.y, new int[] {x.dim(0), x.dim(1), x.dim(2) + top + bottom, x.dim(3) + left + right});
        tape.backend().zeroPad2d(x, c.y, top, left);
        return c.y;
    }

    @Override
    public Tensor backward(Tape tape, Tensor dy, Grad grad) {
        if (!grad.input()) return null;
        Cache c = tape.cache(this, Cache::new);
        c.dx = tape.reuse(c.dx, c.inputShape);
        tape.backend().zeroPad2dBackward(dy, c.dx, top, left);
        return c.dx;
    }
}
