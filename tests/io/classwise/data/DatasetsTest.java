package io.classwise.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.classwise.data.formats.ImageFolder;

/** Locating and loading whole datasets laid out as their archives unpack. */
class DatasetsTest {
    @TempDir Path dir;

    @Test
    void cifar10LayoutWithNamesFile() throws Exception {
        Path b = dir.resolve("cifar10/cifar-10-batches-bin");
        for (int i = 1; i <= 5; i++) FormatFixtures.write(b.resolve("data_batch_" + i + ".bin"), FormatFixtures.cifarRecords(i,
                new int[] {i, 9 - i}, null));
        FormatFixtures.write(b.resolve("test_batch.bin"), FormatFixtures.cifarRecords(0, new int[] {3}, null));
        Files.writeString(b.resolve("batches.meta.txt"), String.join("\n", DatasetId.CIFAR10.classNames()) + "\n\n");
        // Files cut on a record boundary look valid; the official sizes say otherwise.
        DataFormatException e = assertThrows(DataFormatException.class, () -> Datasets.load(DatasetId.CIFAR10, Split.TRAIN, dir));
        assertTrue(e.getMessage().contains("data_batch_1.bin")
                && e.getMessage().contains("has 2 records but the official file has 10000"), e.getMessage());
        ImageDataset train = Datasets.loadFrom(DatasetId.CIFAR10, Split.TRAIN, dir.resolve("cifar10"), false);
        assertEquals(10, train.size());
        assertEquals("cat", train.classNames().get(3));
        assertEquals(1, Datasets.loadFrom(DatasetId.CIFAR10, Split.TEST, dir.resolve("cifar10"), false).size());
    }

    @Test
    void missingDatasetSaysWhereItLookedAndHowToFetch() {
        DataFormatException e = assertThrows(DataFormatException.class, () -> Datasets.load(DatasetId.SVHN, Split.TRAIN, dir));
        assertTrue(e.getMessage().contains(dir.resolve("svhn").toString()) && e.getMessage().contains("train_32x32.mat")
                && e.getMessage().contains("data fetch svhn"), e.getMessage());
        e = assertThrows(DataFormatException.class, () -> Datasets.load(DatasetId.IMAGENET, Split.TEST, dir));
        assertTrue(e.getMessage().contains("account"), e.getMessage());
    }

    /** The wrong layouts users actually have get the fix, not just "missing file". */
    @Test
    void wrongLayoutsAreExplained() throws Exception {
        Files.createDirectories(dir.resolve("cifar10/cifar-10-batches-py"));
        String m = assertThrows(DataFormatException.class, () -> Datasets.load(DatasetId.CIFAR10, Split.TRAIN, dir)).getMessage();
        assertTrue(m.contains("python (pickled) version") && m.contains("cifar-10-batches-bin") && m.contains("data fetch cifar10"), m);
        Files.createDirectories(dir.resolve("cifar100"));
        Files.write(dir.resolve("cifar100/cifar-100-binary.tar.gz"), new byte[0]);
        m = assertThrows(DataFormatException.class, () -> Datasets.load(DatasetId.CIFAR100, Split.TEST, dir)).getMessage();
        assertTrue(m.contains("not unpacked"), m);
        Files.createDirectories(dir.resolve("stl10"));
        Files.write(dir.resolve("stl10/train_X.bin"), new byte[0]);
        m = assertThrows(DataFormatException.class, () -> Datasets.load(DatasetId.STL10, Split.TRAIN, dir)).getMessage();
        assertTrue(m.contains("lie directly") && m.contains("stl10_binary"), m);
        Path val = Files.createDirectories(dir.resolve("imagenet/val"));
        Files.write(val.resolve("ILSVRC2012_val_00000001.JPEG"), new byte[] {1});
        m = assertThrows(DataFormatException.class, () -> Datasets.load(DatasetId.IMAGENET, Split.TEST, dir)).getMessage();
        assertTrue(m.contains("no class folders") && m.contains("one folder per class") && m.contains("LOC_val_solution.csv"), m);
    }

    @Test
    void aBadJpegNamesTheFileAndTheProblemNotAJavaClass() throws Exception {
        Path bad = dir.resolve("broken.JPEG");
        // A JPEG start-of-image marker and a frame header cut short.
        Files.write(bad, new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xC0, 0, 17, 8, 0, 32});
        String m = assertThrows(DataFormatException.class, () -> ImageFolder.decode(bad)).getMessage();
        assertTrue(m.contains(bad.toString()) && !m.matches(".*\\b(java|javax)\\.[a-z]+\\..*") && !m.contains("Exception"), m);
    }

    @Test
    void tooFewExamplesPerClassNamesTheFlag() throws Exception {
        ImageDataset test = DemoData.fashionMnist(Split.TEST); // 200 per class
        String m = assertThrows(IllegalArgumentException.class, () -> SubsetDataset.balanced(test, 500, 0, "--eval-examples")).getMessage();
        assertTrue(m.contains("--eval-examples asks for 5000") && m.contains("--eval-examples 2000 or less"), m);
    }

    @Test
    void namesParseAndDataDirConventions() {
        assertEquals(DatasetId.FASHION_MNIST, DatasetId.parse("fashion_mnist"));
        assertEquals(DatasetId.CIFAR10, DatasetId.parse("CIFAR-10"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DatasetId.parse("coco"));
        assertTrue(e.getMessage().contains("stl10"), e.getMessage());
        assertEquals(Path.of("/x"), DataDirs.resolve("/x", Map.of(DataDirs.ENV, "/y")));
        assertEquals(Path.of("/y"), DataDirs.resolve(null, Map.of(DataDirs.ENV, "/y")));
        assertEquals(Path.of("/c/classwise/datasets"), DataDirs.resolve(null, Map.of("XDG_CACHE_HOME", "/c")));
        assertEquals(100, DatasetId.CIFAR100.classNames().size());
        assertEquals(20, Cifar100Names.COARSE.size());
    }
}
