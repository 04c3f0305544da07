package io.classwise.util;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a file so that readers see either the old complete file or the new complete file, never a
 * partial one: write a temporary sibling, fsync, rename over the target.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    public interface Writer { void write(OutputStream out) throws IOException; }

    /** Makes a rename or a new file in dir durable (the directory entry itself); a no-op where directories cannot be opened. */
    public static void syncDirectory(Path dir) {
        if (dir == null) return;
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException notSupported) {
            // Windows cannot open a directory; its renames are durable enough for our purpose.
        }
    }

    /**
     * Appends one line to a text file and fsyncs it (a crash leaves at most a torn last line, which
     * readers of such files drop).
     */
    public static void appendLine(Path file, String line) throws IOException {
        CrashPoints.step("appending to " + file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) ch.write(b);
            CrashPoints.step("fsync of " + file);
            ch.force(true);
        } catch (IOException e) {
            throw named(file, "appending to", e);
        }
    }

    /** "No space left on device" and the like say nothing about which file: name it (once). */
    private static IOException named(Path file, String doing, IOException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains(file.getFileName().toString())) return e;
        return new IOException(doing + " " + file.toAbsolutePath() + ": " + m, e);
    }

    /** Deletes temporary files a crash left beside the final ones ({@code .NAME.*.tmp}) in dir; returns how many. */
    public static int removeTemporaries(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return 0;
        int n = 0;
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.startsWith(".") && name.endsWith(".tmp") && Files.isRegularFile(f)) { Files.delete(f); n++; }
            }
        }
        return n;
    }

    public static void write(Path target, Writer body) throws IOException {
        try {
            writeAtomically(target, body);
        } catch (IOException e) {
            throw named(target, "writing", e);
        }
    }

    private static void writeAtomically(Path target, Writer body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) Files.createDirectories(dir);
        CrashPoints.step("writing a temporary file for " + abs);
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        try {
            // Temporary files are created owner-only; the result is an ordinary readable file.
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException notPosix) {
                // Windows: the default ACL is fine.
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream os = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
                body.write(os);
                os.flush();
                CrashPoints.step("fsync of the temporary file for " + abs);
                ch.force(true);
            }
            CrashPoints.step("renaming the temporary file to " + abs);
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            CrashPoints.step("fsync of the directory of " + abs);
            syncDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
