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
import io.classwise.data.formats.MatV5;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.Deflater;

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

    /** A MAT v5 file with one compressed element: header, then (tag, zlib of inner tag + payload). */
    private static byte[] matWithCompressedElement(int declaredInnerSize, int payloadBytes) {
        byte[] header = new byte[128];
        byte[] text = "MATLAB 5.0 MAT-file, written by a test".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, header, 0, text.length);
        header[124] = 0; header[125] = 1; header[126] = 'I'; header[127] = 'M';
        ByteBuffer inner = ByteBuffer.allocate(8 + payloadBytes).order(ByteOrder.LITTLE_ENDIAN);
        inner.putInt(14).putInt(declaredInnerSize); // miMATRIX
        Deflater d = new Deflater();
        d.setInput(inner.array());
        d.finish();
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        while (!d.finished()) z.write(buf, 0, d.deflate(buf));
        ByteBuffer out = ByteBuffer.allocate(128 + 8 + z.size()).order(ByteOrder.LITTLE_ENDIAN);
        out.put(header).putInt(15).putInt(z.size()).put(z.toByteArray()); // miCOMPRESSED
        return out.array();
    }

    /** Decompression bombs: a compressed MAT element never inflates past what its inner tag declares, nor past what the JVM holds. */
    @Test
    void matDecompressionBombsAreRefusedBeforeTheyFillTheMemory() throws Exception {
        Path bomb = Files.write(dir.resolve("bomb.mat"), matWithCompressedElement(100, 50_000_000)); // ~50 KB on disk, 50 MB inflated
        assertTrue(Files.size(bomb) < 200_000);
        DataFormatException e = assertThrows(DataFormatException.class, () -> MatV5.read(bomb));
        assertTrue(e.getMessage().contains(bomb.toString()) && e.getMessage().contains("inflates past the 100 bytes it declares"),
                e.getMessage());
        Path huge = Files.write(dir.resolve("huge.mat"), matWithCompressedElement(-1 /* 4 GiB - 1 unsigned */, 0));
        e = assertThrows(DataFormatException.class, () -> MatV5.read(huge));
        assertTrue(e.getMessage().contains("more than this JVM can hold"), e.getMessage());
    }

    /** A malformed small data element (it claims 200 bytes where the format allows 4) is the format's error, not a BufferUnderflowException. */
    @Test
    void malformedSmallMatElementNamesTheFile() throws Exception {
        byte[] header = matWithCompressedElement(0, 0);
        ByteBuffer b = ByteBuffer.allocate(128 + 8 + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.put(header, 0, 128).putInt(14).putInt(16).putInt(200 << 16 | 6).putInt(0).putLong(0); // miMATRIX holding a bad small element
        Path f = Files.write(dir.resolve("small.mat"), b.array());
        DataFormatException e = assertThrows(DataFormatException.class, () -> MatV5.read(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("at most 4"), e.getMessage());
    }
}
