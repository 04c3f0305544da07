package io.classwise.data;

/** Which part of a dataset: the training set or the test (ImageNet: validation) set. */
public enum Split {
    TRAIN, TEST;

    public String label() { return this == TRAIN ? "train" : "test"; }
}
