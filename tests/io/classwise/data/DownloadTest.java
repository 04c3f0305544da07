package io.classwise.data;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.classwise.data.download.Downloader;
import io.classwise.data.download.RemoteFile;
import io.classwise.data.download.TarGz;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The downloader against a real HTTP server on 127.0.0.1: good, corrupted and dropped transfers. */
class DownloadTest {
    @TempDir Path dir;
    HttpServer server;
    final byte[] payload = new byte[200_000];
    final List<String> ranges = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger dropRequests = new AtomicInteger();
    final PrintStream quiet = new PrintStream(new ByteArrayOutputStream());

    @BeforeEach
    void start() throws IOException {
        for (int i = 0; i < payload.length; i++) payload[i] = (byte) (i * 31 + i / 7);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/good", ex -> serve(ex, payload, false));
        server.createContext("/corrupt", ex -> { byte[] c = payload.clone(); c[1234] ^= 1; serve(ex, c, false); });
        server.createContext("/drop", ex -> serve(ex, payload, dropRequests.getAndIncrement() == 0));
        server.createContext("/missing", ex -> { ex.sendResponseHeaders(404, -1); ex.close(); });
        server.start();
    }

    @AfterEach
    void stop() { server.stop(0); }

    private String url(String path) { return "http://127.0.0.1:" + server.getAddress().getPort() + path; }

    /** Honours "Range: bytes=N-"; when drop is set, sends half of the body and cuts the connection. */
    private void serve(HttpExchange ex, byte[] body, boolean drop) throws IOException {
        String range = ex.getRequestHeaders().getFirst("Range");
        ranges.add(range == null ? "" : range);
        int from = 0;
        if (range != null && range.startsWith("bytes=")) from = Integer.parseInt(range.substring(6, range.indexOf('-')));
        byte[] part = Arrays.copyOfRange(body, from, body.length);
        ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
        ex.sendResponseHeaders(from > 0 ? 206 : 200, part.length);
        OutputStream os = ex.getResponseBody();
        if (drop) {
            os.write(part, 0, part.length / 2);
            os.flush();
            ex.close(); // fewer bytes than Content-Length: the client sees a premature end
            return;
        }
        os.write(part);
        os.close();
    }

    private String md5(byte[] b) throws Exception { return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b)); }

    @Test
    void goodDownloadIsVerifiedAndRenamed() throws Exception {
        Path got = new Downloader(quiet).fetch(new RemoteFile("data.bin", List.of(url("/good")), md5(payload)), dir);
        assertArrayEquals(payload, Files.readAllBytes(got));
        assertFalse(Files.exists(dir.resolve("data.bin.part")));
        // Present and correct: no second request.
        int before = ranges.size();
        new Downloader(quiet).fetch(new RemoteFile("data.bin", List.of(url("/good")), md5(payload)), dir);
        assertEquals(before, ranges.size());
    }

    @Test
    void corruptedDownloadLeavesNothingUnderTheFinalName() throws Exception {
        Downloader.ChecksumException e = assertThrows(Downloader.ChecksumException.class,
                () -> new Downloader(quiet).fetch(new RemoteFile("data.bin", List.of(url("/corrupt")), md5(payload)), dir));
        assertTrue(e.getMessage().contains("data.bin") && e.getMessage().contains("expected " + md5(payload)), e.getMessage());
        assertFalse(Files.exists(dir.resolve("data.bin")));
        assertFalse(Files.exists(dir.resolve("data.bin.part")));
    }

    @Test
    void droppedConnectionIsResumedWithARangeRequest() throws Exception {
        Path got = new Downloader(3, 5_000, quiet).fetch(new RemoteFile("data.bin", List.of(url("/drop")), md5(payload)), dir);
        assertArrayEquals(payload, Files.readAllBytes(got));
        assertEquals(2, ranges.size());
        assertEquals("", ranges.get(0));
        assertTrue(ranges.get(1).startsWith("bytes=") && !ranges.get(1).equals("bytes=0-"), "resumed: " + ranges);
    }

    @Test
    void fallsBackToTheNextMirrorAndExplainsTotalFailure() throws Exception {
        Path got = new Downloader(1, 5_000, quiet).fetch(new RemoteFile("data.bin", List.of(url("/missing"), url("/good")),
                md5(payload)), dir);
        assertArrayEquals(payload, Files.readAllBytes(got));
        IOException e = assertThrows(IOException.class,
                () -> new Downloader(1, 5_000, quiet).fetch(new RemoteFile("other.bin", List.of(url("/missing")), md5(payload)), dir));
        assertTrue(e.getMessage().contains("other.bin") && e.getMessage().contains("404"), e.getMessage());
    }

    /** A 404 is asked once, not four times; the message does not claim a partial file that does not exist. */
    @Test
    void notFoundIsNotRetriedAndNothingIsClaimedKept() throws Exception {
        int before = ranges.size();
        AtomicInteger missing = new AtomicInteger();
        server.createContext("/counted-missing", ex -> { missing.incrementAndGet(); ex.sendResponseHeaders(404, -1); ex.close(); });
        IOException e = assertThrows(IOException.class,
                () -> new Downloader(4, 5_000, quiet).fetch(new RemoteFile("x.bin", List.of(url("/counted-missing")), md5(payload)), dir));
        assertEquals(1, missing.get(), "one request for a 404");
        assertTrue(e.getMessage().contains("nothing was kept") && !e.getMessage().contains("is kept"), e.getMessage());
        assertEquals(before, ranges.size());
    }

    /** A file already present stays until its replacement is complete and verified (a failing server changes nothing). */
    @Test
    void aPresentFileIsKeptUntilItsReplacementIsVerified() throws Exception {
        byte[] old = "an older, differently compressed copy".getBytes(StandardCharsets.UTF_8);
        Files.write(dir.resolve("data.bin"), old);
        assertThrows(IOException.class, () -> new Downloader(1, 5_000, quiet).fetch(new RemoteFile("data.bin",
                List.of(url("/corrupt")), md5(payload)), dir));
        assertArrayEquals(old, Files.readAllBytes(dir.resolve("data.bin")), "the corrupt download did not replace it");
        assertThrows(IOException.class, () -> new Downloader(1, 5_000, quiet).fetch(new RemoteFile("data.bin",
                List.of(url("/missing")), md5(payload)), dir));
        assertArrayEquals(old, Files.readAllBytes(dir.resolve("data.bin")), "the failing server did not remove it");
        // Content that reads correctly is kept with a note, without a download.
        int before = ranges.size();
        Path kept = new Downloader(1, 5_000, quiet).fetch(new RemoteFile("data.bin", List.of(url("/good")), md5(payload)), dir, f -> null);
        assertArrayEquals(old, Files.readAllBytes(kept));
        assertEquals(before, ranges.size());
        // Content that does not read is replaced by the verified download.
        new Downloader(1, 5_000, quiet).fetch(new RemoteFile("data.bin", List.of(url("/good")), md5(payload)), dir, f -> "not an idx file");
        assertArrayEquals(payload, Files.readAllBytes(dir.resolve("data.bin")));
    }

    // ---------------------------------------------------------------- tar.gz extraction

    private static void tarEntry(ByteArrayOutputStream out, String name, byte[] data) {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(n, 0, h, 0, n.length);
        put(h, 100, String.format("%07o", 0644));
        put(h, 108, String.format("%07o", 0));
        put(h, 116, String.format("%07o", 0));
        put(h, 124, String.format("%011o", data.length));
        put(h, 136, String.format("%011o", 0));
        Arrays.fill(h, 148, 156, (byte) ' ');
        h[156] = '0';
        put(h, 257, "ustar");
        h[263] = '0'; h[264] = '0';
        int sum = 0;
        for (byte b : h) sum += b & 0xFF;
        put(h, 148, String.format("%06o", sum));
        h[155] = ' ';
        out.writeBytes(h);
        out.writeBytes(data);
        out.writeBytes(new byte[(512 - data.length % 512) % 512]);
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }

    private Path targz(String name, boolean complete, String... entries) throws IOException {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        for (String e : entries) tarEntry(tar, e, (e + " contents").getBytes(StandardCharsets.UTF_8));
        if (complete) tar.writeBytes(new byte[1024]);
        byte[] raw = tar.toByteArray();
        if (!complete) raw = Arrays.copyOf(raw, raw.length - 300);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(gz)) { g.write(raw); }
        return Files.write(dir.resolve(name), gz.toByteArray());
    }

    @Test
    void extractsRegularFilesAndRejectsTruncationAndEscapes() throws IOException {
        Path a = targz("a.tar.gz", true, "cifar-10-batches-bin/data_batch_1.bin", "cifar-10-batches-bin/batches.meta.txt");
        Path out = dir.resolve("out");
        assertEquals(List.of("cifar-10-batches-bin/data_batch_1.bin", "cifar-10-batches-bin/batches.meta.txt"), TarGz.extract(a, out));
        assertEquals("cifar-10-batches-bin/data_batch_1.bin contents",
                Files.readString(out.resolve("cifar-10-batches-bin/data_batch_1.bin")));

        Path cut = targz("cut.tar.gz", false, "x/one.bin", "x/two.bin");
        Path out2 = dir.resolve("out2");
        DataFormatException e = assertThrows(DataFormatException.class, () -> TarGz.extract(cut, out2));
        assertTrue(e.getMessage().contains(cut.toString()) && e.getMessage().contains("truncated"), e.getMessage());
        assertFalse(Files.exists(out2.resolve("x/one.bin")), "nothing is left behind from a truncated archive");

        Path evil = targz("evil.tar.gz", true, "../escape.txt");
        assertThrows(DataFormatException.class, () -> TarGz.extract(evil, dir.resolve("out3")));
        assertFalse(Files.exists(dir.resolve("escape.txt")));
    }
}
