package io.classwise.nn.checkpoint;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A {@code torch.save} file (.pt, .pth, .bin; the zip format of PyTorch ≥ 1.6) read without executing any
 * of it: data.pkl through {@link TorchPickle}, the storages from data/N, each tensor materialised from its
 * dtype, size, stride and offset. The weights are found at the top level or under a usual key
 * (state_dict, model_state_dict, model, net, …), the DataParallel prefix "module." is dropped, and every
 * entry that is not a tensor (optimizer state, epoch, …) is listed, not loaded.
 */
public final class TorchCheckpoint {
    private TorchCheckpoint() {}

    /** Keys under which checkpoints keep their weights, tried in order when the top level is not a state dict. */
    public static final List<String> WEIGHT_KEYS = List.of("state_dict", "model_state_dict", "model", "net", "state_dict_ema", "model_ema",
            "ema", "params", "weights");

    /** Largest archive entry read (a declared size beyond it is refused: no zip bomb expands here). */
    static final long MAX_ENTRY_BYTES = 8L << 30;

    /** Largest tensor materialised (elements), far above any model layer's. */
    static final long MAX_ELEMENTS = 1L << 28;

    /**
     * The weights: name → tensor (float tensors as F32 whatever their stored type; integer scalars such as
     * num_batches_tracked as I64), where they were found ("" = top level), and what was passed over.
     */
    public record Contents(Map<String, Safetensors.Entry> tensors, String foundUnder, List<String> ignored, boolean dataParallel) {}

    /**
     * Whether the file is a torch.save file, told by its first bytes: a zip archive (PyTorch ≥ 1.6), or the
     * pre-1.6 formats (a tar, or a raw pickle), which {@link #read} refuses with a hint to re-save. Callers
     * that read anything else as safetensors thus never misreport a legacy .pt as a broken safetensors header.
     */
    public static boolean isTorchFile(Path file) throws IOException {
        Safetensors.requireRegularFile(file);
        return isZip(file) || looksLikeLegacy(file);
    }

    private static boolean isZip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(4);
            return head.length == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        }
    }

    public static Contents read(Path file) throws IOException {
        if (!isZip(file)) {
            String hint = looksLikeLegacy(file) ? " It looks like the pre-1.6 format (a tar or raw pickle): re-save it with PyTorch ≥ 1.6, "
                    + "e.g. torch.save(torch.load(f), g), or with safetensors." : "";
            throw new SafetensorsFormatException(file, "not a torch.save zip archive (no 'PK' header)." + hint);
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Map<String, ZipEntry> byName = new HashMap<>();
            String prefix = null;
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                ZipEntry z = e.nextElement();
                byName.put(z.getName(), z);
                if (z.getName().endsWith("/data.pkl") || z.getName().equals("data.pkl")) {
                    prefix = z.getName().substring(0, z.getName().length() - "data.pkl".length());
                }
            }
            if (prefix == null) throw new SafetensorsFormatException(file, "the archive has no data.pkl: not a torch.save file");
            ByteOrder order = ByteOrder.LITTLE_ENDIAN;
            ZipEntry bo = byName.get(prefix + "byteorder");
            if (bo != null && new String(entry(zip, bo, file), StandardCharsets.US_ASCII).trim().equals("big")) {
                order = ByteOrder.BIG_ENDIAN;
            }
            Object root = TorchPickle.read(entry(zip, byName.get(prefix + "data.pkl"), file), file);
            Map<String, byte[]> storages = new HashMap<>();
            String under = "";
            // torch.save(tensor, f): one bare tensor (inputs for predict), read as {"tensor": it}.
            if (root instanceof TorchPickle.TensorRef bare) root = Map.of("tensor", bare);
            Map<?, ?> dict = asDict(root);
            if (dict == null) throw new SafetensorsFormatException(file, "holds a " + describe(root) + ", not a dict of tensors");
            if (!holdsTensors(dict)) {
                for (String k : WEIGHT_KEYS) {
                    Map<?, ?> inner = asDict(dict.get(k));
                    if (inner != null && holdsTensors(inner)) { dict = inner; under = k; break; }
                }
            }
            if (!holdsTensors(dict)) throw new SafetensorsFormatException(file, "no tensors at the top level or under " + WEIGHT_KEYS
                    + "; keys: " + dict.keySet());
            Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
            List<String> ignored = new ArrayList<>();
            boolean allModule = true;
            for (Map.Entry<?, ?> e : dict.entrySet()) {
                String name = String.valueOf(e.getKey());
                if (e.getValue() instanceof TorchPickle.TensorRef t) {
                    tensors.put(name, materialise(zip, byName, prefix, t, order, storages, file, name));
                    allModule &= name.startsWith("module.");
                } else if (!name.equals("__state__")) {
                    ignored.add((under.isEmpty() ? "" : under + ".") + name + " (" + describe(e.getValue()) + ")");
                }
            }
            if (!under.isEmpty()) {
                for (Map.Entry<?, ?> e : asDict(root).entrySet()) if (!String.valueOf(e.getKey()).equals(under)) ignored.add(e.getKey() + "");
            }
            boolean dataParallel = allModule && !tensors.isEmpty();
            if (dataParallel) {
                Map<String, Safetensors.Entry> stripped = new LinkedHashMap<>();
                tensors.forEach((k, v) -> stripped.put(k.substring("module.".length()), v));
                tensors = stripped;
            }
            return new Contents(tensors, under, ignored, dataParallel);
        } catch (ZipException | EOFException e) {
            throw new SafetensorsFormatException(file, "a damaged zip archive (" + e.getMessage() + ")");
        }
    }

    private static Safetensors.Entry materialise(ZipFile zip, Map<String, ZipEntry> byName, String prefix, TorchPickle.TensorRef t,
                                                 ByteOrder order, Map<String, byte[]> cache, Path file, String name) throws IOException {
        TorchPickle.Storage s = t.storage();
        byte[] data = cache.get(s.key());
        if (data == null) {
            ZipEntry z = byName.get(prefix + "data/" + s.key());
            if (z == null) throw new SafetensorsFormatException(file, "tensor '" + name + "' names storage data/" + s.key() + ", which the archive lacks");
            data = entry(zip, z, file);
            cache.put(s.key(), data);
        }
        if (timesOrMax(s.numel(), s.dtype().bytes) > data.length) {
            throw new SafetensorsFormatException(file, "storage data/" + s.key() + " declares " + s.numel() + " elements of " + s.dtype()
                    + " but holds " + data.length + " bytes");
        }
        long numel = 1;
        int[] shape = new int[t.size().length];
        for (int i = 0; i < shape.length; i++) {
            if (t.size()[i] < 0 || t.size()[i] > Integer.MAX_VALUE) throw new SafetensorsFormatException(file, "tensor '" + name + "' has a bad size");
            shape[i] = (int) t.size()[i];
            numel = timesOrMax(numel, t.size()[i]);
        }
        if (numel > MAX_ELEMENTS) throw new SafetensorsFormatException(file, "tensor '" + name + "' has " + numel + " elements; at most "
                + MAX_ELEMENTS + " are loaded");
        // Every element's position in the storage: offset + Σ index_d · stride_d. The extremes are checked before anything is allocated.
        long[] stride = t.stride();
        if (stride.length != shape.length) throw new SafetensorsFormatException(file, "tensor '" + name + "': size and stride differ in rank");
        if (numel > 0) {
            long lo = t.offset(), hi = t.offset();
            for (int d = 0; d < shape.length; d++) {
                long reach;
                try {
                    reach = Math.multiplyExact(shape[d] - 1L, stride[d]);
                } catch (ArithmeticException overflow) {
                    reach = Long.MAX_VALUE;
                }
                if (reach == Long.MAX_VALUE || reach == Long.MIN_VALUE || Math.abs(reach) > s.numel()) {
                    throw new SafetensorsFormatException(file, "tensor '" + name + "' strides past its storage of " + s.numel() + " elements");
                }
                if (reach < 0) lo += reach; else hi += reach;
            }
            checkPosition(lo, s, file, name);
            checkPosition(hi, s, file, name);
        }
        ByteBuffer buf = ByteBuffer.wrap(data).order(order);
        int n = (int) numel;
        boolean integral = s.dtype() == TorchPickle.DType.INT64 || s.dtype() == TorchPickle.DType.INT32 || s.dtype() == TorchPickle.DType.INT16
                || s.dtype() == TorchPickle.DType.INT8 || s.dtype() == TorchPickle.DType.UINT8 || s.dtype() == TorchPickle.DType.BOOL;
        if (integral && n == 1 && shape.length == 0) {
            long pos = t.offset();
            checkPosition(pos, s, file, name);
            return Safetensors.Entry.i64(new int[0], (long) read(buf, s.dtype(), pos));
        }
        float[] out = new float[n];
        if (s.dtype() == TorchPickle.DType.FLOAT32 && contiguous(shape, stride)) {
            // The common case (a contiguous fp32 parameter): one bulk copy.
            buf.slice((int) (t.offset() * 4), n * 4).order(order).asFloatBuffer().get(out);
            return Safetensors.Entry.f32(shape, out);
        }
        // Every position lies between the extremes checked above.
        int[] index = new int[shape.length];
        for (int i = 0; i < n; i++) {
            long pos = t.offset();
            for (int d = 0; d < shape.length; d++) pos += index[d] * stride[d];
            out[i] = (float) read(buf, s.dtype(), pos);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++index[d] < shape[d]) break;
                index[d] = 0;
            }
        }
        return Safetensors.Entry.f32(shape, out);
    }

    /** Whether size/stride describe a row-major contiguous block. */
    private static boolean contiguous(int[] shape, long[] stride) {
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    private static void checkPosition(long pos, TorchPickle.Storage s, Path file, String name) throws SafetensorsFormatException {
        if (pos < 0 || pos >= s.numel()) throw new SafetensorsFormatException(file, "tensor '" + name + "' reaches element " + pos
                + " of a storage of " + s.numel());
    }

    private static double read(ByteBuffer b, TorchPickle.DType t, long element) {
        int at = (int) (element * t.bytes);
        return switch (t) {
            case FLOAT32 -> b.getFloat(at);
            case FLOAT64 -> b.getDouble(at);
            case FLOAT16 -> halfToFloat(b.getShort(at));
            case BFLOAT16 -> Float.intBitsToFloat((b.getShort(at) & 0xffff) << 16);
            case INT64 -> b.getLong(at);
            case INT32 -> b.getInt(at);
            case INT16 -> b.getShort(at);
            case INT8 -> b.get(at);
            case UINT8 -> b.get(at) & 0xff;
            case BOOL -> b.get(at) != 0 ? 1 : 0;
        };
    }

    /** IEEE 754 binary16 → float (JDK 17 has no Float.float16ToFloat). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff, sign = (bits >>> 15) << 31, exp = (bits >>> 10) & 0x1f, mant = bits & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13)); // Inf / NaN
        if (exp == 0) {
            float v = mant * 0x1p-24f; // subnormal (or zero)
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    private static byte[] entry(ZipFile zip, ZipEntry z, Path file) throws IOException {
        long size = z.getSize();
        // torch.save stores its entries uncompressed; a compressed entry may expand, but not beyond 64× the whole file.
        long limit = Math.min(MAX_ENTRY_BYTES, 64 * Files.size(file) + (1 << 20));
        if (size > limit || size > Integer.MAX_VALUE - 16) {
            throw new SafetensorsFormatException(file, z.getName() + " declares " + size + " bytes in a file of " + Files.size(file) + "; refused");
        }
        try (InputStream in = zip.getInputStream(z)) {
            byte[] b = in.readNBytes((int) (size < 0 ? Math.min(limit, Integer.MAX_VALUE - 16) : size));
            if (size >= 0 && b.length != size) throw new SafetensorsFormatException(file, z.getName() + " is truncated (" + b.length + " of "
                    + size + " bytes)");
            return b;
        }
    }

    /** a · b for sizes read from a file, Long.MAX_VALUE where it overflows (any size check then fails with its own message). */
    private static long timesOrMax(long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException overflow) {
            return Long.MAX_VALUE;
        }
    }

    private static boolean looksLikeLegacy(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(512);
            // A raw pickle starts with PROTO (0x80); a tar has "ustar" at 257.
            return (head.length > 0 && (head[0] & 0xff) == 0x80)
                    || (head.length >= 262 && new String(head, 257, 5, StandardCharsets.US_ASCII).equals("ustar"));
        }
    }

    private static Map<?, ?> asDict(Object o) { return o instanceof Map<?, ?> m ? m : null; }

    private static boolean holdsTensors(Map<?, ?> m) {
        for (Object v : m.values()) if (v instanceof TorchPickle.TensorRef) return true;
        return false;
    }

    private static String describe(Object o) {
        if (o == null) return "None";
        if (o instanceof Map<?, ?> m) return "dict of " + m.size();
        if (o instanceof List<?> l) return "list of " + l.size();
        if (o instanceof TorchPickle.Tuple t) return "tuple of " + t.items().size();
        return o.getClass().getSimpleName().toLowerCase(Locale.ROOT);
    }
}
