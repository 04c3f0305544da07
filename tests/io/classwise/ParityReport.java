package io.classwise;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * With {@code -Dclasswise.parityReport=FILE}, every tolerance comparison appends one tab-separated
 * line to FILE: what was compared, the largest absolute and relative error, the tolerances and
 * whether it passed. benchmarks/gpu/check.sh sets it so the GPU run reports how close CUDA came.
 */
public final class ParityReport {
    private ParityReport() {}

    static synchronized void record(String what, float[] expected, float[] actual, double atol, double rtol, boolean passed) {
        String file = System.getProperty("classwise.parityReport");
        if (file == null || file.isEmpty()) return;
        double maxAbs = 0, maxRel = 0;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs((double) actual[i] - expected[i]);
            if (!(err <= maxAbs)) maxAbs = err; // NaN sticks
            if (expected[i] != 0) maxRel = Math.max(maxRel, err / Math.abs(expected[i]));
        }
        String line = String.format(Locale.ROOT, "%s\t%d\t%.3e\t%.3e\t%.1e\t%.1e\t%s%n", what.replace('\t', ' '), expected.length,
                maxAbs, maxRel, atol, rtol, passed ? "ok" : "FAIL");
        try {
            Files.writeString(Path.of(file), line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException("classwise.parityReport " + file + ": " + e.getMessage(), e);
        }
    }
}
