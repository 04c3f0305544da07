package io.classwise.data;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The full Fashion-MNIST from Debian's dataset-fashion-mnist package (.ci/run installs it; on a
 * machine without it the test is skipped, except under CI where it must be there).
 */
class RealFashionMnistTest {

    @Test
    void debianFilesLoadWithTheOfficialCountsAndBalance() throws Exception {
        boolean present = Files.exists(Datasets.DEBIAN_FASHION_MNIST.resolve("train-images-idx3-ubyte.gz"));
        assumeTrue(present || System.getenv("CI") != null, "dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)");
        Path nowhere = Files.createTempDirectory("empty-data-dir");
        ImageDataset train = Datasets.load(DatasetId.FASHION_MNIST, Split.TRAIN, nowhere);
        ImageDataset test = Datasets.load(DatasetId.FASHION_MNIST, Split.TEST, nowhere);
        assertEquals(60_000, train.size());
        assertEquals(10_000, test.size());
        for (int c = 0; c < 10; c++) {
            assertEquals(6_000, train.classCounts()[c], "train class " + c);
            assertEquals(1_000, test.classCounts()[c], "test class " + c);
        }
        // The official first training example is an ankle boot, the first test example too.
        assertEquals(9, train.label(0));
        assertEquals(9, test.label(0));
        Image img = train.image(0);
        assertEquals(28, img.height());
        float max = 0;
        for (float v : img.pixels()) max = Math.max(max, v);
        assertEquals(1f, max, 1e-6);
    }
}
