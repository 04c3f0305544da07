package io.classwise.nn.layers;

import io.classwise.nn.Grad;
import io.classwise.nn.Layer;
import io.classwise.nn.Parameter;
import io.classwise.nn.StateDict;
import io.classwise.nn.Tape;
import io.classwise.tensor.Backend;
import io.classwise.tensor.ConvGeometry;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;

import java.util.List;

/** 2-D convolution, PyTorch layout: weight (out, in, k, k), optional bias (out). */
public final class Conv2d extends Layer {
    public final int in, out, kernel, stride, pad;
    private final Parameter weight, bias;

    public Conv2d(Backend b, int in, int out, int kernel, int stride, int pad, boolean withBias) {
        this.in = in; this.out = out; this.kernel = kernel; this.stride = stride; this.pad = pad;
        this.weight = new Parameter(b, out, in, kernel, kernel);
        this.bias = withBias ? new Parameter(b, out) : null;
    }

    public Parameter weight() { return weight; }

    public Parameter bias() { return bias; }

    private static final class Cache { Tensor x, y, dx; ConvGeometry g; }

    @Override
    public Tensor forward(Tape tape, Tensor x) {
        if (x.rank() != 4 || x.dim(1) != in) {
            throw new IllegalArgumentException("Conv2d(" + in + "→" + out + ") expects (N, " + in + ", H, W), got " + x);
        }
        Cache c = tape.cache(this, Cache::new);
        c.x = x;
        c.g = new ConvGeometry(x.dim(0), in, x.dim(2), x.dim(3), out, kernel, kernel, stride, pad);
        c.y = tape.reuse(c.y, c.g.outputShape());
        tape.backend().conv2dForward(x, weight.value(), bias == null ? null : bias.value(), c.y, c.g);
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

    @Override
    protected void ownState(String prefix, StateDict into) {
        into.put(prefix + "weight", new StateDict.FloatEntry(weight.value(), true));
        if (bias != null) into.put(prefix + "bias", new StateDict.FloatEntry(bias.value(), true));
    }

    @Override
    protected void ownParameters(List<Parameter> into) {
        into.add(weight);
        if (bias != null) into.add(bias);
    }

    /** PyTorch default: kaiming_uniform(a=√5) ⇒ U(±1/√fan_in) for weight and bias. */
    @Override
    protected void initOwn(Rng rng) {
        double bound = 1.0 / Math.sqrt(in * kernel * kernel);
        Init.uniform(weight.value(), rng, bound);
        if (bias != null) Init.uniform(bias.value(), rng, bound);
    }
}
