package io.classwise.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import io.classwise.tensor.Backends;

/**
 * Runs benchmarks/pytorch_reference.py (packed into the jar) in a Python process, so PyTorch's
 * numbers for a workload come from the same machine in the same command as Classwise's.
 */
public final class PytorchReference {
    /** One PyTorch measurement: median seconds for one run of the workload, peak device bytes (-1 on CPU). */
    public record Measurement(double medianSeconds, int images, long peakBytes, String torchVersion) {
        public double imagesPerSecond() { return images / medianSeconds; }
    }

    private final String python;
    private final Path script;
    private String version = "?";

    private PytorchReference(String python, Path script) { this.python = python; this.script = script; }

    /** "PyTorch " + torch.__version__ of the interpreter. */
    public String version() { return "PyTorch " + version; }

    /** Extracts the script next to nothing else (a temp file) and checks that {@code python} imports torch. */
    public static PytorchReference start(String python) throws IOException {
        Path script = Files.createTempFile("classwise-pytorch-reference", ".py");
        script.toFile().deleteOnExit();
        try (InputStream in = PytorchReference.class.getResourceAsStream("pytorch_reference.py")) {
            if (in == null) throw new IllegalStateException("pytorch_reference.py is missing from the jar (rebuild with mvn package)");
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        PytorchReference ref = new PytorchReference(python, script);
        String out = ref.exec(List.of(python, "-c", "import torch; print(torch.__version__)"));
        if (out == null) {
            throw new IllegalArgumentException("--python " + python + ": cannot import torch with it; install PyTorch "
                    + "(Debian: apt-get install python3-torch) or pass --python with an interpreter that has it");
        }
        ref.version = out.strip();
        return ref;
    }

    /**
     * Times {@code kind:architecture} at {@code batch} with PyTorch: {@code threads} CPU threads
     * (0 = PyTorch's default), {@code mode} eager or fast (CUDA only).
     */
    public Measurement measure(String device, String kind, String architecture, int batch, int threads, String mode, int warmup, int reps)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(python, script.toString(), "--device", device, "--batch", Integer.toString(batch),
                "--threads", Integer.toString(threads), "--mode", mode, "--warmup", Integer.toString(warmup),
                "--reps", Integer.toString(reps), "--workload", kind + ":" + architecture));
        String out = exec(cmd);
        if (out == null) throw new IOException("PyTorch reference failed: " + String.join(" ", cmd) + " (its output is above)");
        String last = out.strip().lines().reduce((a, b) -> b).orElse("");
        JsonNode row = new ObjectMapper().readTree(last);
        return new Measurement(row.get("median_s").asDouble(), row.get("batch").asInt(),
                row.get("peak_bytes").isNull() ? -1 : row.get("peak_bytes").asLong(), row.get("torch").asText());
    }

    /** PyTorch's BLAS gets the kernel family Classwise requested for its own (same machine, same kernels). */
    private static ProcessBuilder environment(ProcessBuilder pb) {
        Backends.requestedBlasCoreType().ifPresent(core -> pb.environment().put("OPENBLAS_CORETYPE", core));
        return pb;
    }

    /**
     * The kernel family PyTorch's OpenBLAS runs (its "Core:" line with OPENBLAS_VERBOSE=2), or a
     * sentence saying it could not be told (a PyTorch on MKL, say).
     */
    public String blasCore() {
        return verboseLine("import torch; torch.ones(64, 64) @ torch.ones(64, 64)", Map.of("OPENBLAS_VERBOSE", "2"), "Core:", "unknown",
                "unknown (no OpenBLAS \"Core:\" line)");
    }

    /**
     * The instruction set oneDNN dispatches to on this CPU (its verbose "isa:" line for a bf16 convolution), or a
     * sentence saying it could not be told.
     */
    public String onednnIsa() {
        return verboseLine("import torch\nwith torch.autocast('cpu', dtype=torch.bfloat16):\n"
                + "    torch.nn.functional.conv2d(torch.ones(1, 8, 8, 8), torch.ones(8, 8, 3, 3))",
                Map.of("ONEDNN_VERBOSE", "1", "DNNL_VERBOSE", "1"), "isa:", "isa unknown", "isa unknown: no oneDNN verbose line");
    }

    /**
     * Runs {@code code} with a library's verbose switches in {@code env} and returns what follows {@code marker} on the first
     * output line that has it; {@code missing} when none does, {@code unknown + " (why)"} when Python could not be run.
     */
    private String verboseLine(String code, Map<String, String> env, String marker, String unknown, String missing) {
        try {
            ProcessBuilder pb = environment(new ProcessBuilder(python, "-c", code));
            pb.environment().putAll(env);
            Process p = pb.redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(2, TimeUnit.MINUTES);
            return out.lines().filter(l -> l.contains(marker)).findFirst()
                    .map(l -> l.substring(l.indexOf(marker) + marker.length()).strip()).orElse(missing);
        } catch (IOException e) {
            return unknown + " (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return unknown + " (interrupted)";
        }
    }

    /** Runs a command; its stdout on success, null on a non-zero exit (stderr is passed through). */
    private String exec(List<String> cmd) throws IOException {
        Process p;
        try {
            p = environment(new ProcessBuilder(cmd)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            throw new IllegalArgumentException("--python " + cmd.get(0) + ": cannot run it (" + e.getMessage() + ")");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.MINUTES)) { p.destroyForcibly(); return null; }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return null;
        }
        return p.exitValue() == 0 ? out : null;
    }
}
