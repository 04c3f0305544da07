package io.classwise.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;

/**
 * The rules every command that writes follows before it writes anything, so that a command never destroys
 * a file it did not create and a refused command changes nothing:
 * <ul>
 *   <li>an output is never one of the command's inputs (the same file, by path or by link), {@code --overwrite} or not;</li>
 *   <li>an output file that exists is replaced only with {@code --overwrite}, and never when it is a directory or
 *       not a regular file (a pipe, a device);</li>
 *   <li>an output directory is new, empty, or recognisably what the command itself writes there.</li>
 * </ul>
 * The writes themselves go through {@link AtomicFiles} (a temporary name, then a rename).
 */
public final class OutputPaths {
    private OutputPaths() {}

    /** Whether two paths name the same file (same inode where both exist, else the same normalised absolute path). */
    public static boolean same(Path a, Path b) {
        try {
            if (Files.exists(a) && Files.exists(b)) return Files.isSameFile(a, b);
        } catch (IOException unreadable) {
            // fall through to the paths
        }
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    /**
     * Checks an output file before anything is written. flag names it in messages ("OUT", "--out"); inputs are
     * the files the command reads (null entries are skipped).
     */
    public static void checkFile(Path out, String flag, boolean overwrite, Path... inputs) {
        if (out.toString().isBlank()) throw new IllegalArgumentException(flag + " must name a file, got an empty path");
        for (Path in : inputs) {
            if (in != null && same(out, in)) {
                throw new IllegalArgumentException(flag + " " + out + " is also an input of this command (" + in + "); writing it would "
                        + "destroy what is being read: choose another " + flag);
            }
        }
        if (Files.isDirectory(out)) throw new IllegalArgumentException(flag + " " + out + " is a directory; give a file name");
        if (Files.exists(out, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(out, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException(flag + " " + out + " exists and is not a regular file (a link, pipe or device); "
                    + "choose another " + flag);
        }
        if (Files.exists(out) && !overwrite) {
            throw new IllegalArgumentException(flag + " " + out + " already exists; pass --overwrite to replace it, or choose another " + flag);
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && Files.exists(parent) && !Files.isDirectory(parent)) {
            throw new IllegalArgumentException(flag + " " + out + ": " + parent + " is a file, not a directory");
        }
    }

    /**
     * Checks an output directory before anything is written: it must be new or empty, or satisfy ours (it holds
     * what this command writes, e.g. a previous comparison) — and then only with overwrite; never one of the
     * inputs (directories or files the command reads). A directory inside an input is caught by the first rule
     * (a run's analysis/ is neither empty nor a comparison).
     */
    public static void checkDirectory(Path out, String flag, boolean overwrite, Predicate<Path> ours, String oursDescription,
                                      List<Path> inputs) throws IOException {
        if (out.toString().isBlank()) throw new IllegalArgumentException(flag + " must name a directory, got an empty path");
        for (Path in : inputs) {
            if (in != null && same(out, in)) {
                throw new IllegalArgumentException(flag + " " + out + " is an input of this command (" + in + "); choose a directory of its own");
            }
        }
        if (!Files.exists(out, LinkOption.NOFOLLOW_LINKS)) return;
        if (!Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException(flag + " " + out + " is " + (Files.isRegularFile(out) ? "a file" : "not a directory")
                    + "; give a new or empty directory");
        }
        try (var entries = Files.list(out)) {
            if (entries.findAny().isEmpty()) return;
        }
        if (!ours.test(out)) {
            throw new IllegalArgumentException(flag + " " + out + " is not empty and is not " + oursDescription
                    + "; Classwise never writes over what it did not create: choose a new or empty directory");
        }
        if (!overwrite) {
            throw new IllegalArgumentException(flag + " " + out + " already holds " + oursDescription + "; pass --overwrite to replace it, "
                    + "or choose another directory");
        }
    }
}
