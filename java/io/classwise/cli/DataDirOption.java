package io.classwise.cli;

import picocli.CommandLine.Option;

/** Where datasets live, for every command that reads one. */
final class DataDirOption {
    @Option(names = "--data-dir", description = "Data directory (default: $CLASSWISE_DATA, else ~/.cache/classwise/datasets).")
    String dataDir;
}
