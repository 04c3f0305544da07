package io.classwise.nn.layers;

import io.classwise.nn.Grad;
import io.classwise.nn.Layer;
import io.classwise.nn.Tape;
import io.classwise.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/** Layers applied in order; children named "0", "1", … as nn.Sequential, or by the given names. */
public final class Sequential extends Layer {
    private final List<Layer> order = new ArrayList<>();

    public Sequential add(String name, Layer layer) {
        order.add(child(name, layer));
        return this;
    }

    /** Appends with the next positional name ("0", "1", ...). */
    public Sequential add(Layer layer) { return add(Integer.toString(order.size()), layer); }

    public int length() { return order.size(); }

    @Override
    public Tensor forward(Tape tape, Tensor x) {
        for (Layer l : order) x = l.forward(tape, x);
        return x;
    }

    @Override
    public Tensor backward(Tape tape, Tensor dy, Grad grad) {
        for (int i = order.size() - 1; i >= 0; i--) dy = order.get(i).backward(tape, dy, i == 0 ? grad : grad.inner());
        return dy;
    }
}
