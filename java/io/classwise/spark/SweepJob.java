package io.classwise.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import io.classwise.api.Sweep;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Backends;
import io.classwise.util.FileTrees;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/**
 * {@code sweep SPEC.yaml}: every run of the grid as one Spark task. A task that fails is retried by Spark
 * (spark.task.maxFailures) and resumes from the run's last committed epoch; a run that finished in an earlier
 * sweep is read back, not trained again. The driver then writes the summary and the compare report.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a grid of runs (spec: out, dataset, settings, grid, compare; see README) as Spark tasks, one run directory each "
                + "under out, then summary.csv/json and the compare report.",
                "Resumable: run it again after a failure and finished runs are skipped, interrupted ones resume."})
final class SweepJob implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SPEC", description = "The sweep's YAML file (a path, or a Hadoop URI such as hdfs:///jobs/sweep.yaml).")
    String spec;
    @Option(names = "--master", description = "Spark master (default: spark-submit's, else local[*]).") String master;
    @Option(names = "--fail-once", paramLabel = "RUN@EPOCH", description = "For testing recovery: the first attempt of run RUN (its name, e.g. "
            + "method=trades,seed=1) stops with an error once epoch EPOCH is committed; Spark's retry resumes it.") String failOnce;

    @Override
    public Integer call() throws Exception {
        // Tasks may run on other machines: they get the spec's text and the output as an absolute path or a URI.
        String text;
        if (Sweep.isUri(spec)) {
            text = HadoopRunCopy.readText(spec);
        } else {
            if (!Files.isRegularFile(Path.of(spec))) throw new IllegalArgumentException(spec + " does not exist");
            text = Files.readString(Path.of(spec), StandardCharsets.UTF_8);
        }
        String origin = spec;
        Sweep.Spec s = Sweep.parse(text, Path.of(spec.replaceFirst(Sweep.URI_SCHEME, "")));
        Sweep.checkOut(s);
        boolean remote = Sweep.isUri(s.location());
        String out = remote ? s.location().replaceAll("/+$", "") : s.out().toAbsolutePath().normalize().toString();
        int n = Sweep.runs(s).size();
        System.out.println("sweep: " + n + " runs → " + out + " (logs in " + out + "/logs)");
        List<String> json;
        try (JavaSparkContext sc = SparkJobs.context("classwise sweep " + spec, master)) {
            String fail = failOnce;
            json = sc.parallelize(IntStream.range(0, n).boxed().toList(), n).map(i -> SweepTask.run(text, origin, out, i, fail)).collect();
        }
        List<Sweep.Result> results = received(json, remote ? null : Path.of(out));
        String device = String.valueOf(s.settings().getOrDefault("device", "auto"));
        try (Backend b = Backends.create(device, 0)) {
            if (!remote) {
                Sweep.finish(s.withOut(Path.of(out)), results, b, System.out);
            } else {
                // The summary and the compare report are made from local copies of the runs, then copied up.
                Path local = Files.createTempDirectory("classwise-sweep-summary-");
                try {
                    if (s.compare() != null) for (Sweep.Result r : results) new HadoopRunCopy(out + "/" + r.directory()).download(local.resolve(r.directory()));
                    Sweep.finish(s.withOut(local), results, b, System.out, out);
                    HadoopRunCopy top = new HadoopRunCopy(out);
                    top.uploadFile(local.resolve("summary.csv"), "summary.csv");
                    top.uploadFile(local.resolve("summary.json"), "summary.json");
                    if (Files.isDirectory(local.resolve("comparison"))) new HadoopRunCopy(out + "/comparison").upload(local.resolve("comparison"));
                    for (Sweep.Result r : results) System.out.println("run " + r.name() + ": " + out + "/" + r.directory());
                } finally {
                    FileTrees.deleteRecursively(local);
                }
            }
        }
        return 0;
    }

    /**
     * The tasks' results; with a local out (not a URI), each run is checked to be where the driver sees it: a task on a
     * node that does not share out's filesystem writes the run to that node's own disk, and the sweep would report
     * runs nobody can open.
     */
    static List<Sweep.Result> received(List<String> json, Path out) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        List<Sweep.Result> results = new ArrayList<>();
        for (String j : json) {
            ObjectNode o = (ObjectNode) mapper.readTree(j);
            String host = o.path(SweepTask.EXECUTOR_HOST).asText("?"), path = o.path(SweepTask.RUN_PATH).asText("?");
            o.remove(SweepTask.EXECUTOR_HOST);
            o.remove(SweepTask.RUN_PATH);
            Sweep.Result r = mapper.treeToValue(o, Sweep.Result.class);
            if (out != null && !Files.isRegularFile(out.resolve(r.directory()).resolve(Sweep.RESULT))) {
                throw new IllegalStateException("run " + r.name() + " finished on executor host " + host + " in " + path + ", but the driver "
                        + "does not see " + out.resolve(r.directory()).resolve(Sweep.RESULT) + ": out must be a path every node sees (a "
                        + "shared filesystem mounted at the same place) or a Hadoop URI (hdfs://, s3a://, ...)");
            }
            results.add(r);
        }
        return results;
    }
}
