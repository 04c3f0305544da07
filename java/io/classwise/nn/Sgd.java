package io.classwise.nn;

import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Stochastic gradient descent with PyTorch's torch.optim.SGD semantics (momentum, dampening,
 * Nesterov, L2 weight decay added to the gradient). The momentum buffers are part of the training
 * state written beside each checkpoint.
 */
public final class Sgd {
    private final List<Parameter> params;
    private final List<Tensor> momentumBuffers = new ArrayList<>();
    private final float momentum, dampening, weightDecay;
    private final boolean nesterov;
    private boolean started;
    private long steps;

    public Sgd(List<Parameter> params, float momentum, float dampening, float weightDecay, boolean nesterov) {
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening");
        if (momentum < 0 || weightDecay < 0) throw new IllegalArgumentException("momentum and weight decay must be >= 0");
        this.params = List.copyOf(params);
        this.momentum = momentum; this.dampening = dampening; this.weightDecay = weightDecay; this.nesterov = nesterov;
        for (Parameter p : this.params) momentumBuffers.add(momentum != 0 ? p.value().backend().allocate(p.value().shape()) : null);
    }

    /** p −= lr · (update from p.grad); gradients are left as they are (call zeroGrad). */
    public void step(float lr) {
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            Backend b = p.value().backend();
            b.sgdStep(p.value(), p.grad(), momentumBuffers.get(i), lr, momentum, dampening, weightDecay, nesterov, !started);
        }
        started = true;
        steps++;
    }

    public void zeroGrad() {
        for (Parameter p : params) p.zeroGrad();
    }

    public long steps() { return steps; }

    /** Momentum buffers in parameter order (null entries when momentum is 0); for checkpoints. */
    public List<Tensor> momentumBuffers() { return momentumBuffers; }

    /** Whether the momentum buffers hold a history (false before the first step, as in PyTorch). */
    public boolean started() { return started; }

    /** Restores the counters saved with the momentum buffers. */
    public void restore(long steps, boolean started) { this.steps = steps; this.started = started; }
}
