package io.classwise.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import io.classwise.util.FileDigests;
import java.util.Map;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A directory on a Hadoop filesystem (hdfs://, s3a://, abfs://, gs://, file://, …) mirrored by a local
 * directory: a sweep run trains locally and is copied up after every epoch, so a retried task on another
 * machine copies it down and resumes. Each file goes up under a temporary name and is renamed into place;
 * metrics.jsonl and config.json go before the checkpoints, so a copy interrupted half-way never shows an
 * epoch's checkpoint without its metrics line (resume then falls back to the epoch before).
 */
final class HadoopRunCopy {
    private final FileSystem fs;
    private final org.apache.hadoop.fs.Path remote;
    /**
     * relative path → "size:SHA-256" of what the remote directory is known to hold (downloaded from it or uploaded to it
     * by this copy): an upload sends only files that are new or changed. One task writes a run's directory at a time.
     */
    private final Map<String, String> known = new HashMap<>();

    HadoopRunCopy(String remoteUri) throws IOException {
        this.remote = new org.apache.hadoop.fs.Path(remoteUri);
        this.fs = FileSystem.get(URI.create(remoteUri), new Configuration());
    }

    /** A whole (small) file on a Hadoop filesystem as UTF-8 text: a sweep spec given as hdfs://…/sweep.yaml. */
    static String readText(String uri) throws IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
        FileSystem fs = FileSystem.get(URI.create(uri), new Configuration());
        if (!fs.exists(p)) throw new IllegalArgumentException(uri + " does not exist");
        try (InputStream in = fs.open(p)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    boolean exists(String relative) throws IOException { return fs.exists(new org.apache.hadoop.fs.Path(remote, relative)); }

    /** Copies the remote directory's files into local (which it creates); nothing when the remote directory does not exist. */
    void download(Path local) throws IOException {
        Files.createDirectories(local);
        if (!fs.exists(remote)) return;
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(remote, true);
        while (it.hasNext()) {
            LocatedFileStatus f = it.next();
            String rel = relative(f);
            if (rel.endsWith(".uploading")) continue;
            Path target = local.resolve(rel);
            Files.createDirectories(target.getParent());
            fs.copyToLocalFile(false, f.getPath(), new org.apache.hadoop.fs.Path(target.toUri()), true);
            known.put(rel, fingerprint(target));
        }
    }

    private static String fingerprint(Path f) throws IOException { return Files.size(f) + ":" + FileDigests.hex(f, "SHA-256"); }

    /** Files uploaded by the last {@link #upload} (new or changed ones only). */
    int lastUploaded;

    /** Makes the remote directory hold exactly local's files (the run's lock file aside). */
    void upload(Path local) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(local)) {
            files = new ArrayList<>(s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals(".lock")).toList());
        }
        // metrics and config first, checkpoints after (see the class comment).
        files.sort(Comparator.comparing((Path p) -> p.toString().contains("/checkpoints/") ? 1 : 0).thenComparing(Path::toString));
        Set<String> present = new HashSet<>();
        lastUploaded = 0;
        for (Path f : files) {
            String rel = local.relativize(f).toString().replace('\\', '/');
            present.add(rel);
            String print = fingerprint(f);
            if (print.equals(known.get(rel))) continue; // the remote copy is this file already
            uploadFile(f, rel);
            known.put(rel, print);
            lastUploaded++;
        }
        if (!fs.exists(remote)) return;
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(remote, true);
        List<org.apache.hadoop.fs.Path> stale = new ArrayList<>();
        while (it.hasNext()) {
            LocatedFileStatus f = it.next();
            if (!present.contains(relative(f))) stale.add(f.getPath());
        }
        for (org.apache.hadoop.fs.Path p : stale) fs.delete(p, false);
        known.keySet().retainAll(present);
    }

    /** Copies one remote file to local. */
    void downloadFile(String relative, Path local) throws IOException {
        Files.createDirectories(local.getParent());
        fs.copyToLocalFile(false, new org.apache.hadoop.fs.Path(remote, relative), new org.apache.hadoop.fs.Path(local.toUri()), true);
    }

    /** Copies one local file up, under a temporary name first. */
    void uploadFile(Path local, String relative) throws IOException {
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(remote, relative);
        org.apache.hadoop.fs.Path part = new org.apache.hadoop.fs.Path(remote, relative + ".uploading");
        fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(local.toUri()), part);
        if (fs.exists(target)) fs.delete(target, false);
        if (!fs.rename(part, target)) throw new IOException("could not rename " + part + " to " + target);
    }

    private String relative(FileStatus f) {
        String base = fs.makeQualified(remote).toUri().getPath(), p = f.getPath().toUri().getPath();
        return p.substring(base.length()).replaceFirst("^/", "");
    }
}
