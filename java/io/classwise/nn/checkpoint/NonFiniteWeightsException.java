package io.classwise.nn.checkpoint;

/** A model whose weights hold NaN or infinity was about to be saved: it is refused, never written as a checkpoint. */
public final class NonFiniteWeightsException extends IllegalStateException {
    public NonFiniteWeightsException(String message) { super(message); }
}
