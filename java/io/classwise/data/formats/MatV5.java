package io.classwise.data.formats;

import io.classwise.data.DataFormatException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.Inflater;

/**
 * A reader for the MATLAB 5 MAT-file format (what SVHN's train_32x32.mat / test_32x32.mat are):
 * a 128-byte header with the endian indicator, then tagged data elements; numeric matrices
 * (miMATRIX), possibly zlib-compressed (miCOMPRESSED). Only what datasets need: real numeric
 * arrays of any class, read by variable name. Data stays column-major as MATLAB stores it.
 */
public final class MatV5 {
    private MatV5() {}

    private static final int MI_INT8 = 1, MI_UINT8 = 2, MI_INT16 = 3, MI_UINT16 = 4, MI_INT32 = 5, MI_UINT32 = 6,
            MI_SINGLE = 7, MI_DOUBLE = 9, MI_INT64 = 12, MI_UINT64 = 13, MI_MATRIX = 14, MI_COMPRESSED = 15;
    private static final int MX_CELL = 1, MX_STRUCT = 2, MX_OBJECT = 3, MX_CHAR = 4, MX_SPARSE = 5;

    /** A real numeric array: dims (MATLAB order) and values in column-major order. uint8 data stays bytes. */
    public record Array(String name, int[] dims, byte[] uint8, double[] values) {
        public long numel() {
            long n = 1;
            for (int d : dims) n *= d;
            return n;
        }

        /** Element i (column-major) as a double. */
        public double at(long i) { return uint8 != null ? uint8[(int) i] & 0xFF : values[(int) i]; }
    }

    public static Map<String, Array> read(Path file) throws IOException {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new DataFormatException(file, "file not found");
        }
        if (all.length < 128) throw new DataFormatException(file, "only " + all.length + " bytes; a MAT-file has a 128-byte header");
        String text = new String(all, 0, 116, StandardCharsets.ISO_8859_1);
        if (text.startsWith("MATLAB 7.3") || (all[0] == (byte) 0x89 && all[1] == 'H' && all[2] == 'D' && all[3] == 'F')) {
            throw new DataFormatException(file, "is a MATLAB 7.3 (HDF5) file; expected a MATLAB 5 MAT-file");
        }
        if (!text.startsWith("MATLAB 5.0 MAT-file")) throw new DataFormatException(file,
                "header does not start with 'MATLAB 5.0 MAT-file'");
        ByteOrder order;
        if (all[126] == 'I' && all[127] == 'M') order = ByteOrder.LITTLE_ENDIAN;
        else if (all[126] == 'M' && all[127] == 'I') order = ByteOrder.BIG_ENDIAN;
        else throw new DataFormatException(file, "bad endian indicator at byte 126 (expected 'IM' or 'MI')");
        Map<String, Array> out = new LinkedHashMap<>();
        ByteBuffer bb = ByteBuffer.wrap(all).order(order);
        bb.position(128);
        while (bb.remaining() >= 8) {
            long at = bb.position();
            int type = bb.getInt();
            long size = Integer.toUnsignedLong(bb.getInt());
            if (size > bb.remaining()) throw new DataFormatException(file, "data element at byte " + at + " claims " + size
                    + " bytes but only " + bb.remaining() + " remain (truncated)");
            byte[] body = new byte[(int) size];
            bb.get(body);
            if (type == MI_COMPRESSED) {
                ByteBuffer inner = ByteBuffer.wrap(inflate(body, file, at, order)).order(order);
                if (inner.remaining() < 8) throw new DataFormatException(file, "compressed element at byte " + at
                        + " holds no data element");
                int innerType = inner.getInt();
                long innerSize = Integer.toUnsignedLong(inner.getInt());
                if (innerSize > inner.remaining()) throw new DataFormatException(file, "compressed element at byte " + at
                        + " is truncated");
                byte[] innerBody = new byte[(int) innerSize];
                inner.get(innerBody);
                if (innerType == MI_MATRIX) addMatrix(innerBody, order, file, at, out);
            } else {
                if (type == MI_MATRIX) addMatrix(body, order, file, at, out);
                int pad = (int) ((8 - size % 8) % 8);
                bb.position(Math.min(bb.limit(), bb.position() + pad));
            }
        }
        return out;
    }

    /**
     * Inflates a compressed element, never past what it declares: the inner element's tag (its first 8
     * bytes) gives its size, and inflating stops with an error as soon as the output exceeds it (plus
     * padding) — a small file that inflates to gigabytes (a decompression bomb) is refused before it
     * fills the memory. A declared size larger than this JVM can hold is refused up front, naming -Xmx.
     */
    private static byte[] inflate(byte[] body, Path file, long at, ByteOrder order) throws IOException {
        Inflater inf = new Inflater();
        inf.setInput(body);
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, Math.min(body.length * 4, 1 << 20)));
        byte[] buf = new byte[1 << 16];
        long limit = -1; // total bytes allowed once the inner tag has been read
        try {
            while (!inf.finished()) {
                int n = inf.inflate(buf);
                if (n == 0 && (inf.needsInput() || inf.needsDictionary())) {
                    throw new DataFormatException(file, "compressed element at byte " + at + " ends early (truncated zlib stream)");
                }
                out.write(buf, 0, n);
                if (limit < 0 && out.size() >= 8) {
                    long declared = Integer.toUnsignedLong(ByteBuffer.wrap(out.toByteArray(), 4, 4).order(order).getInt());
                    if (declared > Integer.MAX_VALUE - 16 || declared > Runtime.getRuntime().maxMemory() / 2) {
                        throw new DataFormatException(file, "compressed element at byte " + at + " declares " + declared
                                + " bytes, more than this "
                                + "JVM can hold (raise java -Xmx, or the file is damaged)");
                    }
                    limit = 8 + declared + 7;
                }
                if (limit >= 0 && out.size() > limit) {
                    throw new DataFormatException(file, "compressed element at byte " + at + " inflates past the " + (limit - 15)
                            + " bytes it declares (a decompression bomb or a damaged file)");
                }
            }
        } catch (java.util.zip.DataFormatException e) {
            throw new DataFormatException(file, "compressed element at byte " + at + " is not valid zlib data: " + e.getMessage());
        } finally {
            inf.end();
        }
        return out.toByteArray();
    }

    /** Reads one sub-element (handling the small-element format) and returns {type, body}. */
    private static Object[] subElement(ByteBuffer bb, Path file, long at, String what) throws DataFormatException {
        if (bb.remaining() < 8) throw new DataFormatException(file, "matrix at byte " + at + " ends before its " + what);
        int type = bb.getInt();
        int small = type >>> 16;
        byte[] body;
        if (small != 0) {
            // The small data element format packs at most 4 bytes of data beside its 4-byte tag.
            if (small > 4) throw new DataFormatException(file, "matrix at byte " + at + ": " + what
                    + " is a small data element of " + small + " bytes (at most 4)");
            type &= 0xFFFF;
            body = new byte[small];
            bb.get(body);
            bb.position(bb.position() + 4 - small);
        } else {
            long size = Integer.toUnsignedLong(bb.getInt());
            if (size > bb.remaining()) throw new DataFormatException(file, "matrix at byte " + at + ": " + what + " claims " + size
                    + " bytes, only " + bb.remaining() + " remain");
            body = new byte[(int) size];
            bb.get(body);
            int pad = (int) ((8 - size % 8) % 8);
            bb.position(Math.min(bb.limit(), bb.position() + pad));
        }
        return new Object[] {type, body};
    }

    private static void addMatrix(byte[] body, ByteOrder order, Path file, long at, Map<String, Array> out) throws DataFormatException {
        ByteBuffer bb = ByteBuffer.wrap(body).order(order);
        Object[] flags = subElement(bb, file, at, "array flags");
        if (((byte[]) flags[1]).length < 4) throw new DataFormatException(file, "matrix at byte " + at + ": its array flags hold "
                + ((byte[]) flags[1]).length + " bytes (at least 4)");
        int mxClass = ByteBuffer.wrap((byte[]) flags[1]).order(order).getInt() & 0xFF;
        boolean complex = (ByteBuffer.wrap((byte[]) flags[1]).order(order).getInt() & 0x800) != 0;
        Object[] dimsEl = subElement(bb, file, at, "dimensions");
        ByteBuffer db = ByteBuffer.wrap((byte[]) dimsEl[1]).order(order);
        int[] dims = new int[((byte[]) dimsEl[1]).length / 4];
        for (int i = 0; i < dims.length; i++) dims[i] = db.getInt();
        String name = printable(new String((byte[]) subElement(bb, file, at, "array name")[1], StandardCharsets.US_ASCII));
        if (mxClass == MX_CELL || mxClass == MX_STRUCT || mxClass == MX_OBJECT || mxClass == MX_CHAR || mxClass == MX_SPARSE || complex) {
            return; // not a real numeric array: nothing a dataset needs
        }
        Object[] real = subElement(bb, file, at, "data of '" + name + "'");
        int type = (Integer) real[0];
        byte[] data = (byte[]) real[1];
        long numel = 1;
        for (int d : dims) numel *= d;
        int width = switch (type) {
            case MI_INT8, MI_UINT8 -> 1;
            case MI_INT16, MI_UINT16 -> 2;
            case MI_INT32, MI_UINT32, MI_SINGLE -> 4;
            case MI_DOUBLE, MI_INT64, MI_UINT64 -> 8;
            default -> throw new DataFormatException(file, "array '" + name + "' at byte " + at + " has unsupported data type " + type);
        };
        if (data.length != numel * width) {
            throw new DataFormatException(file, "array '" + name + "' " + Arrays.toString(dims) + " needs " + numel * width
                    + " bytes of data, has " + data.length);
        }
        if (type == MI_UINT8) {
            out.put(name, new Array(name, dims, data, null));
            return;
        }
        ByteBuffer vb = ByteBuffer.wrap(data).order(order);
        double[] v = new double[(int) numel];
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (type) {
                case MI_INT8 -> vb.get();
                case MI_INT16 -> vb.getShort();
                case MI_UINT16 -> vb.getShort() & 0xFFFF;
                case MI_INT32 -> vb.getInt();
                case MI_UINT32 -> Integer.toUnsignedLong(vb.getInt());
                case MI_SINGLE -> vb.getFloat();
                case MI_DOUBLE -> vb.getDouble();
                default -> (double) vb.getLong();
            };
        }
        out.put(name, new Array(name, dims, null, v));
    }

    /**
     * A variable name as it may appear in messages: MATLAB names are short identifiers, so anything
     * else (a damaged file's binary bytes) is shown escaped and cut to 40 characters, never raw.
     */
    static String printable(String raw) {
        StringBuilder b = new StringBuilder();
        for (char ch : raw.toCharArray()) {
            if (b.length() >= 40) { b.append("…"); break; }
            if (ch >= 0x20 && ch < 0x7f) b.append(ch);
            else b.append(String.format("\\x%02x", (int) ch));
        }
        return b.toString();
    }
}
