package io.classwise.data.download;

import io.classwise.util.FileDigests;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Downloads a file into {@code <name>.part}, resuming with an HTTP Range request after a dropped
 * connection, verifies its MD5, and only then renames it to its final name: a partial or corrupt
 * download never sits under the final name.
 */
public final class Downloader {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Downloader.class);

    private final int attemptsPerUrl;
    private final int timeoutMillis;
    private final PrintStream log;

    public Downloader(int attemptsPerUrl, int timeoutMillis, PrintStream log) {
        this.attemptsPerUrl = attemptsPerUrl; this.timeoutMillis = timeoutMillis; this.log = log;
    }

    public Downloader(PrintStream log) { this(4, 30_000, log); }

    /** Thrown when a download completes but its checksum is wrong (the partial file is removed). */
    public static final class ChecksumException extends IOException {
        public ChecksumException(String message) { super(message); }
    }

    /** Whether a file already present is usable although its MD5 differs (e.g. recompressed): null if so, else the problem. */
    @FunctionalInterface
    public interface ContentCheck { String problem(Path file); }

    /** Ensures {@code dir/fileName} exists with the right checksum; returns its path. */
    public Path fetch(RemoteFile f, Path dir) throws IOException { return fetch(f, dir, null); }

    /**
     * As above. A file already present under the final name is never deleted before its replacement is
     * complete and verified: with a wrong MD5 it is kept if {@code check} (nullable) finds its content
     * valid (a differently compressed copy), else replaced only by a verified download.
     */
    public Path fetch(RemoteFile f, Path dir, ContentCheck check) throws IOException {
        Files.createDirectories(dir);
        Path target = dir.resolve(f.fileName()), part = dir.resolve(f.fileName() + ".part");
        if (Files.exists(target)) {
            if (md5(target).equals(f.md5())) {
                log.println(f.fileName() + ": present, checksum OK");
                return target;
            }
            String problem = check == null ? "no content check for this file" : check.problem(target);
            if (problem == null) {
                log.println(f.fileName() + ": present with another MD5 than the official file, but its content reads correctly; kept "
                        + "(delete it to download the official one)");
                return target;
            }
            LOG.warn("{}: present but its MD5 differs from the official file's ({}); downloading a replacement, kept until it is verified",
                    f.fileName(), problem);
        }
        IOException last = null;
        for (String url : f.urls()) {
            for (int attempt = 1; attempt <= attemptsPerUrl; attempt++) {
                try {
                    transfer(url, part);
                    String got = md5(part);
                    if (!got.equals(f.md5())) {
                        Files.deleteIfExists(part);
                        throw new ChecksumException(f.fileName() + " from " + url + " has MD5 " + got + ", expected " + f.md5()
                                + " (corrupted download or changed upstream file); nothing was kept");
                    }
                    try {
                        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                    log.println(f.fileName() + ": downloaded, checksum OK");
                    return target;
                } catch (ChecksumException e) {
                    LOG.warn("{}: {}", f.fileName(), e.getMessage());
                    last = e;
                    break; // a complete but wrong file: try the next mirror, not the same one again
                } catch (HttpStatusException e) {
                    last = e;
                    LOG.warn("{}: {} ({})", f.fileName(), e.getMessage(), e.retryable() ? "retrying" : "not retried");
                    if (!e.retryable()) break; // 404 and the like: asking again will not help; try the next mirror
                } catch (IOException e) {
                    last = e;
                    LOG.warn("{}: attempt {} from {} failed ({}){}", f.fileName(), attempt, url, e.getMessage(),
                            attempt < attemptsPerUrl ? "; resuming" : "");
                }
            }
        }
        if (last instanceof ChecksumException) throw last;
        boolean partial = Files.exists(part) && Files.size(part) > 0;
        throw new IOException("could not download " + f.fileName() + " from " + f.urls() + ": " + (last == null ? "?" : last.getMessage())
                + (partial ? "; the partial file " + part + " (" + Files.size(part) + " bytes) is kept and the next run resumes it"
                        : "; nothing was kept")
                + (Files.exists(target) ? "; the file already present was left as it was" : ""), last);
    }

    /** An HTTP error status; client errors other than timeouts and rate limits are not worth repeating. */
    static final class HttpStatusException extends IOException {
        final int code;

        HttpStatusException(int code, String url) {
            super("HTTP " + code + " for " + url);
            this.code = code;
        }

        boolean retryable() { return code >= 500 || code == 408 || code == 429; }
    }

    /** Appends the rest of url to part (Range from its current size); restarts if the server ignores Range. */
    private void transfer(String url, Path part) throws IOException {
        long have = Files.exists(part) ? Files.size(part) : 0;
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        c.setConnectTimeout(timeoutMillis);
        c.setReadTimeout(timeoutMillis);
        c.setInstanceFollowRedirects(true);
        if (have > 0) c.setRequestProperty("Range", "bytes=" + have + "-");
        int code = c.getResponseCode();
        boolean append;
        if (code == HttpURLConnection.HTTP_PARTIAL) append = true;
        else if (code == HttpURLConnection.HTTP_OK) append = false;
        else if (code == 416 && have > 0) { c.disconnect(); return; } // already complete: the checksum decides
        else throw new HttpStatusException(code, url);
        long expected = c.getContentLengthLong(), got;
        try (InputStream in = c.getInputStream();
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            got = in.transferTo(out);
        } finally {
            c.disconnect();
        }
        // A server that drops the connection mid-body can look like a normal end of stream.
        if (expected >= 0 && got < expected) throw new IOException("connection closed after " + got + " of " + expected + " bytes");
    }

    public static String md5(Path file) throws IOException { return FileDigests.hex(file, "MD5"); }
}
