package io.classwise.data;

import io.classwise.data.formats.MatV5;
import io.classwise.data.formats.Svhn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static io.classwise.data.FormatFixtures.pixel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SVHN's MAT v5 files, as written by SciPy (tests/fixtures/generate_svhn_fixtures.py): uncompressed
 * with uint8 labels and zlib-compressed with double labels.
 */
class SvhnMatTest {
    @TempDir Path dir;

    static Path fixture(String name) throws URISyntaxException {
        return Path.of(SvhnMatTest.class.getResource("/svhn/" + name).toURI());
    }

    @Test
    void readsBothScipyLayoutsPixelForPixel() throws Exception {
        for (String name : new String[] {"tiny_32x32.mat", "tiny_compressed_32x32.mat"}) {
            InMemoryDataset d = Svhn.read(fixture(name), DatasetId.SVHN.classNames());
            assertEquals(4, d.size(), name);
            // Labels 10, 1, 5, 9 → digits 0, 1, 5, 9.
            assertEquals(0, d.label(0));
            assertEquals(1, d.label(1));
            assertEquals(5, d.label(2));
            assertEquals(9, d.label(3));
            for (int i = 0; i < 4; i++) for (int c = 0; c < 3; c++) for (int y = 0; y < 32; y += 3) for (int x = 0; x < 32; x += 5) {
                assertEquals(pixel(i, c, y, x), d.pixel(i, c, y, x), name + " pixel " + i + "," + c + "," + y + "," + x);
            }
        }
    }

    @Test
    void variablesAndDimensionsInMatlabOrder() throws Exception {
        var vars = MatV5.read(fixture("tiny_32x32.mat"));
        assertEquals(4, vars.get("X").dims().length);
        assertEquals("[32, 32, 3, 4]", Arrays.toString(vars.get("X").dims()));
        assertEquals("[4, 1]", Arrays.toString(vars.get("y").dims()));
    }

    @Test
    void corruptMatFilesAreNamed() throws Exception {
        byte[] good = Files.readAllBytes(fixture("tiny_32x32.mat"));
        Path trunc = Files.write(dir.resolve("trunc.mat"), Arrays.copyOf(good, good.length - 500));
        DataFormatException e = assertThrows(DataFormatException.class, () -> Svhn.read(trunc, DatasetId.SVHN.classNames()));
        assertTrue(e.getMessage().contains(trunc.toString()) && e.getMessage().contains("truncated"), e.getMessage());

        byte[] comp = Files.readAllBytes(fixture("tiny_compressed_32x32.mat"));
        Path ctrunc = Files.write(dir.resolve("ctrunc.mat"), Arrays.copyOf(comp, comp.length - 40));
        assertThrows(DataFormatException.class, () -> Svhn.read(ctrunc, DatasetId.SVHN.classNames()));

        Path hdf5 = Files.write(dir.resolve("v73.mat"), Arrays.copyOf("MATLAB 7.3 MAT-file, Platform: GLNXA64".getBytes(), 200));
        e = assertThrows(DataFormatException.class, () -> Svhn.read(hdf5, DatasetId.SVHN.classNames()));
        assertTrue(e.getMessage().contains("7.3"), e.getMessage());

        byte[] endian = good.clone();
        endian[126] = 'X';
        Path badEndian = Files.write(dir.resolve("endian.mat"), endian);
        e = assertThrows(DataFormatException.class, () -> Svhn.read(badEndian, DatasetId.SVHN.classNames()));
        assertTrue(e.getMessage().contains("endian"), e.getMessage());

        Path notMat = Files.write(dir.resolve("text.mat"), new byte[200]);
        assertThrows(DataFormatException.class, () -> Svhn.read(notMat, DatasetId.SVHN.classNames()));
    }

    @Test
    void labelOutOfRangeIsNamed() throws Exception {
        byte[] b = Files.readAllBytes(fixture("tiny_32x32.mat"));
        // The y variable is last; its 4 uint8 labels (10, 1, 5, 9) sit in a small data element at the end.
        int at = -1;
        for (int i = b.length - 4; i > 0; i--) if (b[i] == 10 && b[i + 1] == 1 && b[i + 2] == 5 && b[i + 3] == 9) { at = i; break; }
        assertTrue(at > 0);
        b[at + 2] = 11;
        Path f = Files.write(dir.resolve("label.mat"), b);
        DataFormatException e = assertThrows(DataFormatException.class, () -> Svhn.read(f, DatasetId.SVHN.classNames()));
        assertTrue(e.getMessage().contains("label 11.0 at index 2"), e.getMessage());
    }
}
