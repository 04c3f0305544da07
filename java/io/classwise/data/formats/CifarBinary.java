package io.classwise.data.formats;

import io.classwise.data.DataFormatException;
import io.classwise.data.InMemoryDataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The CIFAR "binary version" records: CIFAR-10 = 1 label byte + 3072 pixel bytes (1024 R, 1024 G,
 * 1024 B, each row-major 32×32); CIFAR-100 = 1 coarse byte + 1 fine byte + 3072 pixel bytes.
 */
public final class CifarBinary {
    private CifarBinary() {}

    public static final int PIXELS = 3 * 32 * 32;

    /**
     * Reads and concatenates record files. labelBytes is 1 (CIFAR-10) or 2 (CIFAR-100);
     * labelIndex chooses which of them is the class (CIFAR-100: 0 coarse, 1 fine).
     */
    public static InMemoryDataset read(List<Path> files, int labelBytes, int labelIndex, List<String> classNames) throws IOException {
        return read(files, labelBytes, labelIndex, classNames, Map.of());
    }

    /**
     * As above; {@code officialRecords} maps official file names (data_batch_1.bin, test.bin, ...) to the
     * records the official release has, and a file of that name with any other count is refused (a copy
     * cut on a record boundary looks valid otherwise).
     */
    public static InMemoryDataset read(List<Path> files, int labelBytes, int labelIndex, List<String> classNames,
                                       Map<String, Integer> officialRecords) throws IOException {
        int record = labelBytes + PIXELS;
        List<byte[]> contents = new ArrayList<>();
        long total = 0;
        for (Path f : files) {
            byte[] b;
            try {
                b = Files.readAllBytes(f);
            } catch (NoSuchFileException e) {
                throw new DataFormatException(f, "file not found");
            }
            if (b.length == 0 || b.length % record != 0) {
                throw new DataFormatException(f, b.length + " bytes is not a whole number of " + record + "-byte records ("
                        + labelBytes + " label byte(s) + 3072 pixels): truncated or not a CIFAR binary file");
            }
            Integer official = officialRecords.get(f.getFileName().toString());
            if (official != null && b.length / record != official) {
                throw new DataFormatException(f, "has " + b.length / record + " records but the official file has " + official
                        + ": truncated or not the official file (delete it and run data fetch again)");
            }
            contents.add(b);
            total += b.length / record;
        }
        int n = (int) total;
        byte[] pixels = new byte[n * PIXELS];
        int[] labels = new int[n];
        int i = 0;
        for (int fi = 0; fi < files.size(); fi++) {
            byte[] b = contents.get(fi);
            for (int r = 0; r < b.length / record; r++, i++) {
                int label = b[r * record + labelIndex] & 0xFF;
                if (label >= classNames.size()) {
                    throw new DataFormatException(files.get(fi), "label " + label + " in record " + r + " (byte "
                            + (long) r * record + ") is outside [0, " + classNames.size() + ")");
                }
                labels[i] = label;
                System.arraycopy(b, r * record + labelBytes, pixels, i * PIXELS, PIXELS);
            }
        }
        return new InMemoryDataset(files.size() == 1 ? files.get(0).toString() : files.get(0).getParent() + " (" + files.size() + " files)",
                pixels, labels, 3, 32, 32, classNames);
    }
}
