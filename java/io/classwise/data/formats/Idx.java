package io.classwise.data.formats;

import io.classwise.data.DataFormatException;
import io.classwise.data.InMemoryDataset;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * The IDX format of MNIST and Fashion-MNIST (big-endian): magic 0x00000803 + N, rows, cols, then
 * N·rows·cols uint8 pixels; labels: magic 0x00000801 + N, then N uint8 labels. Gzipped or plain,
 * recognised by content, not by name.
 */
public final class Idx {
    private Idx() {}

    static InputStream open(Path file) throws IOException {
        try {
            return maybeGunzip(Files.newInputStream(file));
        } catch (NoSuchFileException e) {
            throw new DataFormatException(file, "file not found");
        }
    }

    static InputStream maybeGunzip(InputStream in) throws IOException {
        InputStream raw = new BufferedInputStream(in, 1 << 16);
        raw.mark(2);
        int b0 = raw.read(), b1 = raw.read();
        raw.reset();
        return b0 == 0x1f && b1 == 0x8b ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
    }

    public static byte[] readImages(Path file, int[] dims) throws IOException {
        try {
            return readImages(open(file), file.toString(), dims);
        } catch (ZipException | EOFException e) {
            throw damaged(file, e);
        }
    }

    public static int[] readLabels(Path file, int numClasses) throws IOException {
        try {
            return readLabels(open(file), file.toString(), numClasses);
        } catch (ZipException | EOFException e) {
            throw damaged(file, e);
        }
    }

    /** gzip-level damage ("Corrupt GZIP trailer", "Unexpected end of ZLIB input stream") said with the file and the fix. */
    private static DataFormatException damaged(Path file, IOException e) {
        return new DataFormatException(file, "the gzip data is damaged or cut short (" + e.getMessage()
                + "); delete the file and run data fetch again");
    }

    /** Reads IDX images from a stream (gzipped or not); {@code file} names it in errors. */
    public static byte[] readImages(InputStream stream, String file, int[] dims) throws IOException {
        try (DataInputStream in = new DataInputStream(maybeGunzip(stream))) {
            int magic = readInt(in, file, "the magic number");
            if (magic != 0x00000803) {
                throw new DataFormatException(file, String.format("magic number 0x%08X, expected 0x00000803 (IDX uint8 images with 3 dimensions)", magic));
            }
            int n = readInt(in, file, "the image count"), rows = readInt(in, file, "the row count"), cols = readInt(in, file,
                    "the column count");
            // (long) n * rows * cols can itself overflow a long for three large ints: compare by division.
            long perImage = (long) rows * cols;
            if (n < 0 || rows <= 0 || cols <= 0 || perImage > Integer.MAX_VALUE - 8 || n > (Integer.MAX_VALUE - 8) / perImage) {
                throw new DataFormatException(file, "implausible header: " + n + " images of " + rows + "x" + cols);
            }
            if (n == 0) throw new DataFormatException(file, "holds no images (its header says 0)");
            // readNBytes grows its buffer as data arrives: a header that promises more than the file holds costs no memory.
            byte[] pixels = in.readNBytes(n * rows * cols);
            if (pixels.length < n * rows * cols) {
                throw new DataFormatException(file, "truncated: the header promises " + n + " images of " + rows + "x" + cols
                        + " (" + (long) n * rows * cols
                        + " bytes of pixels), the file holds " + pixels.length);
            }
            if (in.read() != -1) throw new DataFormatException(file, "has bytes after the " + n + " images its header announces");
            dims[0] = n; dims[1] = rows; dims[2] = cols;
            return pixels;
        }
    }

    /** Reads IDX labels from a stream (gzipped or not); {@code file} names it in errors. */
    public static int[] readLabels(InputStream stream, String file, int numClasses) throws IOException {
        try (DataInputStream in = new DataInputStream(maybeGunzip(stream))) {
            int magic = readInt(in, file, "the magic number");
            if (magic != 0x00000801) {
                throw new DataFormatException(file, String.format("magic number 0x%08X, expected 0x00000801 (IDX uint8 labels)", magic));
            }
            int n = readInt(in, file, "the label count");
            if (n < 0) throw new DataFormatException(file, "negative label count " + n);
            if (n == 0) throw new DataFormatException(file, "holds no labels (its header says 0)");
            byte[] raw = in.readNBytes(n);
            if (raw.length < n) throw new DataFormatException(file, "truncated: the header promises " + n
                    + " labels, the file holds " + raw.length);
            if (in.read() != -1) throw new DataFormatException(file, "has bytes after the " + n + " labels its header announces");
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = raw[i] & 0xFF;
                if (labels[i] >= numClasses) throw new DataFormatException(file, "label " + labels[i] + " at index " + i
                        + " is outside [0, " + numClasses + ")");
            }
            return labels;
        }
    }

    /** Reads an image file and its label file as one dataset (1 channel). */
    public static InMemoryDataset read(Path images, Path labels, List<String> classNames) throws IOException {
        int[] dims = new int[3];
        byte[] pixels = readImages(images, dims);
        int[] y = readLabels(labels, classNames.size());
        if (y.length != dims[0]) {
            throw new DataFormatException(labels, y.length + " labels, but " + images.getFileName() + " has " + dims[0] + " images");
        }
        return new InMemoryDataset(images + " + " + labels.getFileName(), pixels, y, 1, dims[1], dims[2], classNames);
    }

    private static int readInt(DataInputStream in, String file, String what) throws IOException {
        try {
            return in.readInt();
        } catch (EOFException e) {
            throw new DataFormatException(file, "ends before " + what + " (not an IDX file, or truncated)");
        }
    }
}
