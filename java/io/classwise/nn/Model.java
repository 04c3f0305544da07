package io.classwise.nn;

import io.classwise.nn.layers.CosineLinear;
import io.classwise.nn.layers.Linear;
import io.classwise.nn.layers.Normalize;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;

import java.util.Arrays;
import java.util.List;

/**
 * An image classifier: [0, 1] pixels (N, C, H, W) → per-channel normalisation → network → logits
 * (N, classes). Attacks see the pixels; the normalisation is part of the differentiated function.
 * {@link #stateDict()} has exactly the PyTorch implementation's names and shapes.
 */
public final class Model {
    private final String architecture;
    private final int numClasses;
    private final int[] inputShape;
    private final Normalize normalize;
    private final Layer net;
    private final Layer classifier;

    public Model(String architecture, int numClasses, int[] inputShape, Normalize normalize, Layer net, Layer classifier) {
        if (!(classifier instanceof Linear) && !(classifier instanceof CosineLinear)) {
            throw new IllegalArgumentException("classifier must be the final Linear or CosineLinear layer");
        }
        this.architecture = architecture;
        this.numClasses = numClasses;
        this.inputShape = inputShape.clone();
        this.normalize = normalize;
        this.net = net;
        this.classifier = classifier;
    }

    public String architecture() { return architecture; }

    public int numClasses() { return numClasses; }

    /** (C, H, W) of one input image. */
    public int[] inputShape() { return inputShape.clone(); }

    public float[] mean() { return normalize.mean(); }

    public float[] std() { return normalize.std(); }

    public Layer net() { return net; }

    /** The final layer whose weight rows are the per-class weight vectors. */
    public Layer classifier() { return classifier; }

    public Backend backend() { return parameters().get(0).value().backend(); }

    /** logits (N, classes) for pixels x (N, C, H, W) in [0, 1]. */
    public Tensor forward(Tape tape, Tensor x) {
        if (x.rank() != 4 || x.dim(1) != inputShape[0] || x.dim(2) != inputShape[1] || x.dim(3) != inputShape[2]) {
            throw new IllegalArgumentException(architecture + " expects input (N, " + inputShape[0] + ", " + inputShape[1]
                    + ", " + inputShape[2] + "), got " + Arrays.toString(x.shape()));
        }
        return net.forward(tape, normalize.forward(tape, x));
    }

    /**
     * Back-propagates ∂loss/∂logits through the last forward of {@code tape}. Returns ∂loss/∂pixels
     * (null for {@link Grad#PARAMS}); with {@link Grad#INPUT} no weight gradient is computed.
     */
    public Tensor backward(Tape tape, Tensor dLogits, Grad grad) {
        Tensor d = net.backward(tape, dLogits, grad.input() ? grad.inner() : grad);
        return grad.input() ? normalize.backward(tape, d, Grad.INPUT) : null;
    }

    public StateDict stateDict() { return net.stateDict(); }

    public List<Parameter> parameters() { return net.parameters(); }

    /**
     * Gives the model's memory back now: weights, their gradients, buffers (batch-norm statistics) and the
     * normalisation's constants. The model is unusable afterwards. For a program that evaluates many models
     * in turn on one device.
     */
    public void release() {
        for (Parameter p : parameters()) p.release();
        normalize.release();
        for (StateDict.Entry e : stateDict().entries().values()) if (e instanceof StateDict.FloatEntry f) f.tensor().release();
    }

    public long parameterCount() { return stateDict().parameterCount(); }

    public void zeroGrad() {
        for (Parameter p : parameters()) p.zeroGrad();
    }

    public void initialize(Rng rng) { net.initialize(rng); }
}
