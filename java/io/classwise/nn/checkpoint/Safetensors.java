package io.classwise.nn.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.classwise.util.AtomicFiles;
import io.classwise.util.FileDigests;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The safetensors file format (huggingface/safetensors): an 8-byte little-endian header length,
 * a JSON header mapping each tensor name to {dtype, shape, data_offsets} plus an optional
 * {@code __metadata__} string map, then the raw little-endian data. Readers here check every claim
 * the header makes against the file before touching the data.
 */
public final class Safetensors {
    private Safetensors() {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Safetensors.class);
    /** Headers beyond this are rejected rather than allocated (the reference implementation uses 100 MB). */
    private static final long MAX_HEADER = 100L << 20;

    public enum DType {
        F32(4), F64(8), F16(2), BF16(2), I64(8);
        public final int bytes;
        DType(int bytes) { this.bytes = bytes; }
    }

    /** One stored tensor: its dtype, shape and the raw little-endian bytes. */
    public record Entry(DType dtype, int[] shape, byte[] data) {
        public long numel() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }

        public static Entry f32(int[] shape, float[] values) {
            ByteBuffer bb = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            bb.asFloatBuffer().put(values);
            return new Entry(DType.F32, shape.clone(), bb.array());
        }

        public static Entry i64(int[] shape, long... values) {
            ByteBuffer bb = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            bb.asLongBuffer().put(values);
            return new Entry(DType.I64, shape.clone(), bb.array());
        }

        /** The values as float32, converting from F64, F16, BF16 or I64. */
        public float[] toFloats() {
            ByteBuffer bb = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[(int) numel()];
            for (int i = 0; i < out.length; i++) {
                out[i] = switch (dtype) {
                    case F32 -> bb.getFloat(i * 4);
                    case F64 -> (float) bb.getDouble(i * 8);
                    case F16 -> halfToFloat(bb.getShort(i * 2));
                    case BF16 -> Float.intBitsToFloat((bb.getShort(i * 2) & 0xFFFF) << 16);
                    case I64 -> bb.getLong(i * 8);
                };
            }
            return out;
        }

        /** The values as int64 (I64 only). */
        public long[] toLongs() {
            if (dtype != DType.I64) throw new IllegalStateException("not an I64 tensor: " + dtype);
            long[] out = new long[(int) numel()];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
            return out;
        }
    }

    /** IEEE 754 binary16 → float32 (Float.float16ToFloat arrived only in Java 20). */
    static float halfToFloat(short h) {
        int bits = h & 0xFFFF, sign = (bits & 0x8000) << 16, exp = (bits >>> 10) & 0x1F, mant = bits & 0x3FF;
        if (exp == 0x1F) return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));          // Inf / NaN
        if (exp == 0) return (sign != 0 ? -1 : 1) * mant * 0x1p-24f;                               // subnormal / zero
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /** A whole file: tensors in header order, and the metadata map. */
    public record Contents(Map<String, Entry> tensors, Map<String, String> metadata) {}

    /** Metadata key of the SHA-256 of the data section (all tensor bytes in file order), hex. */
    public static final String CHECKSUM = "classwise.data_sha256";

    /**
     * Metadata key of the metadata's own digests: a JSON object mapping every other metadata key to the SHA-256
     * (hex) of its value. The normalisation, architecture, input shape, classes and ε change what a model computes
     * as much as its weights do; an edit, an addition or a removal is reported naming the key.
     */
    public static final String METADATA_CHECKSUM = "classwise.metadata_sha256";

    private static ObjectNode metadataDigests(Map<String, String> metadata) {
        ObjectNode o = JSON.createObjectNode();
        for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
            if (e.getKey().equals(CHECKSUM) || e.getKey().equals(METADATA_CHECKSUM)) continue;
            o.put(e.getKey(), HexFormat.of().formatHex(FileDigests.digest("SHA-256").digest(e.getValue().getBytes(StandardCharsets.UTF_8))));
        }
        return o;
    }

    /** The first metadata key whose value, presence or absence disagrees with the recorded digests, described; null when all agree. */
    private static String metadataChange(Map<String, String> metadata, String recorded) {
        JsonNode want;
        try {
            want = JSON.readTree(recorded);
        } catch (JsonProcessingException e) {
            return METADATA_CHECKSUM + " itself is not valid JSON";
        }
        JsonNode have = metadataDigests(metadata);
        TreeSet<String> keys = new TreeSet<>();
        want.fieldNames().forEachRemaining(keys::add);
        have.fieldNames().forEachRemaining(keys::add);
        for (String k : keys) {
            if (!want.has(k)) return "metadata key '" + k + "' was added";
            if (!have.has(k)) return "metadata key '" + k + "' was removed";
            if (!want.get(k).asText().equals(have.get(k).asText())) return "metadata '" + k + "' was changed (now " + metadata.get(k) + ")";
        }
        return null;
    }

    /**
     * Writes atomically: a temporary file in the same directory, fsynced, then renamed over {@code file}.
     * Metadata keys are written sorted (equal content gives equal bytes) and the data section's SHA-256
     * is added under {@link #CHECKSUM}, so a later change to the tensor bytes is detected on reading.
     */
    public static void write(Path file, Map<String, Entry> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        TreeMap<String, String> sorted = new TreeMap<>(metadata);
        MessageDigest sha = FileDigests.digest("SHA-256");
        for (Entry t : tensors.values()) sha.update(t.data);
        sorted.put(CHECKSUM, HexFormat.of().formatHex(sha.digest()));
        sorted.remove(METADATA_CHECKSUM);
        sorted.put(METADATA_CHECKSUM, metadataDigests(sorted).toString());
        ObjectNode meta = header.putObject("__metadata__");
        sorted.forEach(meta::put);
        long offset = 0;
        for (Map.Entry<String, Entry> e : tensors.entrySet()) {
            Entry t = e.getValue();
            if (t.data.length != t.numel() * t.dtype.bytes) {
                throw new IllegalArgumentException(e.getKey() + ": " + t.data.length + " bytes for shape "
                        + Arrays.toString(t.shape) + " of " + t.dtype);
            }
            ObjectNode n = header.putObject(e.getKey());
            n.put("dtype", t.dtype.name());
            ArrayNode shape = n.putArray("shape");
            for (int d : t.shape) shape.add(d);
            n.putArray("data_offsets").add(offset).add(offset + t.data.length);
            offset += t.data.length;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] head = Arrays.copyOf(json, padded);
        Arrays.fill(head, json.length, padded, (byte) ' ');
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
            out.write(len.array());
            out.write(head);
            for (Entry t : tensors.values()) out.write(t.data);
        });
    }

    public static Contents read(Path file) throws IOException {
        requireRegularFile(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new SafetensorsFormatException(file, "file is " + size + " bytes, shorter than the 8-byte header length");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 2 || headerLen > MAX_HEADER || headerLen > size - 8) {
                throw new SafetensorsFormatException(file, "header length " + headerLen + " at byte 0 is impossible for a file of "
                        + size + " bytes");
            }
            ByteBuffer headBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headBuf, 8, file);
            JsonNode header;
            try {
                header = JSON.readTree(new String(headBuf.array(), StandardCharsets.UTF_8));
            } catch (JsonProcessingException e) {
                throw new SafetensorsFormatException(file, "header (bytes 8.." + (8 + headerLen) + ") is not valid JSON: "
                        + e.getOriginalMessage());
            }
            if (header == null || !header.isObject()) throw new SafetensorsFormatException(file, "header is not a JSON object");
            long dataStart = 8 + headerLen, dataLen = size - dataStart;

            Map<String, String> metadata = new LinkedHashMap<>();
            List<long[]> ranges = new ArrayList<>();
            Map<String, DType> dtypes = new LinkedHashMap<>();
            Map<String, int[]> shapes = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                String key = f.getKey();
                JsonNode v = f.getValue();
                if (key.equals("__metadata__")) {
                    if (!v.isObject()) throw new SafetensorsFormatException(file, "__metadata__ must map strings to strings");
                    for (Iterator<Map.Entry<String, JsonNode>> m = v.fields(); m.hasNext(); ) {
                        Map.Entry<String, JsonNode> e = m.next();
                        if (!e.getValue().isTextual()) throw new SafetensorsFormatException(file, "__metadata__ value of '"
                                + e.getKey() + "' is not a string");
                        metadata.put(e.getKey(), e.getValue().asText());
                    }
                    continue;
                }
                DType dtype;
                try {
                    dtype = DType.valueOf(v.path("dtype").asText(""));
                } catch (IllegalArgumentException e) {
                    throw new SafetensorsFormatException(file, "tensor '" + key + "' has unsupported dtype '"
                            + v.path("dtype").asText("") + "' (expected one of " + Arrays.toString(DType.values()) + ")");
                }
                JsonNode shapeNode = v.path("shape"), off = v.path("data_offsets");
                if (!shapeNode.isArray()) throw new SafetensorsFormatException(file, "tensor '" + key + "' has no shape array");
                int[] shape = new int[shapeNode.size()];
                long numel = 1;
                for (int i = 0; i < shape.length; i++) {
                    if (!shapeNode.get(i).canConvertToInt() || shapeNode.get(i).asInt() < 0) throw new SafetensorsFormatException(file, "tensor '" + key + "' has a bad dimension " + shapeNode.get(i));
                    shape[i] = shapeNode.get(i).asInt();
                    numel *= shape[i];
                }
                if (!off.isArray() || off.size() != 2 || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) {
                    throw new SafetensorsFormatException(file, "tensor '" + key + "' has no [begin, end] data_offsets");
                }
                long begin = off.get(0).asLong(), end = off.get(1).asLong();
                if (begin < 0 || end < begin || end > dataLen) {
                    throw new SafetensorsFormatException(file, "tensor '" + key + "' claims bytes [" + begin + ", " + end
                            + ") of a data section of "
                            + dataLen + " bytes (file offset " + (dataStart + begin) + "): truncated file or lying header");
                }
                if (end - begin != numel * dtype.bytes) {
                    throw new SafetensorsFormatException(file, "tensor '" + key + "' has " + (end - begin) + " bytes at offsets ["
                            + begin + ", " + end
                            + ") but shape " + Arrays.toString(shape) + " of " + dtype + " needs " + numel * dtype.bytes);
                }
                ranges.add(new long[] {begin, end});
                dtypes.put(key, dtype);
                shapes.put(key, shape);
            }
            // Tensors must tile the data section exactly: no overlaps, no holes.
            ranges.sort((a, b) -> Long.compare(a[0], b[0]));
            long expect = 0;
            for (long[] r : ranges) {
                if (r[0] != expect) throw new SafetensorsFormatException(file, "data offsets overlap or leave a gap at byte "
                        + expect + " of the data section");
                expect = r[1];
            }
            if (expect != dataLen) throw new SafetensorsFormatException(file, "data section has " + dataLen
                    + " bytes but the tensors cover " + expect);

            Map<String, Entry> tensors = new LinkedHashMap<>();
            TreeMap<Long, byte[]> byOffset = new TreeMap<>();
            for (Map.Entry<String, DType> e : dtypes.entrySet()) {
                JsonNode off = header.get(e.getKey()).get("data_offsets");
                long begin = off.get(0).asLong(), end = off.get(1).asLong();
                if (end - begin > Integer.MAX_VALUE) throw new SafetensorsFormatException(file, "tensor '" + e.getKey()
                        + "' is larger than 2 GB");
                ByteBuffer data = ByteBuffer.allocate((int) (end - begin));
                readFully(ch, data, dataStart + begin, file);
                tensors.put(e.getKey(), new Entry(e.getValue(), shapes.get(e.getKey()), data.array()));
                if (end > begin) byOffset.put(begin, data.array());
            }
            String expected = metadata.get(CHECKSUM);
            if (expected != null) {
                MessageDigest sha = FileDigests.digest("SHA-256");
                for (byte[] b : byOffset.values()) sha.update(b);
                String actual = HexFormat.of().formatHex(sha.digest());
                if (!actual.equalsIgnoreCase(expected)) {
                    throw new SafetensorsFormatException(file, "tensor data does not match the checksum in its metadata ("
                            + CHECKSUM + "): the file was "
                            + "changed or corrupted after it was written");
                }
                String recorded = metadata.get(METADATA_CHECKSUM);
                String change = recorded == null ? null : metadataChange(metadata, recorded);
                if (change != null) {
                    throw new SafetensorsFormatException(file, change + " after the file was written (" + METADATA_CHECKSUM + " differs): "
                            + "the model it describes would compute something else; restore the file or write it again");
                }
            } else if (!tensors.isEmpty()) {
                LOG.info("{} has no {} (written by another tool or an older Classwise): its tensor data cannot be verified", file,
                        CHECKSUM);
            }
            return new Contents(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
        }
    }

    /**
     * A checkpoint is a regular file: a directory would fail with a bare "Is a directory", and a pipe or a device
     * (/dev/zero, a FIFO) would block or never end.
     */
    static void requireRegularFile(Path file) throws IOException {
        if (Files.isRegularFile(file)) return;
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, "does not exist");
        throw new SafetensorsFormatException(file, Files.isDirectory(file) ? "is a directory, not a checkpoint file"
                : "is not a regular file (a pipe, device or socket); give a file");
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position, Path file) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) throw new SafetensorsFormatException(file, "unexpected end of file at byte " + pos);
            pos += n;
        }
    }
}
