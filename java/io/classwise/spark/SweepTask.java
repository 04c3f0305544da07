package io.classwise.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.classwise.api.Sweep;
import io.classwise.util.FileTrees;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One sweep run inside a Spark task: idempotent, so Spark may run it again after a failure. Under a local
 * or shared directory the run trains in place; under a Hadoop URI it trains in a local scratch copy that is
 * copied up after every epoch ({@link HadoopRunCopy}).
 */
final class SweepTask {
    private SweepTask() {}

    /**
     * Trains (or resumes, or reads back) run {@code index} of the spec under out (an absolute path or a URI);
     * returns its {@link Sweep.Result} as JSON. failOnce "RUN@EPOCH": the first attempt of that run stops with
     * an error once EPOCH is committed (and, under a URI, copied up).
     */
    static String run(String specText, String origin, String out, int index, String failOnce) throws Exception {
        Sweep.Spec parsed = Sweep.parse(specText, Path.of(origin));
        Sweep.Run run = Sweep.runs(parsed).get(index);
        Map<String, Object> machine = new LinkedHashMap<>();
        String device = SparkJobs.device(null);
        if (device != null) machine.put("device", device);
        int cpus = SparkJobs.taskCpus();
        if (cpus > 0) machine.put("threads", cpus);
        int attempt = SparkJobs.attempt();
        Integer failAfter = failOnce != null && attempt == 0 && failOnce.startsWith(run.name() + "@")
                ? Integer.valueOf(failOnce.substring(run.name().length() + 1)) : null;
        String header = "== " + run.name() + ": attempt " + attempt + " on " + InetAddress.getLocalHost().getHostName() + " at " + Instant.now()
                + (machine.isEmpty() ? "" : ", " + machine);
        if (!Sweep.isUri(out)) {
            Sweep.Spec spec = parsed.withOut(Path.of(out));
            Path logFile = Path.of(out, "logs", run.directory() + ".log");
            Files.createDirectories(logFile.getParent());
            try (PrintStream log = new PrintStream(new FileOutputStream(logFile.toFile(), true), true, StandardCharsets.UTF_8)) {
                log.println(header);
                if (failAfter != null) {
                    Sweep.runOne(spec, run, failAfter, machine, log);
                    throw injected(run, failAfter, log);
                }
                return reported(Sweep.runOne(spec, run, null, machine, log), Sweep.directory(spec, run).toString());
            }
        }
        removeAbandonedScratch(run);
        Path scratch = Files.createTempDirectory(scratchPrefix(run));
        Files.writeString(scratch.resolve(OWNER), Long.toString(ProcessHandle.current().pid()));
        try {
            Sweep.Spec spec = parsed.withOut(scratch);
            HadoopRunCopy remote = new HadoopRunCopy(out + "/" + run.directory()), logs = new HadoopRunCopy(out + "/logs");
            String logName = run.directory() + ".log";
            Path logFile = scratch.resolve("logs").resolve(logName);
            if (logs.exists(logName)) logs.downloadFile(logName, logFile);
            Files.createDirectories(logFile.getParent());
            try (PrintStream log = new PrintStream(new FileOutputStream(logFile.toFile(), true), true, StandardCharsets.UTF_8)) {
                log.println(header + ", staged in " + scratch);
                Path local = Sweep.directory(spec, run);
                remote.download(local);
                try {
                    if (Files.exists(local.resolve(Sweep.RESULT))) return reported(Sweep.runOne(spec, run, null, machine, log), out + "/" + run.directory());
                    // One epoch at a time, copied up after each; epochs the copy already holds are not asked for again.
                    // A retried attempt starts at the first epoch the remote copy has not committed (no empty resume step).
                    for (int e = committedEpochs(local) + 1; ; e++) {
                        Sweep.Result r = Sweep.runOne(spec, run, e, machine, log);
                        remote.upload(local);
                        log.println("== epoch " + e + " copied up to " + out + "/" + run.directory() + " (" + remote.lastUploaded + " new or changed files)");
                        log.flush();
                        logs.uploadFile(logFile, logName); // a killed attempt's log survives up to its last epoch
                        if (failAfter != null && e == failAfter) throw injected(run, e, log);
                        if (r != null) return reported(r, out + "/" + run.directory());
                    }
                } finally {
                    log.flush();
                    logs.uploadFile(logFile, logName);
                }
            }
        } finally {
            FileTrees.deleteRecursively(scratch);
        }
    }

    /** A run's result as the driver receives it: the result, and where (host, path) the task wrote the run. */
    static String reported(Sweep.Result result, String path) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode o = json.valueToTree(result);
        o.put(EXECUTOR_HOST, InetAddress.getLocalHost().getHostName());
        o.put(RUN_PATH, path);
        return json.writeValueAsString(o);
    }

    static final String EXECUTOR_HOST = "executor_host", RUN_PATH = "run_path";

    private static final String OWNER = "owner.pid";

    private static String scratchPrefix(Sweep.Run run) { return "classwise-sweep-" + run.directory() + "-"; }

    /**
     * Deletes this run's scratch directories left by attempts whose process has died (an executor killed mid-task
     * cannot clean up after itself); a live owner's directory is left alone.
     */
    private static void removeAbandonedScratch(Sweep.Run run) throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (Stream<Path> dirs = Files.list(tmp)) {
            for (Path d : dirs.filter(p -> p.getFileName().toString().startsWith(scratchPrefix(run))).toList()) {
                Path owner = d.resolve(OWNER);
                long pid;
                try {
                    pid = Long.parseLong(Files.readString(owner).trim());
                } catch (IOException | NumberFormatException unreadable) {
                    pid = -1;
                }
                if (pid < 0 || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                FileTrees.deleteRecursively(d);
            }
        }
    }

    /** The epochs a run directory's metrics.jsonl records (0 when it has none). */
    private static int committedEpochs(Path runDir) throws IOException {
        Path metrics = runDir.resolve("metrics.jsonl");
        return Files.exists(metrics) ? Files.readAllLines(metrics, StandardCharsets.UTF_8).size() : 0;
    }

    private static IllegalStateException injected(Sweep.Run run, int epoch, PrintStream log) {
        log.println("== injected failure after epoch " + epoch + " (--fail-once)");
        return new IllegalStateException("injected failure of " + run.name() + " after epoch " + epoch + " (--fail-once)");
    }
}
