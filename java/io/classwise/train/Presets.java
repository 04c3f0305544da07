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
}
