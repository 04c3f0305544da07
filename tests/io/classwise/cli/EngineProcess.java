package io.classwise.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The engine in a separate JVM, as a user runs it: for tests that stop it from outside (SIGTERM) while it works. */
final class EngineProcess {
    private final Process process;
    private final Path log;

    private EngineProcess(Process process, Path log) { this.process = process; this.log = log; }

    static EngineProcess start(Path log, String... args) throws IOException { return start(null, log, args); }

    /** As above, in the working directory cwd (null: this one's). */
    static EngineProcess start(Path cwd, Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.classwise.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        if (cwd != null) pb.directory(cwd.toFile());
        return new EngineProcess(pb.start(), log);
    }

    /** Waits (at most two minutes) until the output contains the text; false if the process ended first. */
    boolean awaitOutput(String text) throws Exception {
        long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < end) {
            if (output().contains(text)) return true;
            if (!process.isAlive()) return output().contains(text);
            Thread.sleep(20);
        }
        return false;
    }

    /** SIGTERM (what kill and a cluster's scheduler send), then waits for the exit; returns the exit code. */
    int terminate() throws Exception {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the engine did not stop within 60 s of SIGTERM");
        }
        return process.exitValue();
    }

    int await() throws Exception {
        if (!process.waitFor(3, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("the engine did not finish: " + output());
        }
        return process.exitValue();
    }

    String output() throws IOException { return Files.exists(log) ? Files.readString(log) : ""; }
}
