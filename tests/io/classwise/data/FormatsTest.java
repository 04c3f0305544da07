package io.classwise.data;

import io.classwise.data.formats.CifarBinary;
import io.classwise.data.formats.Idx;
import io.classwise.data.formats.ImageFolder;
import io.classwise.data.formats.Stl10Binary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static io.classwise.data.FormatFixtures.pixel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each loader on files written in the official layout: same pixels, same labels; and each corruption named. */
class FormatsTest {
    @TempDir Path dir;
    static final List<String> TEN = DatasetId.CIFAR10.classNames();

    private static void assertPixels(InMemoryDataset d, int channels, int side) {
        assertEquals(channels, d.channels());
        assertEquals(side, d.height());
        for (int i = 0; i < d.size(); i++)
            for (int c = 0; c < channels; c++)
                for (int y = 0; y < side; y += 5)
                    for (int x = 0; x < side; x += 3) assertEquals(pixel(i, c, y, x), d.pixel(i, c, y, x), "pixel " + i + "," + c
                            + "," + y + "," + x);
        assertEquals(pixel(0, 0, 1, 2) / 255f, d.image(0).at(0, 1, 2), 1e-7);
    }

    private static void assertRejected(ThrowingLoad load, Path file, String... mention) {
        DataFormatException e = assertThrows(DataFormatException.class, load::run);
        assertTrue(e.getMessage().contains(file.toString()), "names the file: " + e.getMessage());
        for (String m : mention) assertTrue(e.getMessage().contains(m), "mentions '" + m + "': " + e.getMessage());
    }

    interface ThrowingLoad { void run() throws IOException; }

    // ---------------------------------------------------------------- IDX (MNIST, Fashion-MNIST)

    @Test
    void idxPlainAndGzipped() throws IOException {
        int[] labels = {3, 0, 9, 5};
        for (boolean gz : new boolean[] {false, true}) {
            byte[] img = FormatFixtures.idxImages(4, 28, 28), lab = FormatFixtures.idxLabels(labels);
            Path pi = FormatFixtures.write(dir.resolve("g" + gz + "/train-images-idx3-ubyte" + (gz ? ".gz" : "")), gz
                    ? FormatFixtures.gzip(img) : img);
            Path pl = FormatFixtures.write(dir.resolve("g" + gz + "/train-labels-idx1-ubyte" + (gz ? ".gz" : "")), gz
                    ? FormatFixtures.gzip(lab) : lab);
            InMemoryDataset d = Idx.read(pi, pl, TEN);
            assertEquals(4, d.size());
            assertArrayEquals(labels, new int[] {d.label(0), d.label(1), d.label(2), d.label(3)});
            assertPixels(d, 1, 28);
        }
    }

    @Test
    void idxCorruptions() throws IOException {
        byte[] img = FormatFixtures.idxImages(3, 28, 28);
        Path pl = FormatFixtures.write(dir.resolve("l"), FormatFixtures.idxLabels(new int[] {1, 2, 3}));
        Path truncated = FormatFixtures.write(dir.resolve("trunc"), Arrays.copyOf(img, img.length - 100));
        assertRejected(() -> Idx.read(truncated, pl, TEN), truncated, "truncated", "3 images of 28x28");
        byte[] badMagic = img.clone();
        badMagic[3] = 0x01;
        Path magic = FormatFixtures.write(dir.resolve("magic"), badMagic);
        assertRejected(() -> Idx.read(magic, pl, TEN), magic, "0x00000801", "expected 0x00000803");
        Path good = FormatFixtures.write(dir.resolve("good"), img);
        Path twoLabels = FormatFixtures.write(dir.resolve("two"), FormatFixtures.idxLabels(new int[] {1, 2}));
        assertRejected(() -> Idx.read(good, twoLabels, TEN), twoLabels, "2 labels", "3 images");
        Path badLabel = FormatFixtures.write(dir.resolve("bad"), FormatFixtures.idxLabels(new int[] {1, 12, 3}));
        assertRejected(() -> Idx.read(good, badLabel, TEN), badLabel, "label 12 at index 1");
        Path missing = dir.resolve("nope.gz");
        assertRejected(() -> Idx.read(missing, pl, TEN), missing, "not found");
        Path notGzip = FormatFixtures.write(dir.resolve("x.gz"), new byte[] {0x1f, (byte) 0x8b, 1, 2, 3});
        assertThrows(IOException.class, () -> Idx.read(notGzip, pl, TEN));
    }

    // ---------------------------------------------------------------- CIFAR

    @Test
    void cifar10AndCifar100Records() throws IOException {
        int[] l1 = {1, 7, 3}, l2 = {9, 0};
        Path b1 = FormatFixtures.write(dir.resolve("data_batch_1.bin"), FormatFixtures.cifarRecords(0, l1, null));
        Path b2 = FormatFixtures.write(dir.resolve("data_batch_2.bin"), FormatFixtures.cifarRecords(3, l2, null));
        InMemoryDataset d = CifarBinary.read(List.of(b1, b2), 1, 0, TEN);
        assertEquals(5, d.size());
        assertEquals(9, d.label(3));
        assertPixels(d, 3, 32);

        int[] fine = {42, 99, 0}, coarse = {8, 19, 4};
        Path c100 = FormatFixtures.write(dir.resolve("train.bin"), FormatFixtures.cifarRecords(0, fine, coarse));
        InMemoryDataset f = CifarBinary.read(List.of(c100), 2, 1, DatasetId.CIFAR100.classNames());
        assertEquals(99, f.label(1));
        assertEquals("leopard", f.classNames().get(f.label(0)));
        InMemoryDataset co = CifarBinary.read(List.of(c100), 2, 0, Cifar100Names.COARSE);
        assertEquals(19, co.label(1));
        assertPixels(f, 3, 32);
    }

    @Test
    void cifarCorruptions() throws IOException {
        byte[] rec = FormatFixtures.cifarRecords(0, new int[] {1, 2}, null);
        Path trunc = FormatFixtures.write(dir.resolve("t.bin"), Arrays.copyOf(rec, rec.length - 1));
        assertRejected(() -> CifarBinary.read(List.of(trunc), 1, 0, TEN), trunc, "3073-byte records");
        rec[3073] = 10;
        Path bad = FormatFixtures.write(dir.resolve("b.bin"), rec);
        assertRejected(() -> CifarBinary.read(List.of(bad), 1, 0, TEN), bad, "label 10 in record 1");
    }

    // ---------------------------------------------------------------- STL-10

    @Test
    void stl10ColumnMajorImagesAndOneBasedLabels() throws IOException {
        Path x = FormatFixtures.write(dir.resolve("train_X.bin"), FormatFixtures.stlImages(2));
        Path y = FormatFixtures.write(dir.resolve("train_y.bin"), new byte[] {1, 10});
        InMemoryDataset d = Stl10Binary.read(x, y, DatasetId.STL10.classNames());
        assertEquals(0, d.label(0));
        assertEquals(9, d.label(1));
        assertPixels(d, 3, 96);
        Path y3 = FormatFixtures.write(dir.resolve("y3.bin"), new byte[] {1, 2, 3});
        assertRejected(() -> Stl10Binary.read(x, y3, DatasetId.STL10.classNames()), y3, "3 labels", "2 images");
        Path y0 = FormatFixtures.write(dir.resolve("y0.bin"), new byte[] {1, 0});
        assertRejected(() -> Stl10Binary.read(x, y0, DatasetId.STL10.classNames()), y0, "label 0 at index 1");
        byte[] xs = FormatFixtures.stlImages(2);
        Path xt = FormatFixtures.write(dir.resolve("xt.bin"), Arrays.copyOf(xs, xs.length - 5));
        assertRejected(() -> Stl10Binary.read(xt, y, DatasetId.STL10.classNames()), xt, "3x96x96");
    }

    // ---------------------------------------------------------------- ImageNet folder

    private static void writeImage(Path f, int rgb, String format) throws IOException {
        BufferedImage img = new BufferedImage(5, 4, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 4; y++) for (int x = 0; x < 5; x++) img.setRGB(x, y, rgb);
        Files.createDirectories(f.getParent());
        assertTrue(ImageIO.write(img, format, f.toFile()));
    }

    @Test
    void imageFolderSortedWnidsMappingAndDecoding() throws IOException {
        Path root = dir.resolve("train");
        writeImage(root.resolve("n02/b.png"), 0x102030, "png");
        writeImage(root.resolve("n02/a.JPEG"), 0x808080, "jpeg");
        writeImage(root.resolve("n01/z.png"), 0xFF0000, "png");
        Files.writeString(dir.resolve("LOC_synset_mapping.txt"), "n01 tench, Tinca tinca\nn02 goldfish, Carassius auratus\n");
        ImageFolder f = new ImageFolder(root, dir.resolve("LOC_synset_mapping.txt"));
        assertEquals(List.of("tench", "goldfish"), f.classNames());
        assertEquals(3, f.size());
        assertEquals(0, f.label(0));
        assertEquals(1, f.label(1));
        assertEquals("a.JPEG", f.file(1).getFileName().toString());
        var red = f.image(0);
        assertEquals(4, red.height());
        assertEquals(5, red.width());
        assertEquals(1f, red.at(0, 2, 3), 1e-6);
        assertEquals(0f, red.at(1, 2, 3), 1e-6);
        var png = f.image(2);
        assertEquals(0x10 / 255f, png.at(0, 0, 0), 1e-6);
        assertEquals(0x30 / 255f, png.at(2, 3, 4), 1e-6);
    }

    @Test
    void unreadableJpegIsNamed() throws IOException {
        Path root = dir.resolve("val");
        Path bad = FormatFixtures.write(root.resolve("n01/broken.JPEG"), new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2, 3});
        ImageFolder f = new ImageFolder(root, null);
        Exception e = assertThrows(Exception.class, () -> f.image(0));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertRejected(() -> new ImageFolder(empty, null), empty, "no class folders");
    }
}
