package io.classwise.data.formats;

import io.classwise.data.DataFormatException;
import io.classwise.data.InMemoryDataset;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * SVHN cropped digits (train_32x32.mat, test_32x32.mat): X is uint8 (32, 32, 3, N) in MATLAB's
 * column-major order, i.e. X(row, col, channel, n); y is (N, 1) with labels 1..10 where 10 means
 * the digit 0.
 */
public final class Svhn {
    private Svhn() {}

    public static InMemoryDataset read(Path file, List<String> classNames) throws IOException {
        Map<String, MatV5.Array> vars = MatV5.read(file);
        MatV5.Array x = vars.get("X"), y = vars.get("y");
        if (x == null || y == null) throw new DataFormatException(file, "needs variables 'X' and 'y', found " + vars.keySet());
        int[] d = x.dims();
        if (d.length != 4 || d[0] != 32 || d[1] != 32 || d[2] != 3) {
            throw new DataFormatException(file, "'X' has dimensions " + Arrays.toString(d) + ", expected [32, 32, 3, N]");
        }
        int n = d[3];
        if (y.numel() != n) throw new DataFormatException(file, "'y' has " + y.numel() + " labels but 'X' has " + n + " images");
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            double v = y.at(i);
            if (v != Math.rint(v) || v < 1 || v > 10) throw new DataFormatException(file, "label " + v + " at index " + i
                    + " is not in 1..10");
            labels[i] = (int) v % 10;
        }
        byte[] pixels = new byte[n * 3 * 32 * 32];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                for (int h = 0; h < 32; h++)
                    for (int w = 0; w < 32; w++) {
                        long src = h + 32L * (w + 32L * (c + 3L * i));
                        pixels[((i * 3 + c) * 32 + h) * 32 + w] = (byte) (int) x.at(src);
                    }
        return new InMemoryDataset(file.toString(), pixels, labels, 3, 32, 32, classNames);
    }
}
