package io.classwise.train;

/**
 * One line of metrics.jsonl: overall and per-class clean and robust accuracy on the training
 * examples as trained (robust = on the adversarial examples trained on) and on the test set
 * (robust = under the evaluation PGD attack).
 */
public record EpochMetrics(int epoch, double lr, double trainLoss, double seconds,
                           ClassAccuracy trainClean, ClassAccuracy trainRobust,
                           ClassAccuracy testClean, ClassAccuracy testRobust) {}
