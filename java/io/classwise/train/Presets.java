package io.classwise.train;

import io.classwise.data.DatasetId;

/**
 * The literature's settings per dataset. Each preset records its source in
 * {@link TrainConfig#presetSource}; flags override any field.
 */
public final class Presets {
    private Presets() {}

    public static TrainConfig forDataset(DatasetId id) {
        TrainConfig c = new TrainConfig();
        c.dataset = id.cliName;
        c.method = "pgd-at";
        c.momentum = 0.9;
        c.batchSize = 128;
        switch (id) {
            case MNIST -> {
                // Madry et al. 2018 (MNIST challenge): CNN, ε = 0.3, 40 steps of 0.01 for training, 100 steps of 0.01
                // to evaluate; SGD schedule of TRADES' MNIST experiments (lr 0.01, momentum 0.9, 100 epochs).
                c.architecture = "madry-cnn"; c.eps = 0.3; c.trainStep = 0.01; c.trainSteps = 40; c.evalStep = 0.01; c.evalSteps = 100;
                c.epochs = 100; c.lr = 0.01; c.schedule = "multistep:55,75,90"; c.weightDecay = 0;
                c.presetSource = "Madry et al. 2018 (attack); Zhang et al. 2019, TRADES MNIST setup (optimiser)";
            }
            case FASHION_MNIST -> {
                // No setting in the study; MNIST's recipe with ε = 0.1 (the common Fashion-MNIST budget) and 20 steps.
                c.architecture = "madry-cnn"; c.eps = 0.1; c.trainStep = 0.01; c.trainSteps = 20; c.evalStep = 0.01; c.evalSteps = 20;
                c.epochs = 50; c.lr = 0.01; c.schedule = "multistep:30,40"; c.weightDecay = 0;
                c.presetSource = "Classwise: MNIST recipe of Madry et al. with ε = 0.1";
            }
            case CIFAR10, CIFAR100, STL10 -> {
                // Madry et al. PGD-AT with ε = 8/255, step 2/255, 10 steps (evaluation PGD-20); ResNet-18; SGD lr 0.1,
                // momentum 0.9, weight decay 5e-4, 100 epochs with ×0.1 at 75 and 90 (TRADES/MART CIFAR schedule).
                c.architecture = "resnet18"; c.eps = 8 / 255.0; c.trainStep = 2 / 255.0; c.trainSteps = 10;
                c.evalStep = 2 / 255.0; c.evalSteps = 20; c.epochs = 100; c.lr = 0.1; c.schedule = "multistep:75,90"; c.weightDecay = 5e-4;
                c.presetSource = "Madry et al. 2018 (PGD-AT, ε = 8/255); Zhang et al. 2019 / Wang et al. 2020 (schedule)";
            }
            case SVHN -> {
                // As CIFAR but lr 0.01 (SVHN diverges at 0.1 under PGD-AT) and 50 epochs.
                c.architecture = "resnet18"; c.eps = 8 / 255.0; c.trainStep = 2 / 255.0; c.trainSteps = 10;
                c.evalStep = 2 / 255.0; c.evalSteps = 20; c.epochs = 50; c.lr = 0.01; c.schedule = "multistep:25,40"; c.weightDecay = 5e-4;
                c.presetSource = "Madry et al. 2018 (attack); Wang et al. 2020 MART SVHN setup (lr 0.01)";
            }
            case IMAGENET -> {
                // Wong et al. 2020 fast adversarial training on ImageNet: ResNet-50, FGSM with random start,
                // ε = 4/255, α = 1.25 ε, cyclic learning rate, 15 epochs; evaluation PGD-10 (step 1/255).
                c.architecture = "resnet50"; c.method = "fgsm-rs"; c.eps = 4 / 255.0; c.trainStep = 1.25 * 4 / 255.0; c.trainSteps = 1;
                c.evalStep = 1 / 255.0; c.evalSteps = 10; c.epochs = 15; c.lr = 0.4; c.schedule = "cyclic"; c.weightDecay = 5e-5;
                c.batchSize = 256;
                c.presetSource = "Wong et al. 2020, Fast is better than free (ImageNet, ε = 4/255)";
            }
        }
        return c;
    }
    /** The ℓ∞ budget of the dataset's usual threat model (the training preset's ε), in [0, 1] pixel units. */
    public static double linfEps(DatasetId id) { return forDataset(id).eps; }

    /**
     * The ℓ2 budget of the dataset's usual ℓ2 threat model, in [0, 1] pixel units: MNIST 2.0 (Madry et al.'s
     * MNIST challenge, Croce and Hein), CIFAR-10/100 and SVHN 0.5 (RobustBench), ImageNet 3.0 (Engstrom et
     * al.'s robustness library); Fashion-MNIST 1.5 and STL-10 1.5 are Classwise's choices (no common value:
     * MNIST's scaled with the ℓ∞ budget, and CIFAR's scaled with the side, 96/32).
     */
    public static double l2Eps(DatasetId id) {
        return switch (id) {
            case MNIST -> 2.0;
            case FASHION_MNIST, STL10 -> 1.5;
            case CIFAR10, CIFAR100, SVHN -> 0.5;
            case IMAGENET -> 3.0;
        };
    }

    /**
     * The budget of an attack on a checkpoint: the flag when given; else, for ℓ∞, the ε the model was
     * trained with ({@code trainedLinfEps}, from its metadata; null when it does not say); else the
     * dataset's preset for the attack's norm. Never a guess: without a flag and a dataset it is an error
     * that names the flag.
     */
    public static float attackEps(Float flag, boolean l2, String trainedLinfEps, DatasetId dataset) {
        if (flag != null) return flag;
        if (!l2 && trainedLinfEps != null) return Float.parseFloat(trainedLinfEps);
        if (dataset == null) {
            throw new IllegalArgumentException("the checkpoint records no " + (l2 ? "ℓ2 " : "") + "ε and no dataset: pass --eps (and --dataset)");
        }
        return (float) (l2 ? l2Eps(dataset) : linfEps(dataset));
    }
}
