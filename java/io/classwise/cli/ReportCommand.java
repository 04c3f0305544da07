package io.classwise.cli;

import io.classwise.report.ReportWriter;
import io.classwise.train.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code report}: (re)builds RUN/report.html and RUN/plots/ from RUN/analysis/. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Build RUN/report.html (self-contained, charts inline) and RUN/plots/*.png|svg from RUN/analysis/*.json.")
final class ReportCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, description = "A run directory with analysis/ (run diagnose first).") Path runDir;

    @Override
    public Integer call() throws Exception {
        RunDirectory run = new RunDirectory(runDir);
        if (!RunDirectory.holdsRun(runDir)) throw new IllegalArgumentException("--run: " + runDir + " is not a run directory (no config.json "
                + "of a run)");
        if (!Files.isDirectory(run.analysis())) throw new IllegalArgumentException("--run: " + run.analysis()
                + " does not exist; run 'diagnose --run " + runDir + "' first");
        System.out.println("report: " + new ReportWriter(run).write().toAbsolutePath());
        return 0;
    }
}
