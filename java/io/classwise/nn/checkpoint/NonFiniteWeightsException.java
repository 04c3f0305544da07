package io.classwise.nn.checkpoint;

/** A model whose weights hold NaN or infinity was about to be saved: it is refused, never written as a checkpoint. */
public final class NonFiniteWeightsException extends IllegalStateException {
    private final String offender;

    public NonFiniteWeightsException(String message, String offender) {
        super(message);
        this.offender = offender;
    }

    /** The first non-finite value, named: "'fc2.bias' holds NaN at index 3". */
    public String offender() { return offender; }
}
