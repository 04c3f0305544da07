package io.classwise.nn.layers;

import io.classwise.nn.Layer;
import io.classwise.nn.Parameter;
import io.classwise.nn.StateDict;
import io.classwise.util.Rng;

import java.util.List;

/**
 * A layer with a weight and an optional bias, stored as PyTorch does ("weight", "bias") and
 * initialised with PyTorch's default for Conv2d and Linear: kaiming_uniform(a=√5), which is
 * U(±1/√fan_in) for the weight, and U(±1/√fan_in) for the bias.
 */
abstract class WeightBiasLayer extends Layer {
    protected final Parameter weight, bias;
    private final int fanIn;

    WeightBiasLayer(Parameter weight, Parameter bias, int fanIn) {
        this.weight = weight; this.bias = bias; this.fanIn = fanIn;
    }

    public Parameter weight() { return weight; }

    /** Null when the layer has no bias. */
    public Parameter bias() { return bias; }

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

    @Override
    protected void initOwn(Rng rng) {
        double bound = 1.0 / Math.sqrt(fanIn);
        Init.uniform(weight.value(), rng, bound);
        if (bias != null) Init.uniform(bias.value(), rng, bound);
    }
}
