package io.classwise.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Whole directory trees Classwise itself made (scratch copies, staged diagnoses, a run being replaced). */
public final class FileTrees {
    private FileTrees() {}

    /** Deletes p and, for a directory, everything below it; links are deleted, never followed. Nothing when p does not exist. */
    public static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
        }
    }
}
