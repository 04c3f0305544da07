package io.classwise.data;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * Writes small files in the exact official layouts (byte order, record structure, column-major
 * STL-10) from a known image set, so loaders can be checked pixel for pixel.
 * Pixel value of example i, channel c, row y, column x: {@link #pixel}.
 */
final class FormatFixtures {
    private FormatFixtures() {}

    static int pixel(int i, int c, int y, int x) { return (i * 37 + c * 101 + y * 7 + x * 3) & 0xFF; }

    static byte[] idxImages(int n, int rows, int cols) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bo);
        out.writeInt(0x00000803);
        out.writeInt(n); out.writeInt(rows); out.writeInt(cols);
        for (int i = 0; i < n; i++) for (int y = 0; y < rows; y++) for (int x = 0; x < cols; x++) out.writeByte(pixel(i, 0, y, x));
        return bo.toByteArray();
    }

    static byte[] idxLabels(int[] labels) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bo);
        out.writeInt(0x00000801);
        out.writeInt(labels.length);
        for (int l : labels) out.writeByte(l);
        return bo.toByteArray();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(bo)) { gz.write(raw); }
        return bo.toByteArray();
    }

    /** CIFAR binary records: [coarse] label, then R, G, B planes of 32×32 row-major. */
    static byte[] cifarRecords(int first, int[] labels, int[] coarse) {
        int labelBytes = coarse == null ? 1 : 2, rec = labelBytes + 3072;
        byte[] b = new byte[labels.length * rec];
        for (int r = 0; r < labels.length; r++) {
            int i = first + r, o = r * rec;
            if (coarse != null) b[o++] = (byte) coarse[r];
            b[o++] = (byte) labels[r];
            for (int c = 0; c < 3; c++) for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) b[o++] = (byte) pixel(i, c, y, x);
        }
        return b;
    }

    /** STL-10: each image 3 channels of 96×96, each channel column-major. Labels 1-based. */
    static byte[] stlImages(int n) {
        byte[] b = new byte[n * 3 * 96 * 96];
        int o = 0;
        for (int i = 0; i < n; i++) for (int c = 0; c < 3; c++) for (int x = 0; x < 96; x++) for (int y = 0; y < 96; y++) b[o++] = (byte) pixel(i, c, y, x);
        return b;
    }

    static Path write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, bytes);
    }
}
