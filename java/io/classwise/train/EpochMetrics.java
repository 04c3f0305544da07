package io.classwise.train;

/**
 * One line of metrics.jsonl: overall and per-class clean and robust accuracy on the training
 * examples as trained (adversarial = the examples trained on) and on the test set (adversarial = under
 * the evaluation PGD attack). Robust means right on both the clean and the adversarial example, on
 * train and test alike ({@link Evaluation#ROBUST_DEFINITION}). {@code seconds}: the whole epoch; {@code trainSeconds}: its
 * training loop alone (attack + update), from which the training throughput in images/s comes.
 */
public record EpochMetrics(int epoch, double lr, double trainLoss, double seconds, double trainSeconds, int trainImages,
                           ClassAccuracy trainClean, ClassAccuracy trainRobust,
                           ClassAccuracy testClean, ClassAccuracy testRobust) {
    /** Training images per second of this epoch (attack and update included, evaluation not). */
    public double trainImagesPerSecond() { return trainSeconds > 0 ? trainImages / trainSeconds : 0; }
}
