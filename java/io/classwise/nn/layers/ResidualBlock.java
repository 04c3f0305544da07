package io.classwise.nn.layers;

import io.classwise.nn.Grad;
import io.classwise.nn.Layer;
import io.classwise.nn.Tape;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A residual block y = post(main(a) + shortcut), a = pre(x), with the shortcut either the identity
 * on x or a projection of a. Post-activation blocks (ResNet BasicBlock and Bottleneck) have an empty
 * pre path and a final ReLU; pre-activation blocks (PreActResNet, WideResNet) have pre = BN + ReLU and
 * no final ReLU. Layers are registered directly on the block so state names read
 * {@code layer1.0.conv1.weight} as in PyTorch; ReLUs hold no state and are not registered.
 */
public final class ResidualBlock extends Layer {
    private final List<Layer> pre = new ArrayList<>();
    private final List<Layer> main = new ArrayList<>();
    private Layer shortcut;
    private ReLU post;

    /** Adds a layer to the pre-activation path (name null: unregistered, stateless). */
    public ResidualBlock pre(String name, Layer l) { pre.add(name == null ? l : child(name, l)); return this; }

    /** Adds a layer to the main path. */
    public ResidualBlock main(String name, Layer l) { main.add(name == null ? l : child(name, l)); return this; }

    /** A projection shortcut applied to pre(x) (identity on x when never called). */
    public ResidualBlock projection(String name, Layer l) { shortcut = child(name, l); return this; }

    public ResidualBlock reluAfterSum() { post = new ReLU(); return this; }

    private static final class Cache { Tensor x, sum, dSum, dA, dx; }

    @Override
    public Tensor forward(Tape tape, Tensor x) {
        Cache c = tape.cache(this, Cache::new);
        c.x = x;
        Tensor a = x;
        for (Layer l : pre) a = l.forward(tape, a);
        Tensor s = shortcut == null ? x : shortcut.forward(tape, a);
        Tensor h = a;
        int last = main.size() - 1;
        for (int i = 0; i < last; i++) h = main.get(i).forward(tape, h);
        Tensor sum;
        if (main.get(last) instanceof Conv2d conv) sum = conv.forwardPlus(tape, h, s);  // the sum added as the convolution stores
        else {
            h = main.get(last).forward(tape, h);
            if (!h.sameShape(s)) throw new IllegalStateException("residual shapes differ: " + h + " vs " + s);
            c.sum = tape.reuse(c.sum, h.shape());
            tape.backend().add(h, s, c.sum);
            sum = c.sum;
        }
        return post == null ? sum : post.forward(tape, sum);
    }

    private static Tensor backwardThrough(Tape tape, List<Layer> path, Tensor dy, Grad first) {
        for (int i = path.size() - 1; i >= 0; i--) dy = path.get(i).backward(tape, dy, i == 0 ? first : first.inner());
        return dy;
    }

    @Override
    public Tensor backward(Tape tape, Tensor dy, Grad grad) {
        Cache c = tape.cache(this, Cache::new);
        Backend b = tape.backend();
        Tensor d = post == null ? dy : post.backward(tape, dy, Grad.INPUT);
        // Paths that start at a: their input gradient is needed whenever pre has layers to feed.
        Grad aGrad = pre.isEmpty() ? grad : grad.inner();
        Tensor dMain = backwardThrough(tape, main, d, aGrad);
        Tensor dShortA = shortcut == null ? null : shortcut.backward(tape, d, aGrad);
        if (pre.isEmpty()) {
            if (!grad.input()) return null;
            c.dx = tape.reuse(c.dx, c.x.shape());
            b.add(dMain, shortcut == null ? d : dShortA, c.dx);
            return c.dx;
        }
        Tensor dA = dMain;
        if (dShortA != null) {
            c.dA = tape.reuse(c.dA, dMain.shape());
            b.add(dMain, dShortA, c.dA);
            dA = c.dA;
        }
        if (shortcut == null && grad.input() && pre.size() == 1 && pre.get(0) instanceof BatchNorm2d bn) {
            return bn.backwardPlus(tape, dA, grad, d);  // the identity shortcut's gradient added as the batch norm stores dx
        }
        Tensor dxPre = backwardThrough(tape, pre, dA, grad);
        if (!grad.input()) return null;
        if (shortcut != null) return dxPre;
        c.dx = tape.reuse(c.dx, c.x.shape());
        b.add(dxPre, d, c.dx);
        return c.dx;
    }
}
