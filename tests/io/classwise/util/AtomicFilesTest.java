package io.classwise.util;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Writes that never leave a partial file under the final name. */
class AtomicFilesTest {
    @TempDir Path dir;

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporary() throws IOException {
        Path f = dir.resolve("a.txt");
        AtomicFiles.write(f, out -> out.write("old".getBytes()));
        assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
            out.write("half of the new".getBytes());
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(f));
        try (var files = Files.list(dir)) {
            assertEquals(List.of("a.txt"), files.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void appendLinesAndRemoveTemporaries() throws IOException {
        Path f = dir.resolve("m.jsonl");
        AtomicFiles.appendLine(f, "{\"epoch\":1}");
        AtomicFiles.appendLine(f, "{\"epoch\":2}");
        assertEquals(List.of("{\"epoch\":1}", "{\"epoch\":2}"), Files.readAllLines(f));
        Files.writeString(dir.resolve(".m.jsonl.123.tmp"), "x");
        Files.writeString(dir.resolve("keep.tmp"), "not ours: no leading dot");
        assertEquals(1, AtomicFiles.removeTemporaries(dir));
        assertFalse(Files.exists(dir.resolve(".m.jsonl.123.tmp")));
        assertEquals(0, AtomicFiles.removeTemporaries(dir.resolve("missing")));
    }
}
