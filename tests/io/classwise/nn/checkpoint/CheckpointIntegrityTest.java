package io.classwise.nn.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.tensor.reference.ReferenceBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Integrity of what a checkpoint says about itself (#24): metadata under checksum, sizes from files checked without wrapping, formats by magic. */
class CheckpointIntegrityTest {
    @TempDir Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    private Path smallCnn() throws Exception {
        try (ReferenceBackend b = new ReferenceBackend()) {
            Model m = Models.create(b, new Models.Spec("small-cnn", 10, new int[] {1, 28, 28}, new float[] {0.2860f}, new float[] {0.3530f}, 0f), 1);
            Path f = dir.resolve("m.safetensors");
            Checkpoint.save(m, f, Map.of("classwise.eps", "0.1"));
            return f;
        }
    }

    /** Rewrites one metadata value in the header, as an editor would (the length prefix adjusted, the data untouched). */
    private static void editMetadata(Path file, String key, String value) throws Exception {
        byte[] all = Files.readAllBytes(file);
        long len = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) JSON.readTree(new String(all, 8, (int) len, StandardCharsets.UTF_8));
        ((ObjectNode) header.get("__metadata__")).put(key, value);
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] head = Arrays.copyOf(json, padded);
        Arrays.fill(head, json.length, padded, (byte) ' ');
        try (OutputStream o = Files.newOutputStream(file)) {
            o.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            o.write(head);
            o.write(all, 8 + (int) len, all.length - 8 - (int) len);
        }
    }

    @Test
    void editedMetadataThatChangesTheModelIsReportedNamingTheKey() throws Exception {
        Path f = smallCnn();
        try (ReferenceBackend b = new ReferenceBackend()) {
            assertDoesNotThrow(() -> Checkpoint.load(b, f).release());
            editMetadata(f, Checkpoint.MEAN, "0.9");
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> Checkpoint.load(b, f));
            assertTrue(e.getMessage().contains("metadata '" + Checkpoint.MEAN + "' was changed") && e.getMessage().contains(f.toString()),
                    e.getMessage());
            Path g = smallCnn();
            editMetadata(g, "classwise.eps", "0.3");
            e = assertThrows(SafetensorsFormatException.class, () -> Safetensors.read(g));
            assertTrue(e.getMessage().contains("metadata 'classwise.eps' was changed"), e.getMessage());
            Path h = smallCnn();
            editMetadata(h, Checkpoint.COSINE_SCALE, "15");
            e = assertThrows(SafetensorsFormatException.class, () -> Safetensors.read(h));
            assertTrue(e.getMessage().contains("metadata key '" + Checkpoint.COSINE_SCALE + "' was added"), e.getMessage());
        }
    }

    @Test
    void anImpossibleInputShapeInTheMetadataIsNamedBeforeAnythingIsAllocated() throws Exception {
        Path f = dir.resolve("huge.safetensors");
        Safetensors.write(f, Map.of(), Map.of(Checkpoint.ARCHITECTURE, "small-cnn", Checkpoint.NUM_CLASSES, "10", Checkpoint.INPUT_SHAPE,
                "1,65536,65536", Checkpoint.MEAN, "0", Checkpoint.STD, "1"));
        try (ReferenceBackend b = new ReferenceBackend()) {
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> Checkpoint.load(b, f));
            assertTrue(e.getMessage().contains("metadata '" + Checkpoint.INPUT_SHAPE + "' = 1,65536,65536"), e.getMessage());
        }
    }

    /** huge_storage.pt with its storage's declared element count replaced (LONG1, 8 bytes little-endian). */
    private Path withDeclaredElements(long numel) throws Exception {
        Path src = TorchCheckpointTest.fixture("huge_storage.pt"), out = dir.resolve("storage-" + Long.toHexString(numel) + ".pt");
        byte[] was = {(byte) 0x8a, 6, 0, 0x10, (byte) 0xa5, (byte) 0xd4, (byte) 0xe8, 0};
        byte[] now = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).put((byte) 0x8a).put((byte) 8).putLong(numel).array();
        try (ZipFile in = new ZipFile(src.toFile()); ZipOutputStream zo = new ZipOutputStream(Files.newOutputStream(out))) {
            for (ZipEntry e : java.util.Collections.list(in.entries())) {
                byte[] data;
                try (InputStream s = in.getInputStream(e)) {
                    data = s.readAllBytes();
                }
                if (e.getName().endsWith("data.pkl")) data = replace(data, was, now);
                zo.putNextEntry(new ZipEntry(e.getName()));
                zo.write(data);
                zo.closeEntry();
            }
        }
        return out;
    }

    private static byte[] replace(byte[] data, byte[] was, byte[] now) {
        for (int i = 0; i + was.length <= data.length; i++) {
            if (Arrays.equals(Arrays.copyOfRange(data, i, i + was.length), was)) {
                ByteArrayOutputStream o = new ByteArrayOutputStream();
                o.write(data, 0, i);
                o.writeBytes(now);
                o.write(data, i + was.length, data.length - i - was.length);
                return o.toByteArray();
            }
        }
        throw new AssertionError("pattern not found");
    }

    @Test
    void declaredStorageSizesThatOverflowAreRefusedNamingTheStorage() throws Exception {
        for (long numel : new long[] {1L << 62, Long.MAX_VALUE}) {
            Path f = withDeclaredElements(numel);
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> TorchCheckpoint.read(f));
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("storage data/0 declares " + numel + " elements"),
                    e.getMessage());
        }
    }

    @Test
    void aPre16TorchFileIsToldByItsMagicWhereverItIsRead() throws Exception {
        Path legacy = TorchCheckpointTest.fixture("legacy_format.pt");
        assertTrue(TorchCheckpoint.isTorchFile(legacy), "routed to the torch reader, not the safetensors one");
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> TorchCheckpoint.read(legacy));
        assertTrue(e.getMessage().contains("pre-1.6 format") && e.getMessage().contains("re-save"), e.getMessage());
        // A tar (the oldest torch.save format) as well.
        byte[] tar = new byte[1024];
        System.arraycopy("ustar".getBytes(StandardCharsets.US_ASCII), 0, tar, 257, 5);
        Path t = dir.resolve("old.pt");
        Files.write(t, tar);
        try (ReferenceBackend b = new ReferenceBackend()) {
            Model m = Models.createForLoading(b, new Models.Spec("small-cnn", 10, new int[] {1, 28, 28}, new float[] {0}, new float[] {1}, 0f));
            e = assertThrows(SafetensorsFormatException.class, () -> Checkpoint.loadWeights(m, t));
            assertTrue(e.getMessage().contains("pre-1.6 format"), e.getMessage());
        }
    }
}
