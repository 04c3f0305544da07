package io.classwise.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * One writer at a time per run directory: RUN/.lock holds the owner's process id and purpose under an OS
 * file lock for as long as it trains or writes a diagnosis. The OS releases the lock when the process dies
 * (even by kill -9), so a file left by a killed process never blocks. A finished owner deletes the file while
 * still holding the lock; a process that locked the file just before it was deleted notices that the path no
 * longer names the file it locked and tries again, so two processes never hold "the" lock on different files.
 * A second writer — another process or another owner in this JVM — is refused with a message naming the owner.
 */
public final class RunLock implements AutoCloseable {
    static final String FILE = ".lock";
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(Path file, FileChannel channel, FileLock lock) { this.file = file; this.channel = channel; this.lock = lock; }

    /** Locks runDir (created if absent) for training. */
    static RunLock acquire(Path runDir) throws IOException { return acquire(runDir, "training"); }

    /** Locks runDir (created if absent); purpose ("training", "diagnose") is recorded for the message another process gets. */
    public static RunLock acquire(Path runDir, String purpose) throws IOException {
        Files.createDirectories(runDir);
        Path f = runDir.resolve(FILE);
        for (int attempt = 0; ; attempt++) {
            FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException sameJvm) {
                l = null;
            }
            if (l == null) {
                String owner = readOwner(f).replaceAll(" #\\d+$", "");
                ch.close();
                throw new IllegalStateException(runDir + " is in use by another process (" + (owner.isEmpty() ? "unknown process" : owner)
                        + "); wait for it to finish, or choose another directory");
            }
            String owner = "pid " + ProcessHandle.current().pid() + ", " + purpose + " since " + Instant.now() + " #" + System.nanoTime();
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(owner.getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(true);
            // Our words read back through the path prove that the path names the file we locked; otherwise the previous
            // owner deleted it between our open and our lock, and whoever holds the path's file wrote (or will write) theirs.
            if (!readOwner(f).equals(owner) && attempt < 100) {
                l.release();
                ch.close();
                continue;
            }
            return new RunLock(f, ch, l);
        }
    }

    private static String readOwner(Path f) {
        try {
            return new String(Files.readAllBytes(f), StandardCharsets.UTF_8).trim();
        } catch (IOException gone) {
            return "";
        }
    }

    @Override
    public void close() throws IOException {
        try {
            Files.deleteIfExists(file);
        } finally {
            try {
                lock.release();
            } finally {
                channel.close();
            }
        }
    }
}
