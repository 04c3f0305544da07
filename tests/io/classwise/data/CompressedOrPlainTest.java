package io.classwise.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A data directory with both the .gz files and uncompressed copies: one rule, the same for images and labels (#24). */
class CompressedOrPlainTest {
    @Test
    void imagesAndLabelsComeFromTheSameForm(@TempDir Path dir) throws Exception {
        int[] gzLabels = {0, 1, 2, 3}, rawLabels = {9, 9, 9, 9};
        Path d = dir.resolve("fashion-mnist");
        FormatFixtures.write(d.resolve("t10k-images-idx3-ubyte.gz"), FormatFixtures.gzip(FormatFixtures.idxImages(4, 28, 28)));
        FormatFixtures.write(d.resolve("t10k-labels-idx1-ubyte.gz"), FormatFixtures.gzip(FormatFixtures.idxLabels(gzLabels)));
        // An uncompressed labels file that is not the same data (an older download, an edit): never mixed in.
        FormatFixtures.write(d.resolve("t10k-labels-idx1-ubyte"), FormatFixtures.idxLabels(rawLabels));
        ImageDataset t = Datasets.loadFrom(DatasetId.FASHION_MNIST, Split.TEST, d, false);
        for (int i = 0; i < 4; i++) assertEquals(gzLabels[i], t.label(i));
        // Only the uncompressed pair complete: it is used whole.
        Path e = dir.resolve("plain");
        FormatFixtures.write(e.resolve("t10k-images-idx3-ubyte"), FormatFixtures.idxImages(4, 28, 28));
        FormatFixtures.write(e.resolve("t10k-labels-idx1-ubyte"), FormatFixtures.idxLabels(rawLabels));
        FormatFixtures.write(e.resolve("t10k-labels-idx1-ubyte.gz"), FormatFixtures.gzip(FormatFixtures.idxLabels(gzLabels)));
        ImageDataset u = Datasets.loadFrom(DatasetId.FASHION_MNIST, Split.TEST, e, false);
        for (int i = 0; i < 4; i++) assertEquals(9, u.label(i));
    }
}
