package io.classwise.report;

import io.classwise.analysis.AnalysisTable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes each analysis table as NAME.json and NAME.csv into a run's analysis/ directory (atomically, like every file). */
public final class AnalysisFiles implements AnalysisTable.Sink {
    private final Path dir;

    public AnalysisFiles(Path dir) { this.dir = dir; }

    @Override
    public void accept(AnalysisTable t) throws IOException {
        Files.createDirectories(dir);
        Tables.json(dir.resolve(t.name() + ".json"), t.json());
        Tables.csv(dir.resolve(t.name() + ".csv"), t.csvHeader(), t.csvRows());
    }
}
