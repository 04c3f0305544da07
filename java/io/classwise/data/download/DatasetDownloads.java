package io.classwise.data.download;

import io.classwise.data.DatasetId;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import io.classwise.data.formats.Idx;
import io.classwise.data.formats.Svhn;

/** The official release files of each dataset, with the MD5s their authors (and torchvision) publish. */
public final class DatasetDownloads {
    private DatasetDownloads() {}

    private static final List<String> MNIST_MIRRORS = List.of("https://ossci-datasets.s3.amazonaws.com/mnist/",
            "http://yann.lecun.com/exdb/mnist/");
    private static final List<String> FASHION_MIRRORS = List.of("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/");

    private static RemoteFile mirrored(List<String> mirrors, String name, String md5) {
        return new RemoteFile(name, mirrors.stream().map(m -> m + name).toList(), md5);
    }

    /** The files to download for a dataset; empty for ImageNet (needs an account). */
    public static List<RemoteFile> files(DatasetId id) {
        switch (id) {
            case MNIST:
                return List.of(
                        mirrored(MNIST_MIRRORS, "train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                        mirrored(MNIST_MIRRORS, "train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                        mirrored(MNIST_MIRRORS, "t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                        mirrored(MNIST_MIRRORS, "t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"));
            case FASHION_MNIST:
                return List.of(
                        mirrored(FASHION_MIRRORS, "train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                        mirrored(FASHION_MIRRORS, "train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                        mirrored(FASHION_MIRRORS, "t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                        mirrored(FASHION_MIRRORS, "t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"));
            case CIFAR10:
                return List.of(new RemoteFile("cifar-10-binary.tar.gz",
                        List.of("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"), "c32a1d4ab5d03f1284b67883e8d87530"));
            case CIFAR100:
                return List.of(new RemoteFile("cifar-100-binary.tar.gz",
                        List.of("https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"), "03b5dce01913d631647c71ecec9e9cb8"));
            case SVHN:
                return List.of(
                        new RemoteFile("train_32x32.mat", List.of("http://ufldl.stanford.edu/housenumbers/train_32x32.mat"),
                                "e26dedcc434d2e4c54c9b2d4a06d8373"),
                        new RemoteFile("test_32x32.mat", List.of("http://ufldl.stanford.edu/housenumbers/test_32x32.mat"),
                                "eb5a983be6a315427106f1b164d9cef3"));
            case STL10:
                return List.of(new RemoteFile("stl10_binary.tar.gz",
                        List.of("http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz"), "91f7769df0f17e558f3565bffb0c7dfb"));
            case IMAGENET:
                return List.of();
            default:
                throw new AssertionError(id);
        }
    }

    public static final String IMAGENET_HOWTO = "ImageNet (ILSVRC-2012) cannot be downloaded without an account at image-net.org. "
            + "Download ILSVRC2012_img_train.tar and ILSVRC2012_img_val.tar yourself, unpack them so that "
            + "<data-dir>/imagenet/train/<wnid>/*.JPEG and <data-dir>/imagenet/val/<wnid>/*.JPEG exist (the validation images "
            + "sorted into class folders), optionally add LOC_synset_mapping.txt for class names, then run "
            + "'java -jar engine.jar data info imagenet --data-dir <data-dir>'.";

    /**
     * Reads a present file whose MD5 differs from the official one to see whether its content is still
     * the dataset (e.g. re-gzipped idx files, a MAT file saved again): null when it reads correctly.
     * Archives are not checked (their unpacked files are what is read).
     */
    static Downloader.ContentCheck contentCheck(DatasetId id, RemoteFile f) {
        String name = f.fileName();
        return file -> {
            try {
                if (name.contains("-images-idx3")) Idx.readImages(file, new int[3]);
                else if (name.contains("-labels-idx1")) Idx.readLabels(file, id.classNames().size());
                else if (name.endsWith(".mat")) Svhn.read(file, id.classNames());
                else return "not a file Classwise can check without its official checksum";
                return null;
            } catch (IOException | RuntimeException e) {
                return e.getMessage();
            }
        };
    }

    /** Downloads (and unpacks) a dataset into {@code <dataDir>/<name>/}. */
    public static Path fetch(DatasetId id, Path dataDir, Downloader downloader, PrintStream log) throws IOException {
        if (id == DatasetId.IMAGENET) throw new IOException(IMAGENET_HOWTO);
        Path dir = dataDir.resolve(id.cliName);
        for (RemoteFile f : files(id)) {
            Path got = downloader.fetch(f, dir, contentCheck(id, f));
            if (f.fileName().endsWith(".tar.gz")) {
                String stamp = f.fileName() + ".extracted";
                if (Files.exists(dir.resolve(stamp))) continue;
                log.println(f.fileName() + ": extracting");
                TarGz.extract(got, dir);
                Files.writeString(dir.resolve(stamp), f.md5() + "\n");
            }
        }
        return dir;
    }
}
