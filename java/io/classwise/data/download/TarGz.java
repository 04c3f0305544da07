package io.classwise.data.download;

import io.classwise.data.DataFormatException;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipException;

/**
 * Extracts the regular files of a .tar.gz (POSIX ustar / GNU, as the CIFAR and STL-10 archives are)
 * into a directory. Entries are written under a temporary folder that is renamed into place when
 * the whole archive has been read, so an interrupted extraction leaves nothing that looks complete.
 * Paths that would escape the target are rejected.
 */
public final class TarGz {
    private TarGz() {}

    /** Extracts into {@code into}; returns the relative paths of the files written. */
    public static List<String> extract(Path archive, Path into) throws IOException {
        Files.createDirectories(into);
        Path tmp = Files.createTempDirectory(into, ".extract-");
        List<String> names = new ArrayList<>();
        try (InputStream in = new BufferedInputStream(new GZIPInputStream(Files.newInputStream(archive), 1 << 16), 1 << 16)) {
            byte[] header = new byte[512];
            String longName = null;
            while (true) {
                if (!readBlock(in, header)) throw new DataFormatException(archive,
                        "ends without the tar end-of-archive blocks (truncated)");
                if (isZero(header)) break;
                String name = longName != null ? longName : entryName(header);
                longName = null;
                long size = parseOctal(header, 124, 12, archive);
                char type = (char) header[156];
                if (type == 'L') { // GNU long name: the data is the name of the next entry
                    byte[] n = readData(in, size, archive);
                    longName = new String(n, StandardCharsets.UTF_8).replace("\0", "");
                    continue;
                }
                if (type == '0' || type == '\0') {
                    Path out = tmp.resolve(name).normalize();
                    if (!out.startsWith(tmp) || name.startsWith("/")) throw new DataFormatException(archive, "entry '" + name
                            + "' would be written outside the target");
                    Files.createDirectories(out.getParent());
                    long free = Files.getFileStore(out.getParent()).getUsableSpace();
                    if (size > free) {
                        throw new IOException("extracting " + name + " from " + archive + " needs " + size + " bytes but " + out.getParent()
                                + " has " + free + " free");
                    }
                    try (OutputStream os = Files.newOutputStream(out)) { copy(in, os, size, archive, name); }
                    skipPadding(in, size, archive);
                    names.add(name);
                } else {
                    readData(in, size, archive); // directories, links, pax headers: nothing to write
                }
            }
            for (String n : names) {
                Path dst = into.resolve(n);
                Files.createDirectories(dst.getParent());
                Files.move(tmp.resolve(n), dst, StandardCopyOption.REPLACE_EXISTING);
            }
            return names;
        } catch (EOFException e) {
            throw new DataFormatException(archive, "truncated archive (" + e.getMessage() + ")");
        } catch (ZipException e) {
            // "Not in GZIP format", "invalid stored block lengths", a bad CRC: gzip-level damage
            throw new DataFormatException(archive, "is not intact gzip data (" + e.getMessage() + "); delete it and run data fetch again");
        } finally {
            try (Stream<Path> s = Files.walk(tmp)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String entryName(byte[] h) {
        String name = cString(h, 0, 100), prefix = cString(h, 345, 155);
        boolean ustar = cString(h, 257, 6).startsWith("ustar");
        return ustar && !prefix.isEmpty() ? prefix + "/" + name : name;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) end++;
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static long parseOctal(byte[] h, int off, int len, Path archive) throws DataFormatException {
        String s = cString(h, off, len).trim();
        try {
            return s.isEmpty() ? 0 : Long.parseLong(s, 8);
        } catch (NumberFormatException e) {
            throw new DataFormatException(archive, "bad tar header (size field '" + s + "')");
        }
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }

    private static boolean readBlock(InputStream in, byte[] b) throws IOException {
        int got = in.readNBytes(b, 0, b.length);
        if (got == 0) return false;
        if (got < b.length) throw new EOFException("partial header block");
        return true;
    }

    private static byte[] readData(InputStream in, long size, Path archive) throws IOException {
        byte[] data = in.readNBytes((int) size);
        if (data.length < size) throw new EOFException("entry data ends early");
        skipPadding(in, size, archive);
        return data;
    }

    private static void copy(InputStream in, OutputStream out, long size, Path archive, String name) throws IOException {
        byte[] buf = new byte[1 << 16];
        long left = size;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) throw new EOFException("entry '" + name + "' ends after " + (size - left) + " of " + size + " bytes");
            out.write(buf, 0, n);
            left -= n;
        }
    }

    private static void skipPadding(InputStream in, long size, Path archive) throws IOException {
        long pad = (512 - size % 512) % 512;
        if (in.readNBytes((int) pad).length < pad) throw new EOFException("padding ends early");
    }
}
