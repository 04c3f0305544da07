package io.classwise.nn;

import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A differentiable function with optional parameters. {@link #forward} keeps in the tape what
 * {@link #backward} needs; backward returns ∂loss/∂input (a buffer owned by the layer, in the tape)
 * and, when asked, adds parameter gradients into {@link Parameter#grad()}.
 *
 * <p>Children are registered under their PyTorch attribute names so that state names come out as
 * in PyTorch ({@code layer1.0.conv1.weight}).
 */
public abstract class Layer {
    private final Map<String, Layer> children = new LinkedHashMap<>();

    /** y = f(x). */
    public abstract Tensor forward(Tape tape, Tensor x);

    /**
     * Given ∂loss/∂y of the last forward through {@code tape}, returns ∂loss/∂x, or null when
     * {@code grad} is {@link Grad#PARAMS} (the caller needs no input gradient).
     */
    public abstract Tensor backward(Tape tape, Tensor dy, Grad grad);

    protected final <L extends Layer> L child(String name, L layer) {
        if (children.putIfAbsent(name, layer) != null) throw new IllegalStateException("duplicate child " + name);
        return layer;
    }

    public final Map<String, Layer> children() { return children; }

    /** This layer's own entries (not its children's), in PyTorch order. */
    protected void ownState(String prefix, StateDict into) {}

    /** This layer's own parameters (not its children's). */
    protected void ownParameters(List<Parameter> into) {}

    /** PyTorch's default initialisation of this layer's own parameters. */
    protected void initOwn(Rng rng) {}

    public final void state(String prefix, StateDict into) {
        ownState(prefix, into);
        for (Map.Entry<String, Layer> c : children.entrySet()) c.getValue().state(prefix + c.getKey() + ".", into);
    }

    public final StateDict stateDict() {
        StateDict sd = new StateDict();
        state("", sd);
        return sd;
    }

    public final List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>();
        collectParameters(out);
        return out;
    }

    private void collectParameters(List<Parameter> into) {
        ownParameters(into);
        for (Layer c : children.values()) c.collectParameters(into);
    }

    /** Initialises every parameter in state order from one generator (reproducible per seed). */
    public final void initialize(Rng rng) {
        initOwn(rng);
        for (Layer c : children.values()) c.initialize(rng);
    }

    /** All layers of this subtree, depth first, this one included. */
    public final List<Layer> layers() {
        List<Layer> out = new ArrayList<>();
        out.add(this);
        for (Layer c : children.values()) out.addAll(c.layers());
        return out;
    }
}
