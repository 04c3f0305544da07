package io.classwise.nn.checkpoint;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A restricted reader of Python pickles (protocols 2–5) for {@code torch.save} files: it builds values —
 * dicts, lists, tuples, strings, numbers, bytes — and tensor references, and it never calls anything. A
 * GLOBAL may name only what rebuilding a state dict needs (an ordered dict, the tensor and parameter
 * rebuild functions, the typed storages); REDUCE applies only those, by this code's own meaning of them.
 * Any other global (e.g. {@code posix.system}, {@code builtins.eval}) is refused with an error naming it,
 * before anything could run. Persistent ids (PyTorch's storages) become {@link Storage} references that
 * the archive reader resolves to its data/N entries.
 */
public final class TorchPickle {
    private TorchPickle() {}

    /** A tuple (distinct from a list, as in Python). */
    public record Tuple(List<Object> items) {}

    /** An allowlisted global, as a value until it is applied. */
    public record Global(String module, String name) {
        @Override public String toString() { return module + "." + name; }
    }

    /** PyTorch's element type of a storage, with its size in bytes. */
    public enum DType {
        FLOAT32(4), FLOAT64(8), FLOAT16(2), BFLOAT16(2), INT64(8), INT32(4), INT16(2), INT8(1), UINT8(1), BOOL(1);
        public final int bytes;
        DType(int bytes) { this.bytes = bytes; }
    }

    /** A storage persisted outside the pickle: the archive's data/{key}, numel elements of dtype. */
    public record Storage(String key, DType dtype, long numel) {}

    /** torch._utils._rebuild_tensor_v2's arguments: a view of a storage. */
    public record TensorRef(Storage storage, long offset, long[] size, long[] stride) {}

    /** The storage classes a persistent id may name, by their torch.* name. */
    private static final Map<String, DType> STORAGES = Map.ofEntries(
            Map.entry("FloatStorage", DType.FLOAT32), Map.entry("DoubleStorage", DType.FLOAT64), Map.entry("HalfStorage", DType.FLOAT16),
            Map.entry("BFloat16Storage", DType.BFLOAT16), Map.entry("LongStorage", DType.INT64), Map.entry("IntStorage", DType.INT32),
            Map.entry("ShortStorage", DType.INT16), Map.entry("CharStorage", DType.INT8), Map.entry("ByteStorage", DType.UINT8),
            Map.entry("BoolStorage", DType.BOOL), Map.entry("UntypedStorage", DType.UINT8));

    /** Everything a GLOBAL may name. */
    private static final Set<String> ALLOWED = Set.of("collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state", "builtins.set", "builtins.frozenset");

    private static final Object MARK = new Object();

    /** Reads one pickle; {@code file} names it in errors. */
    public static Object read(byte[] pickle, Path file) throws SafetensorsFormatException {
        return new Reader(pickle, file).run();
    }

    private static final class Reader {
        private final ByteBuffer in;
        private final Path file;
        private final List<Object> stack = new ArrayList<>();
        private final Map<Long, Object> memo = new HashMap<>();

        Reader(byte[] pickle, Path file) {
            this.in = ByteBuffer.wrap(pickle).order(ByteOrder.LITTLE_ENDIAN);
            this.file = file;
        }

        private SafetensorsFormatException bad(String what) {
            return new SafetensorsFormatException(file, "data.pkl: " + what + " (at byte " + in.position() + "); nothing in it was executed");
        }

        Object run() throws SafetensorsFormatException {
            try {
                while (true) {
                    int op = in.get() & 0xff;
                    switch (op) {
                        case 0x80 -> { int proto = in.get() & 0xff; if (proto < 2 || proto > 5) throw bad("pickle protocol " + proto + " (2–5 supported)"); }
                        case 0x95 -> in.getLong(); // FRAME: a length hint
                        case '.' -> { return pop(); } // STOP
                        case '(' -> stack.add(MARK);
                        case '0' -> pop();
                        case '1' -> popMark();
                        case '2' -> stack.add(peek());
                        case '}' -> stack.add(new LinkedHashMap<Object, Object>());
                        case ']' -> stack.add(new ArrayList<Object>());
                        case ')' -> stack.add(new Tuple(List.of()));
                        case 't' -> stack.add(new Tuple(popMark()));
                        // Tuples may hold None: Arrays.asList, not List.of.
                        case 0x85 -> stack.add(new Tuple(Arrays.asList(pop())));
                        case 0x86 -> { Object b = pop(), a = pop(); stack.add(new Tuple(Arrays.asList(a, b))); }
                        case 0x87 -> { Object c = pop(), b = pop(), a = pop(); stack.add(new Tuple(Arrays.asList(a, b, c))); }
                        case 'l' -> stack.add(new ArrayList<>(popMark()));
                        case 'd' -> { List<Object> kv = popMark(); Map<Object, Object> m = new LinkedHashMap<>(); putAll(m, kv); stack.add(m); }
                        case 'a' -> { Object v = pop(); list(peek()).add(v); }
                        case 'e' -> { List<Object> vs = popMark(); list(peek()).addAll(vs); }
                        case 's' -> { Object v = pop(), k = pop(); dict(peek()).put(key(k), v); }
                        case 'u' -> { List<Object> kv = popMark(); putAll(dict(peek()), kv); }
                        case 0x8f -> stack.add(new ArrayList<Object>()); // EMPTY_SET, kept as a list
                        case 0x90 -> { List<Object> vs = popMark(); list(peek()).addAll(vs); } // ADDITEMS
                        case 0x91 -> stack.add(new ArrayList<>(popMark())); // FROZENSET
                        case 'J' -> stack.add((long) in.getInt());
                        case 'K' -> stack.add((long) (in.get() & 0xff));
                        case 'M' -> stack.add((long) (in.getShort() & 0xffff));
                        case 0x8a -> stack.add(longOf(in.get() & 0xff)); // LONG1
                        case 0x8b -> stack.add(longOf(in.getInt()));      // LONG4
                        case 'G' -> stack.add(ByteBuffer.wrap(bytes(8)).getDouble()); // BINFLOAT is big-endian
                        case 'N' -> stack.add(null);
                        case 0x88 -> stack.add(Boolean.TRUE);
                        case 0x89 -> stack.add(Boolean.FALSE);
                        case 'X' -> stack.add(utf8(in.getInt()));
                        case 0x8c -> stack.add(utf8(in.get() & 0xff));
                        case 0x8d -> stack.add(utf8(length(in.getLong())));
                        case 'T' -> stack.add(utf8(in.getInt()));          // BINSTRING (protocol-2 str)
                        case 'U' -> stack.add(utf8(in.get() & 0xff));     // SHORT_BINSTRING
                        case 'B' -> stack.add(bytes(in.getInt()));
                        case 'C' -> stack.add(bytes(in.get() & 0xff));
                        case 0x8e -> stack.add(bytes(length(in.getLong())));
                        case 0x96 -> stack.add(bytes(length(in.getLong()))); // BYTEARRAY8
                        case 'c' -> stack.add(global(line(), line()));
                        case 0x93 -> { Object name = pop(), module = pop(); stack.add(global(string(module), string(name))); }
                        case 'q' -> memo.put((long) (in.get() & 0xff), peek());
                        case 'r' -> memo.put(in.getInt() & 0xffffffffL, peek());
                        case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
                        case 'h' -> stack.add(memoGet(in.get() & 0xff));
                        case 'j' -> stack.add(memoGet(in.getInt() & 0xffffffffL));
                        case 'R' -> { Object args = pop(), f = pop(); stack.add(reduce(f, args)); }
                        case 'b' -> { Object state = pop(); build(peek(), state); }
                        case 'Q' -> stack.add(persistent(pop()));
                        case 0x81, 0x92 -> throw bad("NEWOBJ on " + (stack.size() >= 2 ? stack.get(stack.size() - 2) : "?")
                                + " builds an arbitrary object; refused");
                        default -> throw bad(String.format("opcode 0x%02x ('%c') is not used by torch.save; refused", op, (char) op));
                    }
                }
            } catch (BufferUnderflowException e) {
                throw bad("the pickle ends before its STOP");
            } catch (ClassCastException | IndexOutOfBoundsException e) {
                throw bad("malformed: an opcode found " + (e instanceof ClassCastException ? "a value of the wrong kind" : "no value where it "
                        + "needs one") + " on the stack");
            }
        }

        private Object global(String module, String name) throws SafetensorsFormatException {
            String full = module + "." + name;
            if (module.equals("torch") && STORAGES.containsKey(name)) return new Global(module, name);
            if (!ALLOWED.contains(full)) {
                throw bad("global '" + full + "' is not one a PyTorch state dict needs; refused");
            }
            return new Global(module, name);
        }

        /** What the allowlisted callables mean, computed here; nothing is called. */
        private Object reduce(Object f, Object args) throws SafetensorsFormatException {
            if (!(f instanceof Global g)) throw bad("REDUCE on " + describe(f) + ", which is not an allowlisted callable; refused");
            List<Object> a = tuple(args);
            switch (g.toString()) {
                case "collections.OrderedDict" -> {
                    Map<Object, Object> m = new LinkedHashMap<>();
                    if (!a.isEmpty() && a.get(0) instanceof List<?> pairs) {
                        for (Object p : pairs) { List<Object> kv = tuple(p); m.put(key(kv.get(0)), kv.get(1)); }
                    }
                    return m;
                }
                case "torch._utils._rebuild_tensor_v2" -> {
                    if (a.size() < 4 || !(a.get(0) instanceof Storage s)) throw bad("_rebuild_tensor_v2 without a storage");
                    return new TensorRef(s, number(a.get(1)), longs(a.get(2)), longs(a.get(3)));
                }
                case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state" -> {
                    if (a.isEmpty() || !(a.get(0) instanceof TensorRef t)) throw bad(g + " without a tensor");
                    return t; // a Parameter is its tensor here
                }
                case "builtins.set", "builtins.frozenset" -> { return a.isEmpty() ? new ArrayList<>() : new ArrayList<>((List<?>) a.get(0)); }
                default -> throw bad("REDUCE on " + g + ", which rebuilds nothing a state dict holds; refused");
            }
        }

        /** BUILD: an OrderedDict's attributes (state dict _metadata) are kept as a "__state__" entry; anything else is refused. */
        private void build(Object target, Object state) throws SafetensorsFormatException {
            if (target instanceof Map<?, ?>) {
                @SuppressWarnings("unchecked") Map<Object, Object> m = (Map<Object, Object>) target;
                m.put("__state__", state);
                return;
            }
            if (target instanceof TensorRef) return; // a tensor's Python attributes (_rebuild_parameter_with_state)
            throw bad("BUILD on " + describe(target) + "; refused");
        }

        /** ('storage', torch.XStorage, key, location, numel) → a storage reference. */
        private Object persistent(Object pid) throws SafetensorsFormatException {
            List<Object> t = tuple(pid);
            if (t.size() < 5 || !"storage".equals(t.get(0)) || !(t.get(1) instanceof Global g) || !STORAGES.containsKey(g.name())) {
                throw bad("persistent id " + describe(pid) + " is not a PyTorch storage");
            }
            long numel = number(t.get(4));
            if (numel < 0) throw bad("a storage of " + numel + " elements");
            return new Storage(string(t.get(2)), STORAGES.get(g.name()), numel);
        }

        private Object pop() throws SafetensorsFormatException {
            if (stack.isEmpty()) throw bad("an opcode takes a value from an empty stack (a truncated or hand-made pickle)");
            return stack.remove(stack.size() - 1);
        }

        private Object peek() throws SafetensorsFormatException {
            if (stack.isEmpty()) throw bad("an opcode needs a value on an empty stack (a truncated or hand-made pickle)");
            return stack.get(stack.size() - 1);
        }

        private List<Object> popMark() throws SafetensorsFormatException {
            int i = stack.size() - 1;
            while (i >= 0 && stack.get(i) != MARK) i--;
            if (i < 0) throw bad("no MARK on the stack");
            List<Object> items = new ArrayList<>(stack.subList(i + 1, stack.size()));
            stack.subList(i, stack.size()).clear();
            return items;
        }

        private Object memoGet(long i) throws SafetensorsFormatException {
            if (!memo.containsKey(i)) throw bad("memo " + i + " used before it was set");
            return memo.get(i);
        }

        private void putAll(Map<Object, Object> m, List<Object> kv) throws SafetensorsFormatException {
            if (kv.size() % 2 != 0) throw bad("an odd number of items for a dict");
            for (int i = 0; i < kv.size(); i += 2) m.put(key(kv.get(i)), kv.get(i + 1));
        }

        private Object key(Object k) throws SafetensorsFormatException {
            if (k instanceof String || k instanceof Long || k instanceof Boolean || k == null || k instanceof Double) return k;
            if (k instanceof Tuple t) return t.items().toString();
            throw bad("a dict key of type " + describe(k));
        }

        @SuppressWarnings("unchecked")
        private List<Object> list(Object o) throws SafetensorsFormatException {
            if (o instanceof List<?>) return (List<Object>) o;
            throw bad("APPEND to " + describe(o));
        }

        @SuppressWarnings("unchecked")
        private Map<Object, Object> dict(Object o) throws SafetensorsFormatException {
            if (o instanceof Map<?, ?>) return (Map<Object, Object>) o;
            throw bad("SETITEM on " + describe(o));
        }

        private List<Object> tuple(Object o) throws SafetensorsFormatException {
            if (o instanceof Tuple t) return t.items();
            if (o instanceof List<?> l) return new ArrayList<>(l);
            throw bad("expected a tuple, got " + describe(o));
        }

        private long number(Object o) throws SafetensorsFormatException {
            if (o instanceof Long l) return l;
            throw bad("expected an integer, got " + describe(o));
        }

        private long[] longs(Object o) throws SafetensorsFormatException {
            List<Object> t = tuple(o);
            long[] v = new long[t.size()];
            for (int i = 0; i < v.length; i++) v[i] = number(t.get(i));
            return v;
        }

        private String string(Object o) throws SafetensorsFormatException {
            if (o instanceof String s) return s;
            throw bad("expected a string, got " + describe(o));
        }

        private int length(long n) throws SafetensorsFormatException {
            if (n < 0 || n > in.remaining()) throw bad("a length of " + n + " bytes, past the end of the pickle");
            return (int) n;
        }

        private String utf8(int n) throws SafetensorsFormatException {
            return new String(bytes(n), StandardCharsets.UTF_8);
        }

        private byte[] bytes(int n) throws SafetensorsFormatException {
            if (n < 0 || n > in.remaining()) throw bad("a length of " + n + " bytes, past the end of the pickle");
            byte[] b = new byte[n];
            in.get(b);
            return b;
        }

        private Object longOf(int n) throws SafetensorsFormatException {
            if (n < 0 || n > 8) throw bad("an integer of " + n + " bytes (at most 8 supported)");
            byte[] b = bytes(n);
            long v = 0;
            for (int i = n - 1; i >= 0; i--) v = (v << 8) | (b[i] & 0xff);
            if (n > 0 && n < 8 && (b[n - 1] & 0x80) != 0) v -= 1L << (8 * n); // two's complement, little-endian
            return v;
        }

        /** A text line (GLOBAL's module and name), ASCII up to '\n'. */
        private String line() throws SafetensorsFormatException {
            StringBuilder sb = new StringBuilder();
            while (true) {
                byte c = in.get();
                if (c == '\n') return sb.toString();
                if (sb.length() > 256) throw bad("a GLOBAL name longer than 256 characters");
                sb.append((char) (c & 0xff));
            }
        }

        private static String describe(Object o) {
            return o == null ? "None" : o instanceof Global g ? g.toString() : o.getClass().getSimpleName();
        }
    }
}
