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

/**
 * Loads a dataset split from its official distribution files under a data directory, looking in
 * {@code <dataDir>/<name>/} (and, for Fashion-MNIST, Debian's /usr/share/datasets/fashion-mnist).
 */
public final class Datasets {
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
                return List.of(gzOrPlain(dir, p + "-images-idx3-ubyte"), gzOrPlain(dir, p + "-labels-idx1-ubyte"));
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

    private static Path gzOrPlain(Path dir, String base) {
        Path gz = dir.resolve(base + ".gz");
        return Files.exists(gz) ? gz : Files.exists(dir.resolve(base)) ? dir.resolve(base) : gz;
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
            throw new DataFormatException(id.cliName, "no " + split.label() + " files in " + where + " (need "
                    + requiredFiles(id, split, searchDirs(id, dataDir).get(0)).stream().map(p -> searchDirs(id, dataDir).get(0).relativize(p).toString()).toList() + ")" + how);
        }
        return loadFrom(id, split, dir);
    }

    /**
     * A split from the embedded Fashion-MNIST subset (embedded = true; fashion-mnist only) or from the
     * files under dataDir.
     */
    public static ImageDataset load(DatasetId id, Split split, boolean embedded, Path dataDir) throws IOException {
        if (!embedded) return load(id, split, dataDir);
        if (id != DatasetId.FASHION_MNIST) throw new IllegalArgumentException("the embedded subset is Fashion-MNIST; " + id.cliName + " needs its files");
        return DemoData.fashionMnist(split);
    }

    /** Loads a split from a directory laid out as the official archive unpacks. */
    public static ImageDataset loadFrom(DatasetId id, Split split, Path dir) throws IOException {
        List<Path> files = requiredFiles(id, split, dir);
        switch (id) {
            case MNIST:
            case FASHION_MNIST:
                return Idx.read(files.get(0), files.get(1), id.classNames());
            case CIFAR10:
                return CifarBinary.read(files, 1, 0, namesFile(dir.resolve("cifar-10-batches-bin/batches.meta.txt"), id.classNames()));
            case CIFAR100:
                return CifarBinary.read(files, 2, 1, namesFile(dir.resolve("cifar-100-binary/fine_label_names.txt"), id.classNames()));
            case SVHN:
                return Svhn.read(files.get(0), id.classNames());
            case STL10:
                return Stl10Binary.read(files.get(0), files.get(1), namesFile(dir.resolve("stl10_binary/class_names.txt"), id.classNames()));
            case IMAGENET: {
                Path mapping = Files.exists(dir.resolve("LOC_synset_mapping.txt")) ? dir.resolve("LOC_synset_mapping.txt") : dir.resolve("synset_words.txt");
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
