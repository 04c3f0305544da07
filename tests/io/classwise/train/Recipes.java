package io.classwise.train;

/**
 * The small training recipes the tests share: the small CNN on the embedded Fashion-MNIST subset,
 * ε = 0.1, with the sizes each test varies passed in. One place, so a change of defaults is made once.
 */
public final class Recipes {
    private Recipes() {}

    /**
     * small-cnn, SGD 0.05 with momentum 0.9, batch {@code batch}, {@code epochs} epochs, training attack
     * {@code trainSteps} steps of {@code trainStep}, evaluation PGD {@code evalSteps} steps of {@code evalStep}.
     */
    public static TrainConfig smallCnn(String method, int epochs, int batch, String schedule, double trainStep, int trainSteps,
                                       double evalStep, int evalSteps, int trainExamples, int evalExamples, long seed) {
        TrainConfig c = new TrainConfig();
        c.dataset = "fashion-mnist";
        c.architecture = "small-cnn";
        c.method = method;
        c.epochs = epochs;
        c.batchSize = batch;
        c.lr = 0.05;
        c.schedule = schedule;
        c.eps = 0.1;
        c.trainStep = trainStep;
        c.trainSteps = trainSteps;
        c.evalStep = evalStep;
        c.evalSteps = evalSteps;
        c.trainExamples = trainExamples;
        c.evalExamples = evalExamples;
        c.seed = seed;
        return c;
    }
}
