package io.classwise.nn.checkpoint;

import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.nn.StateDict;
import io.classwise.nn.Tape;
import io.classwise.tensor.Tensor;
import io.classwise.tensor.reference.ReferenceBackend;
import io.classwise.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.classwise.TestUtil.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import io.classwise.nn.Sgd;

class SafetensorsTest {
    static final ReferenceBackend B = new ReferenceBackend();
    @TempDir Path dir;

    private static Model trainedLooking(String arch, int c, int hw, long seed) {
        Model m = Models.create(B, new Models.Spec(arch, 10, new int[] {c, hw, hw}, new float[c], filled(c, 0.5f), 0), seed);
        // One training-mode forward so BN running statistics and num_batches_tracked are non-trivial.
        m.forward(new Tape(B).training(true), B.allocate(2, c, hw, hw).copyFrom(uniform(new Rng(seed), 2 * c * hw * hw, 0, 1)));
        return m;
    }

    private static float[] filled(int n, float v) { float[] a = new float[n]; Arrays.fill(a, v); return a; }

    @Test
    void modelRoundTripRestoresEveryEntryAndTheDescription() throws IOException {
        Model m = trainedLooking("resnet18", 3, 32, 5);
        Path f = dir.resolve("model.safetensors");
        Checkpoint.save(m, f, Map.of("classwise.epoch", "3"));
        Model back = Checkpoint.load(B, f);
        assertEquals("resnet18", back.architecture());
        assertArrayEquals(m.std(), back.std());
        Map<String, StateDict.Entry> a = m.stateDict().entries(), b = back.stateDict().entries();
        assertEquals(a.keySet().stream().toList(), b.keySet().stream().toList());
        for (String k : a.keySet()) {
            if (a.get(k) instanceof StateDict.FloatEntry fa) {
                assertArrayEquals(fa.tensor().toArray(), ((StateDict.FloatEntry) b.get(k)).tensor().toArray(), k);
            } else {
                assertEquals(((StateDict.LongEntry) a.get(k)).get(), ((StateDict.LongEntry) b.get(k)).get(), k);
            }
        }
        assertEquals(1, ((StateDict.LongEntry) b.get("bn1.num_batches_tracked")).get());
        assertEquals("3", Safetensors.read(f).metadata().get("classwise.epoch"));
        // No temporary files are left beside the checkpoint.
        try (var s = Files.list(dir)) { assertEquals(1, s.count()); }
    }

    /** The bytes follow the format's spec exactly: little-endian u64 length, JSON header, 8-byte alignment. */
    @Test
    void layoutIsWhatPythonSafetensorsReads() throws IOException {
        Map<String, Safetensors.Entry> t = new LinkedHashMap<>();
        t.put("a", Safetensors.Entry.f32(new int[] {2}, new float[] {1.5f, -2f}));
        t.put("n", Safetensors.Entry.i64(new int[0], 7));
        Path f = dir.resolve("x.safetensors");
        Safetensors.write(f, t, Map.of("format", "pt"));
        byte[] bytes = Files.readAllBytes(f);
        long len = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, (8 + len) % 8);
        String header = new String(bytes, 8, (int) len, StandardCharsets.UTF_8).trim();
        assertTrue(header.contains("\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}"), header);
        assertTrue(header.contains("\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}"), header);
        ByteBuffer data = ByteBuffer.wrap(bytes, (int) (8 + len), 16).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(1.5f, data.getFloat());
        assertEquals(-2f, data.getFloat());
        assertEquals(7L, data.getLong());
    }

    @Test
    void halfPrecisionInputsConvert() {
        ByteBuffer bb = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN);
        bb.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x0001); // 1, −2, smallest subnormal
        float[] f16 = new Safetensors.Entry(Safetensors.DType.F16, new int[] {3}, bb.array()).toFloats();
        assertArrayEquals(new float[] {1f, -2f, 0x1p-24f}, f16);
        ByteBuffer b2 = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3FC0); // 1.5 in bfloat16
        assertArrayEquals(new float[] {1.5f}, new Safetensors.Entry(Safetensors.DType.BF16, new int[] {1}, b2.array()).toFloats());
    }

    // ---------------------------------------------------------------- corrupt and mismatched files

    private Path writeRaw(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bb = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(h.length).put(h);
        Path f = dir.resolve("raw.safetensors");
        Files.write(f, bb.array());
        return f;
    }

    private static void assertRejected(Path f, String... mustMention) {
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> Safetensors.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()), "names the file: " + e.getMessage());
        for (String s : mustMention) assertTrue(e.getMessage().contains(s), "mentions '" + s + "': " + e.getMessage());
    }

    /** A flipped bit in the tensor data is caught by the checksum; files from other tools (no checksum) still load. */
    @Test
    void changedTensorDataIsDetected() throws IOException {
        Model m = trainedLooking("small-cnn", 1, 8, 1);
        Path f = dir.resolve("m.safetensors");
        Checkpoint.save(m, f, Map.of());
        byte[] all = Files.readAllBytes(f);
        all[all.length - 3] ^= 0x10; // inside fc2.bias: still a valid float, so only the checksum can tell
        Files.write(f, all);
        assertRejected(f, "checksum", "changed or corrupted");
        Path raw = writeRaw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        assertEquals(0f, ByteBuffer.wrap(Safetensors.read(raw).tensors().get("a").data()).order(ByteOrder.LITTLE_ENDIAN).getFloat(), "no checksum: loads");
    }

    /** Equal content, equal bytes: metadata keys are written sorted whatever the map's order. */
    @Test
    void equalCheckpointsAreByteIdentical() throws IOException {
        Model m = trainedLooking("small-cnn", 1, 8, 1);
        Map<String, String> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        a.put("classwise.epoch", "2"); a.put("classwise.seed", "1"); a.put("classwise.method", "pgd-at");
        b.put("classwise.method", "pgd-at"); b.put("classwise.seed", "1"); b.put("classwise.epoch", "2");
        Checkpoint.save(m, dir.resolve("a.safetensors"), a);
        Checkpoint.save(m, dir.resolve("b.safetensors"), b);
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.safetensors")), Files.readAllBytes(dir.resolve("b.safetensors")));
    }

    @Test
    void truncatedData() throws IOException {
        Model m = trainedLooking("small-cnn", 1, 8, 1);
        Path f = dir.resolve("m.safetensors");
        Checkpoint.save(m, f, Map.of());
        byte[] all = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(all, all.length - 10));
        assertRejected(f, "fc2.bias", "truncated");
    }

    @Test
    void tooShortAndImpossibleHeaderLength() throws IOException {
        Path f = dir.resolve("short.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        assertRejected(f, "shorter than the 8-byte header length");
        ByteBuffer bb = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1_000_000);
        Files.write(f, bb.array());
        assertRejected(f, "header length 1000000", "byte 0");
    }

    @Test
    void headerIsNotJson() throws IOException {
        assertRejected(writeRaw("{\"a\": [oops", 0), "not valid JSON");
    }

    @Test
    void offsetsThatDisagreeWithTheShape() throws IOException {
        assertRejected(writeRaw("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "'w'", "needs 12");
    }

    @Test
    void overlappingOffsets() throws IOException {
        assertRejected(writeRaw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlap");
    }

    @Test
    void unsupportedDtype() throws IOException {
        assertRejected(writeRaw("{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8), "'a'", "C64");
    }

    @Test
    void missingUnexpectedAndMisshapenKeys() throws IOException {
        Model m = trainedLooking("small-cnn", 1, 8, 1);
        Path f = dir.resolve("m.safetensors");
        Map<String, Safetensors.Entry> t = new LinkedHashMap<>();
        for (var e : m.stateDict().entries().entrySet()) {
            if (e.getValue() instanceof StateDict.FloatEntry fe) t.put(e.getKey(), Safetensors.Entry.f32(fe.shape(),
                    fe.tensor().toArray()));
        }
        t.remove("conv2.weight");
        t.put("conv9.weight", Safetensors.Entry.f32(new int[] {1}, new float[] {0}));
        Safetensors.write(f, t, Map.of());
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> Checkpoint.loadInto(m, f));
        assertTrue(e.getMessage().contains("missing keys [conv2.weight]")
                && e.getMessage().contains("unexpected keys [conv9.weight]"), e.getMessage());

        // A checkpoint for a different class count: the mismatching tensor is named with both shapes.
        Model m100 = Models.create(B, new Models.Spec("small-cnn", 100, new int[] {1, 8, 8}, new float[1], new float[] {1}, 0), 0);
        Checkpoint.save(m100, f, Map.of());
        e = assertThrows(SafetensorsFormatException.class, () -> Checkpoint.loadInto(m, f));
        assertTrue(e.getMessage().contains("'fc2.weight' has shape [100, 128]") && e.getMessage().contains("[10, 128]"), e.getMessage());
    }

    @Test
    void pytorchStyleFileWithoutOurMetadataLoadsIntoABuiltModel() throws IOException {
        Model src = trainedLooking("madry-cnn", 1, 28, 9);
        Map<String, Safetensors.Entry> t = new LinkedHashMap<>();
        for (var e : src.stateDict().entries().entrySet()) {
            t.put(e.getKey(), Safetensors.Entry.f32(e.getValue().shape(), ((StateDict.FloatEntry) e.getValue()).tensor().toArray()));
        }
        Path f = dir.resolve("torch.safetensors");
        Safetensors.write(f, t, Map.of("format", "pt"));
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> Checkpoint.load(B, f));
        assertTrue(e.getMessage().contains("not a Classwise checkpoint"), e.getMessage());
        // The normalisation is not in a PyTorch state_dict: the caller builds the model with it.
        Model dst = Models.create(B, new Models.Spec("madry-cnn", 10, new int[] {1, 28, 28}, new float[1], filled(1, 0.5f), 0), 1);
        Checkpoint.loadInto(dst, f);
        Tensor x = B.allocate(1, 1, 28, 28).copyFrom(uniform(new Rng(1), 784, 0, 1));
        assertArrayEquals(src.forward(new Tape(B), x).toArray(), dst.forward(new Tape(B), x).toArray());
    }

    @Test
    void trainingStateRoundTrip() throws IOException {
        Model m = trainedLooking("small-cnn", 1, 8, 2);
        Sgd sgd = new Sgd(m.parameters(), 0.9f, 0, 5e-4f, false);
        for (var p : m.parameters()) p.grad().copyFrom(uniform(new Rng(3), p.size(), -1, 1));
        sgd.step(0.1f);
        sgd.step(0.1f);
        Path f = dir.resolve("state.safetensors");
        TrainingState.save(f, sgd, Map.of("classwise.epoch", "4", "classwise.rng", "123"));
        Sgd fresh = new Sgd(m.parameters(), 0.9f, 0, 5e-4f, false);
        Map<String, String> meta = TrainingState.load(f, m, fresh);
        assertEquals("4", meta.get("classwise.epoch"));
        assertEquals(2, fresh.steps());
        assertTrue(fresh.started());
        for (int i = 0; i < sgd.momentumBuffers().size(); i++) {
            assertArrayEquals(sgd.momentumBuffers().get(i).toArray(), fresh.momentumBuffers().get(i).toArray());
        }
    }
}
