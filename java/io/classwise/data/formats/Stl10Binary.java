package io.classwise.data.formats;

import io.classwise.data.DataFormatException;
import io.classwise.data.InMemoryDataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * STL-10 binary files: X holds uint8 images of 3×96×96, each channel stored column-major
 * (byte (c, row, col) at c·9216 + col·96 + row); y holds one uint8 label 1..10 per image.
 */
public final class Stl10Binary {
    private Stl10Binary() {}

    public static final int SIDE = 96, PIXELS = 3 * SIDE * SIDE;

    public static InMemoryDataset read(Path xFile, Path yFile, List<String> classNames) throws IOException {
        byte[] x = readAll(xFile), y = readAll(yFile);
        if (x.length % PIXELS != 0) throw new DataFormatException(xFile, x.length
                + " bytes is not a whole number of 3x96x96 images (" + PIXELS + " bytes each): truncated?");
        int n = x.length / PIXELS;
        if (y.length != n) throw new DataFormatException(yFile, y.length + " labels, but " + xFile.getFileName() + " has " + n + " images");
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int v = y[i] & 0xFF;
            if (v < 1 || v > classNames.size()) throw new DataFormatException(yFile, "label " + v + " at index " + i
                    + " is not in 1.." + classNames.size());
            labels[i] = v - 1;
        }
        byte[] pixels = new byte[x.length];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++) {
                int base = i * PIXELS + c * SIDE * SIDE;
                for (int col = 0; col < SIDE; col++)
                    for (int row = 0; row < SIDE; row++) pixels[base + row * SIDE + col] = x[base + col * SIDE + row];
            }
        return new InMemoryDataset(xFile + " + " + yFile.getFileName(), pixels, labels, 3, SIDE, SIDE, classNames);
    }

    private static byte[] readAll(Path f) throws IOException {
        try {
            return Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            throw new DataFormatException(f, "file not found");
        }
    }
}
