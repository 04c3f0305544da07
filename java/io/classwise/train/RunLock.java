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
 * One run at a time per run directory: RUN/.lock holds the owner's process id under an OS file lock
 * for the life of the run. The OS releases the lock when the process dies (even by kill -9), so a stale
 * file never blocks (the file itself stays: deleting it could let two later runs lock different files);
 * a second run — another process or another Trainer in this JVM — is refused with a message naming the owner.
 */
final class RunLock implements AutoCloseable {
    static final String FILE = ".lock";
    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(FileChannel channel, FileLock lock) { this.channel = channel; this.lock = lock; }

    static RunLock acquire(Path runDir) throws IOException {
        Files.createDirectories(runDir);
        Path f = runDir.resolve(FILE);
        FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException sameJvm) {
            l = null;
        }
        if (l == null) {
            String owner = new String(Files.readAllBytes(f), StandardCharsets.UTF_8).trim();
            ch.close();
            throw new IllegalStateException(runDir + " is in use by another run (" + (owner.isEmpty() ? "unknown process" : owner)
                    + "); wait for it to finish or choose another --out");
        }
        ch.truncate(0);
        ch.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + ", started "
                + Instant.now()).getBytes(StandardCharsets.UTF_8)), 0);
        ch.force(true);
        return new RunLock(ch, l);
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
