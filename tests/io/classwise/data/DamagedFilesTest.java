package io.classwise.data;

import io.classwise.data.formats.Idx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Damaged idx files get one line naming the file and the problem — never a raw zlib message or an index error. */
class DamagedFilesTest {
    @TempDir Path dir;

    private static byte[] idxImages(int n) {
        ByteBuffer b = ByteBuffer.allocate(16 + n * 4);
        b.putInt(0x803).putInt(n).putInt(2).putInt(2);
        for (int i = 0; i < n * 4; i++) b.put((byte) i);
        return b.array();
    }

    private static byte[] gzip(byte[] raw) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(out)) { g.write(raw); }
        return out.toByteArray();
    }

    private void refused(Path f, String... words) {
        DataFormatException e = assertThrows(DataFormatException.class, () -> Idx.readImages(f, new int[3]));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        for (String w : words) assertTrue(e.getMessage().contains(w), w + ": " + e.getMessage());
    }

    @Test
    void gzipDamageEmptyFilesAndLyingHeaders() throws Exception {
        byte[] gz = gzip(idxImages(50));
        Path cut = Files.write(dir.resolve("cut-idx3-ubyte.gz"), Arrays.copyOf(gz, gz.length - 20));
        refused(cut, "gzip data is damaged or cut short", "data fetch");
        byte[] badTrailer = gz.clone();
        badTrailer[badTrailer.length - 5] ^= 0x55; // CRC of the trailer
        refused(Files.write(dir.resolve("crc-idx3-ubyte.gz"), badTrailer), "gzip data is damaged");
        refused(Files.write(dir.resolve("empty-idx3-ubyte"), new byte[0]), "ends before the magic number");
        refused(Files.write(dir.resolve("zero-idx3-ubyte"), idxImages(0)), "holds no images");
        // A header promising a billion images from a 70-byte file: refused without allocating them.
        ByteBuffer lie = ByteBuffer.wrap(idxImages(10));
        lie.putInt(4, 250_000_000);
        refused(Files.write(dir.resolve("lie-idx3-ubyte"), lie.array()), "truncated", "the file holds 40");
    }
}
