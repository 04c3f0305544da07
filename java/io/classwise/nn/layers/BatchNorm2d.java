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
 * Batch normalisation over (N, C, H, W) with PyTorch's semantics: batch statistics in training
 * (biased variance to normalise, unbiased variance into the running estimate, momentum 0.1,
 * eps 1e-5), running statistics in evaluation. State: weight, bias, running_mean, running_var,
 * num_batches_tracked. {@link #thenRelu} builds batch norm → ReLU as one layer: the same function, state and
 * gradient, with the ReLU fused into the batch norm's passes over memory instead of two more of its own.
 */
public final class BatchNorm2d extends Layer {
    public final int channels;
    public final float momentum, eps;
    /** Whether a ReLU follows inside this layer. */
    public final boolean relu;
    private final Parameter weight, bias;
    private final Tensor runningMean, runningVar;
    private final StateDict.LongEntry numBatchesTracked = new StateDict.LongEntry();

    public BatchNorm2d(Backend b, int channels) { this(b, channels, 0.1f, 1e-5f); }

    public BatchNorm2d(Backend b, int channels, float momentum, float eps) { this(b, channels, momentum, eps, false); }

    private BatchNorm2d(Backend b, int channels, float momentum, float eps, boolean relu) {
        this.channels = channels; this.momentum = momentum; this.eps = eps; this.relu = relu;
        this.weight = new Parameter(b, channels);
        this.bias = new Parameter(b, channels);
        this.runningMean = b.allocate(channels);
        this.runningVar = b.allocate(channels);
        b.fill(weight.value(), 1f);
        b.fill(runningVar, 1f);
    }

    /** Batch norm followed by a ReLU, as one layer (its state is the batch norm's; a ReLU has none). */
    public static BatchNorm2d thenRelu(Backend b, int channels) { return new BatchNorm2d(b, channels, 0.1f, 1e-5f, true); }

    public Tensor runningMean() { return runningMean; }

    public Tensor runningVar() { return runningVar; }

    public long numBatchesTracked() { return numBatchesTracked.get(); }

    private static final class Cache { Tensor x, y, dx, masked, saveMean, saveInvStd; boolean trainedForward; }

    @Override
    public Tensor forward(Tape tape, Tensor x) {
        if (x.rank() < 2 || x.dim(1) != channels) throw new IllegalArgumentException("BatchNorm2d(" + channels + ") got " + x);
        Cache c = tape.cache(this, Cache::new);
        Backend b = tape.backend();
        c.x = x;
        c.y = tape.reuse(c.y, x.shape());
        c.trainedForward = tape.training();
        if (tape.training()) {
            c.saveMean = tape.reuse(c.saveMean, channels);
            c.saveInvStd = tape.reuse(c.saveInvStd, channels);
            if (relu) b.batchNormReluTrainForward(x, weight.value(), bias.value(), runningMean, runningVar, momentum, eps, c.y, c.saveMean,
                    c.saveInvStd);
            else b.batchNormTrainForward(x, weight.value(), bias.value(), runningMean, runningVar, momentum, eps, c.y, c.saveMean, c.saveInvStd);
            numBatchesTracked.set(numBatchesTracked.get() + 1);
        } else {
            b.batchNormInferenceForward(x, weight.value(), bias.value(), runningMean, runningVar, eps, c.y);
            if (relu) b.relu(c.y, c.y);
        }
        return c.y;
    }

    @Override
    public Tensor backward(Tape tape, Tensor dy, Grad grad) { return backward(tape, dy, grad, null); }

    /**
     * backward(dy) + plus, the input gradient with another path's share added (a residual block's identity shortcut),
     * as dx is stored where the backend can ({@link Backend#batchNormReluTrainBackwardPlus}). For callers that need the
     * input gradient.
     */
    public Tensor backwardPlus(Tape tape, Tensor dy, Grad grad, Tensor plus) { return backward(tape, dy, grad.inner(), plus); }

    private Tensor backward(Tape tape, Tensor dy, Grad grad, Tensor plus) {
        Cache c = tape.cache(this, Cache::new);
        Backend b = tape.backend();
        Tensor dGamma = grad.params() ? weight.grad() : null, dBeta = grad.params() ? bias.grad() : null;
        c.dx = tape.reuse(c.dx, c.x.shape());
        if (c.trainedForward && relu && plus != null) {
            b.batchNormReluTrainBackwardPlus(c.x, c.y, dy, weight.value(), bias.value(), c.saveMean, c.saveInvStd, plus, c.dx, dGamma, dBeta);
            return c.dx;
        }
        if (c.trainedForward && relu) {
            b.batchNormReluTrainBackward(c.x, c.y, dy, weight.value(), bias.value(), c.saveMean, c.saveInvStd, c.dx, dGamma, dBeta);
        } else if (c.trainedForward) {
            b.batchNormTrainBackward(c.x, dy, weight.value(), c.saveMean, c.saveInvStd, c.dx, dGamma, dBeta);
        } else {
            Tensor through = dy;
            if (relu) {
                c.masked = tape.reuse(c.masked, dy.shape());
                b.reluBackward(c.y, dy, c.masked);
                through = c.masked;
            }
            b.batchNormInferenceBackward(c.x, through, weight.value(), runningMean, runningVar, eps, c.dx, dGamma, dBeta);
        }
        if (plus != null) b.add(c.dx, plus, c.dx);  // where no backend operation adds it as dx is stored
        return grad.input() ? c.dx : null;
    }

    @Override
    protected void ownState(String prefix, StateDict into) {
        into.put(prefix + "weight", new StateDict.FloatEntry(weight.value(), true));
        into.put(prefix + "bias", new StateDict.FloatEntry(bias.value(), true));
        into.put(prefix + "running_mean", new StateDict.FloatEntry(runningMean, false));
        into.put(prefix + "running_var", new StateDict.FloatEntry(runningVar, false));
        into.put(prefix + "num_batches_tracked", numBatchesTracked);
    }

    @Override
    protected void ownParameters(List<Parameter> into) {
        into.add(weight);
        into.add(bias);
    }

    /** PyTorch: weight 1, bias 0, running mean 0, running var 1, counter 0. */
    @Override
    protected void initOwn(Rng rng) {
        Backend b = weight.value().backend();
        b.fill(weight.value(), 1f);
        b.fill(bias.value(), 0f);
        b.fill(runningMean, 0f);
        b.fill(runningVar, 1f);
        numBatchesTracked.set(0);
    }
}
