package io.classwise.data;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import java.util.Arrays;

class DemoDataTest {

    @Test
    void embeddedSubsetIsBalancedRealFashionMnist() throws Exception {
        InMemoryDataset train = DemoData.fashionMnist(Split.TRAIN), test = DemoData.fashionMnist(Split.TEST);
        assertEquals(10_000, train.size());
        assertEquals(2_000, test.size());
        int[] thousand = new int[10], twoHundred = new int[10];
        Arrays.fill(thousand, 1000);
        Arrays.fill(twoHundred, 200);
        assertArrayEquals(thousand, train.classCounts());
        assertArrayEquals(twoHundred, test.classCounts());
    }

    /** The subset is exactly the first examples of each class of the official files (when installed). */
    @Test
    void subsetMatchesTheOfficialFiles() throws Exception {
        assumeTrue(Files.exists(Datasets.DEBIAN_FASHION_MNIST.resolve("t10k-images-idx3-ubyte.gz")) || System.getenv("CI") != null,
                "dataset-fashion-mnist is not installed");
        InMemoryDataset full = (InMemoryDataset) Datasets.load(DatasetId.FASHION_MNIST, Split.TEST, Files.createTempDirectory("none"));
        InMemoryDataset demo = DemoData.fashionMnist(Split.TEST);
        int[] taken = new int[10];
        int j = 0;
        for (int i = 0; i < full.size() && j < demo.size(); i++) {
            if (taken[full.label(i)]++ >= 200) continue;
            assertEquals(full.label(i), demo.label(j));
            assertArrayEquals(full.image(i).pixels(), demo.image(j).pixels(), "example " + i);
            j++;
        }
        assertEquals(2000, j);
    }
}
