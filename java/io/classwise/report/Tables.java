package io.classwise.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.classwise.util.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Writes analysis results as JSON (any object Jackson can map) and CSV (a header and rows), atomically. */
public final class Tables {
    private Tables() {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static void json(Path file, Object value) throws IOException {
        AtomicFiles.write(file, out -> out.write(JSON.writeValueAsBytes(sanitize(value))));
    }

    /** NaN and infinities are not JSON: they become null. */
    private static Object sanitize(Object v) {
        return replaceNaN(JSON.valueToTree(v));
    }

    private static JsonNode replaceNaN(JsonNode n) {
        if (n.isDouble() || n.isFloat()) return Double.isFinite(n.asDouble()) ? n : NullNode.getInstance();
        if (n.isTextual() && (n.asText().equals("NaN") || n.asText().equals("Infinity") || n.asText().equals("-Infinity"))) {
            return NullNode.getInstance();
        }
        if (n.isObject()) {
            ObjectNode o = (ObjectNode) n;
            o.fieldNames().forEachRemaining(f -> o.set(f, replaceNaN(o.get(f))));
        } else if (n.isArray()) {
            ArrayNode a = (ArrayNode) n;
            for (int i = 0; i < a.size(); i++) a.set(i, replaceNaN(a.get(i)));
        }
        return n;
    }

    public static void csv(Path file, List<String> header, List<List<Object>> rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        line(sb, header.stream().map(h -> (Object) h).toList());
        for (List<Object> r : rows) line(sb, r);
        AtomicFiles.write(file, out -> out.write(sb.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private static void line(StringBuilder sb, List<Object> cells) {
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) sb.append(',');
            Object c = cells.get(i);
            String s = c == null ? "" : c instanceof Double d ? (Double.isFinite(d) ? String.format(Locale.ROOT, "%.6g", d) : "")
                    : c instanceof Float f ? String.format(Locale.ROOT, "%.6g", f) : c.toString();
            if (s.contains(",") || s.contains("\"") || s.contains("\n")) s = '"' + s.replace("\"", "\"\"") + '"';
            sb.append(s);
        }
        sb.append('\n');
    }
}
