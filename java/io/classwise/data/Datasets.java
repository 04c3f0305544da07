package io.classwise.data;

import io.classwise.data.formats.CifarBinary;
import io.classwise.data.formats.Idx;
import io.classwise.data.formats.ImageFolder;
import io.classwise.data.formats.Stl10Binary;
import io.classwise.data.formats.Svhn;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Loads a dataset split from its official distribution files under a data directory, looking in
 * {@code <dataDir>/<name>/} (and, for Fashion-MNIST, Debian's /usr/share/datasets/fashion-mnist).
 */
public final class Datasets {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Datasets.class);

    private Datasets() {}

    /** Debian package dataset-fashion-mnist. */
    public static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    /** The directories searched for a dataset, in order. */
    public static List<Path> searchDirs(DatasetId id, Path dataDir) {
        List<Path> dirs = new ArrayList<>();
        dirs.add(dataDir.resolve(id.cliName));
        if (id == DatasetId.FASHION_MNIST) dirs.add(DEBIAN_FASHION_MNIST);
        return dirs;
    }

    /** The first search directory that holds the split's files, or null. */
    public static Path locate(DatasetId id, Split split, Path dataDir) {
        for (Path d : searchDirs(id, dataDir)) if (requiredFiles(id, split, d).stream().allMatch(Files::exists)) return d;
        return null;
    }

    /** The files a split needs inside its dataset directory (ImageNet: the split's folder). */
    public static List<Path> requiredFiles(DatasetId id, Split split, Path dir) {
        boolean train = split == Split.TRAIN;
        switch (id) {
            case MNIST:
            case FASHION_MNIST: {
                String p = train ? "train" : "t10k";
                return gzOrPlain(dir, p + "-images-idx3-ubyte", p + "-labels-idx1-ubyte");
            }
            case CIFAR10: {
                Path b = dir.resolve("cifar-10-batches-bin");
                if (!train) return List.of(b.resolve("test_batch.bin"));
                List<Path> l = new ArrayList<>();
                for (int i = 1; i <= 5; i++) l.add(b.resolve("data_batch_" + i + ".bin"));
                return l;
            }
            case CIFAR100:
                return List.of(dir.resolve("cifar-100-binary").resolve(train ? "train.bin" : "test.bin"));
            case SVHN:
                return List.of(dir.resolve(train ? "train_32x32.mat" : "test_32x32.mat"));
            case STL10: {
                Path b = dir.resolve("stl10_binary");
                String p = train ? "train" : "test";
                return List.of(b.resolve(p + "_X.bin"), b.resolve(p + "_y.bin"));
            }
            case IMAGENET:
                return List.of(dir.resolve(train ? "train" : "val"));
            default:
                throw new AssertionError(id);
        }
    }

    /**
     * The images and labels of a split, both compressed or both not: the .gz pair when both .gz files are there
     * (the official download; uncompressed copies beside them are ignored, and the log says so), else the
     * uncompressed pair. Never images from one form and labels from the other, which may be different files.
     */
    private static List<Path> gzOrPlain(Path dir, String images, String labels) {
        List<Path> gz = List.of(dir.resolve(images + ".gz"), dir.resolve(labels + ".gz")), raw = List.of(dir.resolve(images), dir.resolve(labels));
        boolean gzPair = gz.stream().allMatch(Files::exists), rawPair = raw.stream().allMatch(Files::exists);
        if (gzPair && raw.stream().anyMatch(Files::exists)) {
            LOG.info("{}: reading the compressed pair {}.gz and {}.gz; the uncompressed files beside them are ignored", dir, images, labels);
        }
        return gzPair || !rawPair ? gz : raw;
    }

    /** Loads a split, or explains where the files were looked for and how to get them. */
    public static ImageDataset load(DatasetId id, Split split, Path dataDir) throws IOException {
        Path dir = locate(id, split, dataDir);
        if (dir == null) {
            StringBuilder where = new StringBuilder();
            for (Path d : searchDirs(id, dataDir)) where.append(where.length() == 0 ? "" : " or ").append(d);
            String how = id == DatasetId.IMAGENET
                    ? "; ImageNet needs an account: put train/ and val/ class folders (n01440764/...) under " + dataDir.resolve(id.cliName)
                    : "; run: java -jar engine.jar data fetch " + id.cliName + (dataDir == null ? "" : " --data-dir " + dataDir);
            Path first = searchDirs(id, dataDir).get(0);
            String hint = layoutHint(id, split, first);
            throw new DataFormatException(id.cliName, "no " + split.label() + " files in " + where + " (need "
                    + requiredFiles(id, split, first).stream().map(p -> first.relativize(p).toString()).toList() + ")"
                    + (hint == null ? "" : "; " + hint) + how);
        }
        return loadFrom(id, split, dir);
    }

    /**
     * What is in a dataset folder instead of the expected layout, said as the fix: the python version of
     * CIFAR, an archive not yet unpacked, the files lying flat instead of in their subfolder, an ImageNet
     * val/ folder with the images not sorted into class folders. Null when nothing recognisable is there.
     */
    static String layoutHint(DatasetId id, Split split, Path dir) {
        if (!Files.isDirectory(dir)) return null;
        switch (id) {
            case CIFAR10, CIFAR100 -> {
                String v = id == DatasetId.CIFAR10 ? "cifar-10" : "cifar-100";
                String binDir = id == DatasetId.CIFAR10 ? "cifar-10-batches-bin" : "cifar-100-binary";
                if (Files.isDirectory(dir.resolve(id == DatasetId.CIFAR10 ? "cifar-10-batches-py" : "cifar-100-python"))) {
                    return dir + " holds the python (pickled) version of " + id.cliName + "; Classwise reads the binary version, "
                            + v + "-binary.tar.gz unpacked to " + binDir + "/";
                }
                if (Files.exists(dir.resolve(v + "-binary.tar.gz"))) return v
                        + "-binary.tar.gz is there but not unpacked: tar xzf it in " + dir;
                if (Files.exists(dir.resolve(v + "-python.tar.gz"))) return v
                        + "-python.tar.gz is the python version; Classwise reads " + v + "-binary.tar.gz";
                String flat = id == DatasetId.CIFAR10 ? (split == Split.TRAIN ? "data_batch_1.bin" : "test_batch.bin")
                        : (split == Split.TRAIN ? "train.bin" : "test.bin");
                if (Files.exists(dir.resolve(flat))) return "the .bin files lie directly in " + dir + "; move them into "
                        + dir.resolve(binDir) + "/";
            }
            case STL10 -> {
                if (Files.exists(dir.resolve("stl10_binary.tar.gz"))) return "stl10_binary.tar.gz is there but not unpacked: tar xzf it in " + dir;
                if (Files.exists(dir.resolve(split == Split.TRAIN ? "train_X.bin" : "test_X.bin"))) {
                    return "the .bin files lie directly in " + dir + "; move them into " + dir.resolve("stl10_binary") + "/";
                }
            }
            case IMAGENET -> {
                Path folder = dir.resolve(split == Split.TRAIN ? "train" : "val");
                if (Files.isDirectory(folder)) {
                    try (var files = Files.list(folder)) {
                        if (files.anyMatch(f -> Files.isRegularFile(f) && f.getFileName().toString().matches("(?i).*\\.(jpe?g|png)"))) {
                            return folder + " holds the images directly; they must be sorted into one folder per class (n01440764/...): "
                                    + "use the class of each image from LOC_val_solution.csv (Kaggle) or the devkit's ground truth, e.g. with the "
                                    + "widely used valprep.sh";
                        }
                    } catch (IOException e) {
                        return null;
                    }
                }
            }
            default -> { }
        }
        return null;
    }

    /**
     * A split from the embedded Fashion-MNIST subset (embedded = true; fashion-mnist only) or from the
     * files under dataDir.
     */
    public static ImageDataset load(DatasetId id, Split split, boolean embedded, Path dataDir) throws IOException {
        if (!embedded) return load(id, split, dataDir);
        if (id != DatasetId.FASHION_MNIST) throw new IllegalArgumentException("the embedded subset is Fashion-MNIST; " + id.cliName
                + " needs its files");
        return DemoData.fashionMnist(split);
    }

    /**
     * Random images in the dataset's shape with balanced labels (example i has class i mod k): no
     * files needed, nothing to learn. For smoke tests and timing a training epoch on a new machine
     * ({@code train --synthetic N}); the test split holds a fifth as many images, at least one per class.
     */
    public static ImageDataset synthetic(DatasetId id, Split split, int trainExamples, long seed) {
        if (id == DatasetId.IMAGENET) throw new IllegalArgumentException("--synthetic: ImageNet images have no fixed size; use cifar10 or another dataset");
        if (trainExamples < 1) throw new IllegalArgumentException("--synthetic must be >= 1, got " + trainExamples);
        int k = id.classNames().size();
        int n = split == Split.TRAIN ? trainExamples : Math.max(k, trainExamples / 5);
        int per = id.channels * id.side * id.side;
        if ((long) n * per > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("--synthetic " + trainExamples
                + ": too many images to hold in memory");
        byte[] pixels = new byte[n * per];
        new SplittableRandom(seed * 31 + split.ordinal()).nextBytes(pixels);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = i % k;
        return new InMemoryDataset("synthetic " + id.cliName + " " + split.label(), pixels, labels, id.channels, id.side, id.side,
                id.classNames());
    }

    /**
     * A split from where a run's data came from ({@code TrainConfig.source}): "files" (the official files
     * under dataDir), "embedded" (the Fashion-MNIST subset in the jar) or "synthetic:N" (random images).
     */
    public static ImageDataset load(DatasetId id, Split split, String source, long seed, Path dataDir) throws IOException {
        if (source.startsWith("synthetic:")) {
            int n;
            try {
                n = Integer.parseInt(source.substring("synthetic:".length()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("data source '" + source + "' is not synthetic:N");
            }
            return synthetic(id, split, n, seed);
        }
        return load(id, split, source.equals("embedded"), dataDir);
    }

    /** Records per official CIFAR file: a shorter copy is refused, not trained on. */
    static final Map<String, Integer> CIFAR10_RECORDS = Map.of("data_batch_1.bin", 10_000, "data_batch_2.bin", 10_000,
            "data_batch_3.bin", 10_000,
            "data_batch_4.bin", 10_000, "data_batch_5.bin", 10_000, "test_batch.bin", 10_000);
    static final Map<String, Integer> CIFAR100_RECORDS = Map.of("train.bin", 50_000, "test.bin", 10_000);

    /** Loads a split from a directory laid out as the official archive unpacks, checking the official file sizes. */
    public static ImageDataset loadFrom(DatasetId id, Split split, Path dir) throws IOException { return loadFrom(id, split, dir, true); }

    /** As above; officialSizes = false reads smaller files in the official format (subsets, test fixtures). */
    public static ImageDataset loadFrom(DatasetId id, Split split, Path dir, boolean officialSizes) throws IOException {
        List<Path> files = requiredFiles(id, split, dir);
        switch (id) {
            case MNIST:
            case FASHION_MNIST:
                return Idx.read(files.get(0), files.get(1), id.classNames());
            case CIFAR10:
                return CifarBinary.read(files, 1, 0, namesFile(dir.resolve("cifar-10-batches-bin/batches.meta.txt"), id.classNames()),
                        officialSizes ? CIFAR10_RECORDS : Map.of());
            case CIFAR100:
                return CifarBinary.read(files, 2, 1, namesFile(dir.resolve("cifar-100-binary/fine_label_names.txt"), id.classNames()),
                        officialSizes ? CIFAR100_RECORDS : Map.of());
            case SVHN:
                return Svhn.read(files.get(0), id.classNames());
            case STL10:
                return Stl10Binary.read(files.get(0), files.get(1), namesFile(dir.resolve("stl10_binary/class_names.txt"),
                        id.classNames()));
            case IMAGENET: {
                Path mapping = Files.exists(dir.resolve("LOC_synset_mapping.txt")) ? dir.resolve("LOC_synset_mapping.txt")
                        : dir.resolve("synset_words.txt");
                return new ImageFolder(files.get(0), mapping);
            }
            default:
                throw new AssertionError(id);
        }
    }

    /** Class names from the archive's names file when present and of the right length. */
    private static List<String> namesFile(Path file, List<String> builtIn) throws IOException {
        if (!Files.exists(file)) return builtIn;
        List<String> names = Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (names.size() != builtIn.size()) throw new DataFormatException(file, names.size() + " class names, expected " + builtIn.size());
        return names;
    }
}
