package io.classwise.cli;

import io.classwise.api.Sweep;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Backends;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code sweep}: a grid of runs one after the other on this machine (the Spark entry point runs the same grid as tasks). */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Train a grid of runs (SPEC.yaml: out, dataset, settings, grid, compare) one after the other, then summary.csv/json and "
                + "the compare report. Resumable: run it again and finished runs are read back, an interrupted one resumes.",
                "On a cluster: spark-submit --class io.classwise.spark.SparkMain engine.jar sweep SPEC.yaml (one Spark task per run)."})
final class SweepCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SPEC", description = "The sweep's YAML file.") Path spec;

    @Override
    public Integer call() throws Exception {
        Sweep.Spec s = Sweep.read(spec);
        if (Sweep.isUri(s.location())) {
            throw new IllegalArgumentException(spec + ": out " + s.location() + " is a URI; a Hadoop filesystem is reached through the Spark "
                    + "entry point (spark-submit --class io.classwise.spark.SparkMain engine.jar sweep " + spec + ")");
        }
        System.out.println("sweep: " + Sweep.runs(s).size() + " runs → " + s.out());
        try (Backend b = Backends.create(String.valueOf(s.settings().getOrDefault("device", "auto")), 0)) {
            Sweep.runAll(s, b, System.out);
        }
        return 0;
    }
}
