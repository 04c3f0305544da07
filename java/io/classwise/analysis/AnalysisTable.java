package io.classwise.analysis;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * One analysis's result as data: its name (the file stem, e.g. "flip_matrix"), the JSON document and the
 * flat CSV table. Analyses compute these and hand them to a {@link Sink}; the report package writes them
 * (report.AnalysisFiles), so analyses never touch files or formats.
 */
public record AnalysisTable(String name, Map<String, Object> json, List<String> csvHeader, List<List<Object>> csvRows) {
    /** Receives each analysis's table as it is computed. */
    @FunctionalInterface
    public interface Sink {
        void accept(AnalysisTable table) throws IOException;
    }
}
