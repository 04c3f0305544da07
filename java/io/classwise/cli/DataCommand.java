package io.classwise.cli;

import io.classwise.data.DataDirs;
import io.classwise.data.DatasetId;
import io.classwise.data.Datasets;
import io.classwise.data.ImageDataset;
import io.classwise.data.Image;
import io.classwise.data.Split;
import io.classwise.data.download.DatasetDownloads;
import io.classwise.data.download.Downloader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.Arrays;

/** {@code data info <dataset>} and {@code data fetch <dataset>}. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Inspect or download datasets.",
        subcommands = {DataCommand.Info.class, DataCommand.Fetch.class})
final class DataCommand implements Runnable {
    @Override
    public void run() { new picocli.CommandLine(this).usage(System.out); }

    static final String DATASETS = "mnist, fashion-mnist, cifar10, cifar100, svhn, stl10, imagenet";

    /** The arguments every data subcommand takes. */
    static final class DatasetArgs {
        @Parameters(index = "0", description = "One of: " + DATASETS + ".")
        String dataset;

        @Option(names = {"--data-dir", "--dir"}, description = "Data directory (default: $CLASSWISE_DATA, else ~/.cache/classwise/datasets).")
        String dataDir;

        DatasetId id() { return DatasetId.parse(dataset); }

        Path root() { return DataDirs.resolve(dataDir); }
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Print where a dataset's files were found, image shape and counts per class.")
    static final class Info implements Callable<Integer> {
        @Mixin DatasetArgs args;

        @Override
        public Integer call() throws Exception {
            DatasetId id = args.id();
            Path root = args.root();
            for (Split split : Split.values()) {
                ImageDataset d = Datasets.load(id, split, root);
                Image first = d.image(0);
                System.out.printf(Locale.ROOT, "%s %s: %d images, %d classes, image %dx%dx%d (C x H x W), from %s%n",
                        id.cliName, split.label(), d.size(), d.numClasses(), first.channels(), first.height(), first.width(), d.source());
                int[] counts = d.classCounts();
                List<String> names = d.classNames();
                for (int c = 0; c < counts.length; c++) System.out.printf(Locale.ROOT, "  %3d %-24s %7d%n", c, names.get(c), counts[c]);
            }
            System.out.println("normalisation: mean " + Arrays.toString(id.mean()) + ", std " + Arrays.toString(id.std()));
            return 0;
        }
    }

    @Command(name = "fetch", mixinStandardHelpOptions = true,
            description = "Download a dataset from its official URLs, verify checksums, resume partial downloads, unpack archives.")
    static final class Fetch implements Callable<Integer> {
        @Mixin DatasetArgs args;

        @Override
        public Integer call() throws Exception {
            DatasetId id = args.id();
            if (id == DatasetId.IMAGENET) {
                System.out.println(DatasetDownloads.IMAGENET_HOWTO);
                return 0;
            }
            Path dir = DatasetDownloads.fetch(id, args.root(), new Downloader(System.out), System.out);
            System.out.println(id.cliName + " is ready in " + dir);
            return 0;
        }
    }
}
