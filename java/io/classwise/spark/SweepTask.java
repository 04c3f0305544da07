package io.classwise.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.api.Sweep;

import java.io.FileOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** One sweep run inside a Spark task: idempotent, so Spark may run it again after a failure. */
final class SweepTask {
    private SweepTask() {}

    /**
     * Trains (or resumes, or reads back) run {@code index} of the spec; returns its {@link Sweep.Result} as JSON.
     * failOnce "RUN@EPOCH": the first attempt of that run stops with an error after committing EPOCH.
     */
    static String run(String specText, String origin, String out, int index, String failOnce) throws Exception {
        Sweep.Spec spec = Sweep.parse(specText, Path.of(origin)).withOut(Path.of(out));
        Sweep.Run run = Sweep.runs(spec).get(index);
        Map<String, Object> machine = new LinkedHashMap<>();
        String device = SparkJobs.device(null);
        if (device != null) machine.put("device", device);
        int cpus = SparkJobs.taskCpus();
        if (cpus > 0) machine.put("threads", cpus);
        Path logFile = Path.of(out, "logs", run.directory() + ".log");
        Files.createDirectories(logFile.getParent());
        int attempt = SparkJobs.attempt();
        try (PrintStream log = new PrintStream(new FileOutputStream(logFile.toFile(), true), true, StandardCharsets.UTF_8)) {
            log.println("== " + run.name() + ": attempt " + attempt + " on " + InetAddress.getLocalHost().getHostName() + " at " + Instant.now()
                    + (machine.isEmpty() ? "" : ", " + machine));
            if (failOnce != null && attempt == 0 && failOnce.startsWith(run.name() + "@")) {
                int epoch = Integer.parseInt(failOnce.substring(run.name().length() + 1));
                Sweep.runOne(spec, run, epoch, machine, log);
                log.println("== injected failure after epoch " + epoch + " (--fail-once)");
                throw new IllegalStateException("injected failure of " + run.name() + " after epoch " + epoch + " (--fail-once)");
            }
            Sweep.Result r = Sweep.runOne(spec, run, null, machine, log);
            return new ObjectMapper().writeValueAsString(r);
        }
    }
}
