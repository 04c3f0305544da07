package io.classwise.cli;

import picocli.CommandLine.Option;

/** Where the normalisation of weights trained elsewhere lives, for every command that loads them with --arch. */
final class NormalizeOption {
    @Option(names = "--normalize", defaultValue = "auto", description = "With --arch: auto (what the architecture's published models "
            + "expect: the dataset's mean/std for dm-wrn-* and resnet50, none for the others), none (the model takes [0, 1] pixels) "
            + "or dataset (the dataset's mean/std in front) (default: ${DEFAULT-VALUE}).")
    String normalize;
}
