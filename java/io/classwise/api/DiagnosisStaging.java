package io.classwise.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.classwise.report.AnalysisSeal;
import io.classwise.train.RunDirectory;
import io.classwise.train.RunManifest;
import io.classwise.util.AtomicFiles;
import io.classwise.util.FileTrees;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A diagnosis as a transaction: its analyses and galleries are written into RUN/.diagnosis-staging/ while the
 * previous diagnosis (analysis/, examples/, report.html) stays whole; {@link #commit} then swaps the new one in
 * and seals it (analysis/diagnosis.json, written last). An interrupted diagnose leaves the previous diagnosis as it
 * was, plus a staging directory that the next diagnose removes; a crash inside the swap itself leaves no seal, so
 * no report is assembled from what is there until diagnose runs again.
 */
final class DiagnosisStaging {
    private final RunDirectory run;
    private final Path dir;

    private DiagnosisStaging(RunDirectory run) {
        this.run = run;
        this.dir = run.diagnosisStaging();
    }

    /** Starts a diagnosis (the caller holds the run's lock): what an interrupted one staged is removed first. */
    static DiagnosisStaging begin(RunDirectory run) throws IOException {
        DiagnosisStaging s = new DiagnosisStaging(run);
        FileTrees.deleteRecursively(s.dir);
        Files.createDirectories(s.analysis());
        Files.createDirectories(s.examples());
        return s;
    }

    Path analysis() { return dir.resolve("analysis"); }

    Path examples() { return dir.resolve("examples"); }

    /** Swaps the staged diagnosis in place of the previous one and seals it with its settings and model. */
    void commit(JsonNode settings, RunManifest.FinalModel model) throws IOException {
        Files.deleteIfExists(AnalysisSeal.file(run));
        // A report of the previous diagnosis must not outlive it.
        Files.deleteIfExists(run.report());
        AtomicFiles.syncDirectory(run.root());
        replace(analysis(), run.analysis());
        replace(examples(), run.examples());
        AnalysisSeal.write(run, settings, model);
        FileTrees.deleteRecursively(dir);
    }

    private void replace(Path staged, Path target) throws IOException {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) Files.move(target, dir.resolve("previous-" + target.getFileName()));
        Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
        AtomicFiles.syncDirectory(run.root());
    }
}
