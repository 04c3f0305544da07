package io.classwise.cli;

import io.classwise.nn.checkpoint.Safetensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * "Destroy nothing", as a property over every command that writes (#24): each is run with its output pointed at
 * each of its inputs, at an existing unrelated file, at a directory that is not a run, at a run it must not replace,
 * and at "." (a separate process whose working directory is a source tree). Every such command is refused, and
 * afterwards every file that existed before is byte-identical and nothing was added or removed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DestroyNothingTest extends CommandLineTest {
    private Path w, notes, src, run, run2, model, inputs, pt, spec;

    @BeforeAll
    void world(@TempDir Path tmp) throws Exception {
        w = tmp;
        notes = Files.writeString(w.resolve("notes.txt"), "my notes");
        src = w.resolve("src");
        Files.createDirectories(src.resolve("pkg"));
        Files.writeString(src.resolve("Main.java"), "class Main {}");
        Files.writeString(src.resolve("report.html"), "<p>my page</p>");
        Files.writeString(src.resolve("pkg/config.json"), "{\"mine\": true}");
        Files.createDirectories(w.resolve("gallery/fgsm"));
        Files.writeString(w.resolve("gallery/fgsm/index.html"), "<p>my gallery</p>");
        run = w.resolve("run");
        run2 = w.resolve("run2");
        assertEquals(0, UserFilesSafetyTest.run(UserFilesSafetyTest.train(run, 1)));
        assertEquals(0, UserFilesSafetyTest.run(UserFilesSafetyTest.train(run2, 1, "--seed", "2")));
        pt = w.resolve("g.pt");
        Files.copy(ConvertCommandTest.fixture("small_cnn_fmnist_fp16.pt"), pt);
        model = w.resolve("model.safetensors");
        assertEquals(0, Main.execute("convert", pt.toString(), model.toString(), "--arch", "small-cnn", "--dataset", "fashion-mnist"));
        inputs = w.resolve("inputs.safetensors");
        float[] pixels = new float[28 * 28];
        Arrays.fill(pixels, 0.5f);
        Safetensors.write(inputs, Map.of("x", Safetensors.Entry.f32(new int[] {1, 1, 28, 28}, pixels)), Map.of());
        spec = Files.writeString(w.resolve("sweep.yaml"), "out: " + src + "\ndataset: fashion-mnist\nembedded: true\n"
                + "settings: {architecture: small-cnn, epochs: 1, trainExamples: 100, evalExamples: 20, evalSteps: 1}\ngrid: {method: [natural]}\n");
    }

    private Map<Path, String> snapshot() throws IOException {
        Map<Path, String> s = new TreeMap<>();
        try (var files = Files.walk(w)) {
            for (Path p : files.toList()) {
                if (p.getFileName().toString().endsWith(".log") && p.getParent().equals(w)) continue; // the subprocesses' own output
                s.put(w.relativize(p), Files.isDirectory(p) ? "dir" : io.classwise.util.FileDigests.hex(p, "SHA-256"));
            }
        }
        return s;
    }

    private List<String[]> inProcessCases() {
        String ptS = pt.toString(), m = model.toString(), in = inputs.toString();
        String[] arch = {"--arch", "small-cnn", "--dataset", "fashion-mnist"};
        List<String[]> c = new ArrayList<>();
        for (Path target : List.of(notes, src, run, model, pt)) {
            String t = target.toString();
            c.add(UserFilesSafetyTest.train(target, 1).toArray(String[]::new));
            if (!target.equals(run)) c.add(UserFilesSafetyTest.train(target, 1, "--overwrite").toArray(String[]::new));
            c.add(UserFilesSafetyTest.concat(new String[] {"convert", ptS, t}, arch));
            c.add(UserFilesSafetyTest.concat(new String[] {"convert", ptS, "--run", t}, arch));
            c.add(new String[] {"predict", "--checkpoint", m, "--inputs", in, "--out", t});
            c.add(new String[] {"compare", run.toString(), run2.toString(), "--out", t, "--examples", "20", "--steps", "1"});
            c.add(UserFilesSafetyTest.concat(new String[] {"diagnose", "--checkpoint", ptS, "--run", t, "--examples", "20"}, arch));
            c.add(new String[] {"demo", "--out", t, "--epochs", "1", "--train-examples", "100", "--eval-examples", "20", "--no-progress"});
            c.add(new String[] {"reproduce", "fashion-mnist", "--embedded", "--out", t, "--epochs", "1", "--train-examples", "100",
                    "--eval-examples", "20", "--no-progress"});
        }
        // Outputs that are inputs, even with --overwrite.
        c.add(UserFilesSafetyTest.concat(new String[] {"convert", ptS, ptS, "--overwrite"}, arch));
        c.add(new String[] {"predict", "--checkpoint", m, "--inputs", in, "--out", m, "--overwrite"});
        c.add(new String[] {"predict", "--checkpoint", m, "--inputs", in, "--out", in, "--overwrite"});
        c.add(new String[] {"compare", run.toString(), run2.toString(), "--out", run.toString(), "--overwrite", "--examples", "20"});
        // Commands that write into a run, pointed at what is not one.
        for (Path notRun : List.of(src, notes)) {
            c.add(new String[] {"diagnose", "--run", notRun.toString(), "--examples", "20"});
            c.add(new String[] {"report", "--run", notRun.toString()});
            c.add(new String[] {"remove-class", "--run", notRun.toString(), "--source", "0"});
        }
        // The gallery's folder (gallery/fgsm) exists and holds the user's files, not a gallery.
        c.add(new String[] {"attack", "--checkpoint", run.toString(), "--attack", "fgsm", "--examples", "20", "--save-examples", "2", "--examples-dir",
                w.resolve("gallery").toString()});
        c.add(new String[] {"sweep", spec.toString()});
        return c;
    }

    @Test
    void noCommandDestroysAFileItDidNotCreate() throws Exception {
        Map<Path, String> before = snapshot();
        List<String> accepted = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        for (String[] args : inProcessCases()) {
            err.reset();
            if (Main.execute(args) == 0) accepted.add(String.join(" ", args));
            assertEquals(before, snapshot(), "after: " + String.join(" ", args) + "\n" + stderr());
            assertTrue(stderr().contains("error: "), "refused with a message: " + String.join(" ", args) + "\n" + stderr());
            reasons.add(stderr().lines().filter(l -> l.startsWith("error: ")).findFirst().orElse("") + "   <- " + String.join(" ", args));
        }
        Files.writeString(Path.of("target/destroy-nothing-refusals.txt"), String.join("\n", reasons) + "\n");
        assertEquals(List.of(), accepted, "every case is refused");
    }

    /** "." as the output, from a process whose working directory is a source tree. */
    @Test
    void dotIsNeverWrittenOver() throws Exception {
        Map<Path, String> before = snapshot();
        String[][] cases = {
            UserFilesSafetyTest.train(Path.of("."), 1, "--overwrite").toArray(String[]::new),
            {"convert", pt.toString(), ".", "--arch", "small-cnn", "--dataset", "fashion-mnist", "--overwrite"},
            {"convert", pt.toString(), "--run", ".", "--arch", "small-cnn", "--dataset", "fashion-mnist"},
            {"predict", "--checkpoint", model.toString(), "--inputs", inputs.toString(), "--out", ".", "--overwrite"},
            {"compare", run.toString(), run2.toString(), "--out", ".", "--overwrite", "--examples", "20"},
        };
        for (String[] args : cases) {
            EngineProcess p = EngineProcess.start(src, w.resolve("dot.log"), args);
            assertNotEquals(0, p.await(), p.output());
            assertTrue(p.output().contains("error: "), p.output());
            assertEquals(before, snapshot(), "after: " + String.join(" ", args) + "\n" + p.output());
        }
    }
}
