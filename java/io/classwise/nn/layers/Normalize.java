package io.classwise.nn.layers;

import io.classwise.nn.Grad;
import io.classwise.nn.Layer;
import io.classwise.nn.Tape;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;

/**
 * Per-channel input normalisation y = (x − mean[c]) / std[c], inside the model so that attacks work
 * on [0, 1] pixels and ε is measured in pixel units. Not part of the state dict (PyTorch
 * implementations normalise outside the module); the checkpoint's metadata carries mean and std.
 */
public final class Normalize extends Layer {
    private final float[] meanValues, stdValues;
    private final Tensor mean, std;

    public Normalize(Backend b, float[] mean, float[] std) {
        if (mean.length != std.length) throw new IllegalArgumentException("mean and std need one value per channel");
        for (float s : std) if (!(s > 0)) throw new IllegalArgumentException("std must be > 0, got " + s);
        this.meanValues = mean.clone();
        this.stdValues = std.clone();
        this.mean = b.allocate(mean.length).copyFrom(mean);
        this.std = b.allocate(std.length).copyFrom(std);
    }

    public float[] mean() { return meanValues.clone(); }

    public float[] std() { return stdValues.clone(); }

    /** Gives the device copies of mean and std back (with the model they belong to). */
    public void release() { Tensor.release(mean, std); }

    private static final class Cache { Tensor y, dx; }

    @Override
    public Tensor forward(Tape tape, Tensor x) {
        if (x.dim(1) != meanValues.length) throw new IllegalArgumentException("Normalize has " + meanValues.length
                + " channels, input is " + x);
        Cache c = tape.cache(this, Cache::new);
        c.y = tape.reuse(c.y, x.shape());
        tape.backend().normalizeChannels(x, mean, std, c.y);
        return c.y;
    }

    @Override
    public Tensor backward(Tape tape, Tensor dy, Grad grad) {
        if (!grad.input()) return null;
        Cache c = tape.cache(this, Cache::new);
        c.dx = tape.reuse(c.dx, dy.shape());
        tape.backend().normalizeChannelsBackward(dy, std, c.dx);
        return c.dx;
    }
}
