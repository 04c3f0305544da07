package io.classwise.data;

import io.classwise.data.formats.Idx;

import java.io.IOException;
import java.io.InputStream;

/**
 * The balanced Fashion-MNIST subset inside engine.jar (10,000 train + 2,000 test images; see the
 * README beside the files in java-resources/io/classwise/data/demo/fashion-mnist/), so the demo
 * runs offline on a fresh machine.
 */
public final class DemoData {
    private DemoData() {}

    private static final String DIR = "/io/classwise/data/demo/fashion-mnist/";

    public static InMemoryDataset fashionMnist(Split split) throws IOException {
        String p = split == Split.TRAIN ? "train" : "t10k";
        String images = DIR + p + "-images-idx3-ubyte.gz", labels = DIR + p + "-labels-idx1-ubyte.gz";
        int[] dims = new int[3];
        byte[] px;
        int[] y;
        try (InputStream in = resource(images)) { px = Idx.readImages(in, "classpath:" + images, dims); }
        try (InputStream in = resource(labels)) { y = Idx.readLabels(in, "classpath:" + labels,
                DatasetId.FASHION_MNIST.classNames().size()); }
        if (y.length != dims[0]) throw new DataFormatException("classpath:" + labels, y.length + " labels for " + dims[0] + " images");
        return new InMemoryDataset("embedded Fashion-MNIST subset (" + split.label() + ")", px, y, 1, dims[1], dims[2],
                DatasetId.FASHION_MNIST.classNames());
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = DemoData.class.getResourceAsStream(name);
        if (in == null) throw new DataFormatException("classpath:" + name,
                "missing from this build (the jar should contain the demo data)");
        return in;
    }
}
