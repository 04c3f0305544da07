package io.classwise.nn.layers;

import io.classwise.nn.Grad;
import io.classwise.nn.Layer;
import io.classwise.nn.Parameter;
import io.classwise.nn.StateDict;
import io.classwise.nn.Tape;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;

import java.util.List;

/**
 * Cosine-normalised head for hypersphere embedding (Pang et al., 2020):
 * y (N, out) = s · x̂ · Ŵᵀ with x̂ = x/‖x‖ per row and Ŵ = W/‖W‖ per class row; no bias.
 * The HE margin m is applied by the loss on the true-class logit.
 */
public final class CosineLinear extends Layer {
    private static final float EPS = 1e-12f;
    public final int in, out;
    public final float scale;
    private final Parameter weight;

    public CosineLinear(Backend b, int in, int out, float scale) {
        this.in = in; this.out = out; this.scale = scale;
        this.weight = new Parameter(b, out, in);
    }

    public Parameter weight() { return weight; }

    private static final class Cache { Tensor xHat, xNorm, wHat, wNorm, y, dxHat, dwHat, dw, dx; }

    @Override
    public Tensor forward(Tape tape, Tensor x) {
        if (x.rank() != 2 || x.dim(1) != in) throw new IllegalArgumentException("CosineLinear(" + in + "→" + out + ") expects (N, "
                + in + "), got " + x);
        Backend b = tape.backend();
        Cache c = tape.cache(this, Cache::new);
        int n = x.dim(0);
        c.xHat = tape.reuse(c.xHat, n, in);
        c.xNorm = tape.reuse(c.xNorm, n);
        c.wHat = tape.reuse(c.wHat, out, in);
        c.wNorm = tape.reuse(c.wNorm, out);
        c.y = tape.reuse(c.y, n, out);
        b.l2NormalizeRows(x, c.xHat, c.xNorm, EPS);
        b.l2NormalizeRows(weight.value(), c.wHat, c.wNorm, EPS);
        b.gemm(false, true, n, out, in, scale, c.xHat, c.wHat, 0f, c.y);
        return c.y;
    }

    @Override
    public Tensor backward(Tape tape, Tensor dy, Grad grad) {
        Backend b = tape.backend();
        Cache c = tape.cache(this, Cache::new);
        int n = c.xHat.dim(0);
        if (grad.params()) {
            c.dwHat = tape.reuse(c.dwHat, out, in);
            c.dw = tape.reuse(c.dw, out, in);
            b.gemm(true, false, out, in, n, scale, dy, c.xHat, 0f, c.dwHat);       // ∂/∂Ŵ = s·dyᵀ·x̂
            b.l2NormalizeRowsBackward(c.wHat, c.wNorm, c.dwHat, c.dw);
            b.axpy(1f, c.dw, weight.grad());
        }
        if (!grad.input()) return null;
        c.dxHat = tape.reuse(c.dxHat, n, in);
        c.dx = tape.reuse(c.dx, n, in);
        b.gemm(false, false, n, in, out, scale, dy, c.wHat, 0f, c.dxHat);          // ∂/∂x̂ = s·dy·Ŵ
        b.l2NormalizeRowsBackward(c.xHat, c.xNorm, c.dxHat, c.dx);
        return c.dx;
    }

    @Override
    protected void ownState(String prefix, StateDict into) {
        into.put(prefix + "weight", new StateDict.FloatEntry(weight.value(), true));
    }

    @Override
    protected void ownParameters(List<Parameter> into) { into.add(weight); }

    @Override
    protected void initOwn(Rng rng) { Init.uniform(weight.value(), rng, 1.0 / Math.sqrt(in)); }
}
