package io.classwise.cli;

import io.classwise.tensor.Backends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest extends CommandLineTest {
    @Test
    void infoReportsBackendsBlasAndCuda() {
        assertEquals(0, Main.execute("info"));
        String s = stdout();
        // Whatever this machine has: every backend is listed (available, or with its reason), and auto's choice is the description's.
        Backends.Description d = Backends.describe();
        assertTrue(s.contains("Java:") && s.contains("cuda") && s.contains("cpu") && s.contains("reference"), s);
        assertTrue(s.contains("Default:    --device auto → " + d.autoDevice()), s);
        if (d.choices().get(1).available()) assertTrue(s.contains("OpenBLAS") && s.contains("BLAS threads 1"), s);
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : new String[] {"info", "bench", "data", "train", "eval", "attack", "diagnose", "remove-class", "report",
                "reproduce", "demo", "compare", "convert"}) {
            out.reset();
            assertEquals(0, Main.execute(cmd, "--help"));
            assertTrue(stdout().contains("Usage: engine.jar " + cmd), stdout());
        }
    }

    @Test
    void benchPrintsATableOfImagesPerSecond() {
        assertEquals(0, Main.execute("bench", "--batch", "4", "--reps", "1", "--warmup", "0", "--device", "reference"));
        String s = stdout();
        assertTrue(s.contains("images/s") && s.contains("PGD step madry-cnn") && s.contains("PGD step small-cnn"), s);
    }

    /**
     * bf16 as a user meets it: info names the kernel auto picks; bench without --precision runs fp32 and bf16 side by side with
     * the step's share of each GEMM peak; the fallback forced with --bf16-kernel emulated runs on any CPU; a wrong value is
     * refused naming the flag.
     */
    @Test
    void bf16KernelsAreNamedComparedAndForcible() {
        Assumptions.assumeTrue(Backends.cpuUnavailabilityCause() == null, "no cpu backend");
        assertEquals(0, Main.execute("info"));
        assertTrue(stdout().contains("bf16 (--precision bf16) kernel: " + Backends.bf16KernelChoice()), stdout());
        out.reset();
        assertEquals(0, Main.execute("bench", "--device", "cpu", "--workload", "pgd10-train:small-cnn", "--batch", "4", "--reps", "1",
                "--warmup", "0"));
        String s = stdout();
        assertTrue(s.contains("arithmetic: [fp32, bf16 (") && s.contains("share of that arithmetic's GEMM peak"), s);
        assertTrue(s.lines().filter(l -> l.startsWith("| PGD-10 training step small-cnn")).count() == 2, s);
        out.reset();
        assertEquals(0, Main.execute("bench", "--device", "cpu", "--precision", "bf16", "--bf16-kernel", "emulated", "--workload",
                "pgd-step:small-cnn", "--batch", "4", "--reps", "1", "--warmup", "0", "--efficiency=false"));
        assertTrue(stdout().contains("arithmetic: [bf16 (emulated)]") && stdout().contains("PGD step small-cnn"), stdout());
        assertNotEquals(0, Main.execute("bench", "--device", "cpu", "--precision", "bf16", "--bf16-kernel", "avx9", "--batch", "4"));
        assertTrue(stderr().contains("--bf16-kernel") && stderr().contains("avx9"), stderr());
    }

    /** A bf16 run on the forced fallback: it trains, says how it multiplies, and records the kernel in its config. */
    @Test
    void aBf16RunRecordsItsKernel() throws IOException {
        Assumptions.assumeTrue(Backends.cpuUnavailabilityCause() == null, "no cpu backend");
        Path run = Files.createTempDirectory("classwise-bf16-run").resolve("run");
        assertEquals(0, Main.execute("train", "--dataset", "fashion-mnist", "--synthetic", "64", "--arch", "small-cnn", "--epochs", "1",
                "--eval-examples", "0", "--batch-size", "32", "--device", "cpu", "--precision", "bf16", "--bf16-kernel", "emulated",
                "--out", run.toString(), "--no-progress"), stderr());
        assertTrue(stdout().contains("bf16 (emulated)"), stdout());
        String config = Files.readString(run.resolve("config.json"));
        assertTrue(config.contains("\"precision\" : \"bf16\"") && config.contains("\"bf16Kernel\" : \"emulated\""), config);
    }

    @Test
    void benchProfileSplitsTheStepIntoBackendOperations() {
        assertEquals(0, Main.execute("bench", "--profile", "--workload", "pgd-step:small-cnn", "--batch", "4", "--reps", "2",
                "--warmup", "0",
                "--device", "reference"));
        String s = stdout();
        // One PGD step of the small CNN: two convolutions forward and their input gradients, the fused
        // ReLU + pooling both ways, two dense layers (products) per pass.
        assertTrue(s.contains("conv2dForward 1→16 3x3 on 28x28") && s.contains("conv2dBackwardData 16→32 3x3 on 14x14"), s);
        assertTrue(s.contains("reluMaxPoolBackward") && s.contains("gemm NT 4x"), s);
        double share = s.lines().filter(l -> l.endsWith("%")).mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ')
                + 1, l.length() - 1))).sum();
        assertEquals(100, share, 0.5, "shares add up to the time in Backend calls");
    }

    @Test
    void dataInfoNamesWhereItLookedWhenFilesAreMissing() throws Exception {
        Path empty = Files.createTempDirectory("no-data");
        assertNotEquals(0, Main.execute("data", "info", "cifar100", "--data-dir", empty.toString()));
        assertTrue(stderr().contains(empty.resolve("cifar100").toString()) && stderr().contains("data fetch cifar100"), stderr());
        err.reset();
        assertNotEquals(0, Main.execute("data", "info", "coco"));
        assertTrue(stderr().contains("unknown dataset 'coco'"), stderr());
        out.reset();
        assertEquals(0, Main.execute("data", "fetch", "imagenet"));
        assertTrue(stdout().contains("account"), stdout());
    }

    @Test
    void trainThenAttackPrintsPerClassRobustAccuracy(@org.junit.jupiter.api.io.TempDir Path dir) {
        Path run = dir.resolve("run");
        assertEquals(0, Main.execute("train", "--dataset", "fashion-mnist", "--embedded", "--method", "pgd-at", "--arch", "small-cnn",
                "--epochs", "1", "--train-examples", "300", "--eval-examples", "100", "--train-steps", "2", "--eval-steps", "3",
                "--out", run.toString(), "--no-progress"));
        assertTrue(Files.exists(run.resolve("metrics.jsonl")) && Files.exists(run.resolve("config.json")));
        out.reset();
        assertEquals(0, Main.execute("attack", "--checkpoint", run.resolve("checkpoints/last.safetensors").toString(),
                "--attack", "tpgd", "--T", "5", "--steps", "3", "--examples", "100"));
        String s = stdout();
        assertTrue(s.contains("TPGD-3(T=5)") && s.contains("Ankle boot") && s.contains("robust"), s);
        assertTrue(s.contains("robust fairness: average over classes") && s.contains("worst class"), s);
        // Per-class rows "id class n clean robust [low, high]": robust never exceeds clean and lies in its interval.
        for (String line : s.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 7 && f[0].matches("\\d+")) {
                double clean = Double.parseDouble(f[f.length - 4]), robust = Double.parseDouble(f[f.length - 3]);
                double low = Double.parseDouble(f[f.length - 2].replaceAll("[\\[,]", "")), high = Double.parseDouble(f[f.length - 1].replace("]", ""));
                assertTrue(robust <= clean && low <= robust && robust <= high, line);
            }
        }
        // Targeted towards Bag, with a gallery: the target-hit column, one PNG per class, the raw tensors.
        out.reset();
        assertEquals(0, Main.execute("attack", "--checkpoint", run.resolve("checkpoints/last.safetensors").toString(),
                "--attack", "pgd", "--steps", "5", "--examples", "100", "--target", "Bag", "--save-examples", "2"), stderr());
        s = stdout();
        assertTrue(s.contains("targeted towards class 8") && s.contains("target hit"), s);
        Path gallery = run.resolve("examples/pgd-5");
        assertTrue(Files.exists(gallery.resolve("index.json")) && Files.exists(gallery.resolve("examples.safetensors")), s);
        try (var pngs = Files.list(gallery)) {
            assertTrue(pngs.anyMatch(f -> f.getFileName().toString().matches("class-\\d\\d\\.png")),
                    "a grid per class with correctly classified examples");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        err.reset();
        assertNotEquals(0, Main.execute("attack", "--checkpoint", run.resolve("checkpoints/last.safetensors").toString(),
                "--attack", "square",
                "--target", "random"));
        assertTrue(stderr().contains("--target") && stderr().contains("untargeted"), stderr());
        err.reset();
        assertNotEquals(0, Main.execute("attack", "--checkpoint", run.resolve("missing.safetensors").toString()));
        assertTrue(stderr().contains("does not exist"), stderr());
    }

    @Test
    void demoRunsTheWholePipelineOnTheEmbeddedData(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        assertEquals(0, Main.execute("demo", "--out", dir.toString(), "--epochs", "1", "--train-examples", "300",
                "--eval-examples", "50", "--no-progress"), stderr());
        String s = stdout();
        assertTrue(s.contains("top flip target") && s.contains("Shirt") && s.contains("Pearson r ="), s);
        for (String f : new String[] {"flip_matrix.json", "attack_ladder.csv", "temperature_pgd.json", "reachable_classes.json",
                "weight_norms.json", "robustness_over_epochs.json"}) {
            assertTrue(Files.exists(dir.resolve("analysis").resolve(f)), f);
        }
        String html = Files.readString(dir.resolve("report.html"));
        assertTrue(html.contains("adversarial examples per class") && html.contains("data:image/png;base64"), "the report's gallery");
    }

    @Test
    void badInputIsOneLineWithoutStackTrace() {
        assertNotEquals(0, Main.execute("bench", "--device", "tpu"));
        assertTrue(stderr().contains("--device must be one of auto, cpu, cuda, cuda:N, cuda-emulated, reference"), stderr());
        assertFalse(stderr().contains("\tat "), "no stack trace without --verbose");
        err.reset();
        assertNotEquals(0, Main.execute("bench", "--batch", "zero"));
        assertTrue(stderr().contains("--batch"), stderr());
        if (Backends.cudaUnavailabilityCause() != null) { // on a GPU machine bench --device cuda just works
            err.reset();
            assertNotEquals(0, Main.execute("bench", "--device", "cuda"));
            assertTrue(stderr().contains("--device cuda: ") && stderr().contains("CUDA") && stderr().contains("--device cpu"), stderr());
        }
    }

    /** Values that make no sense get one line naming the flag and what it accepts. */
    @Test
    void nonsenseValuesAreRefusedNamingTheFlag(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String[][] cases = {
            {"--eps", "2", "--eps must be in [0, 1]"}, {"--eps", "Infinity", "--eps must be in [0, 1]"}, {"--threads", "-3",
                    "--threads must be"},
            {"--threads", "100000", "--threads must be"}, {"--momentum", "5", "--momentum must be in [0, 1)"},
            {"--train-examples", "-5", "--train-examples must be >= 0"}, {"--stop-after", "0", "--stop-after must be >= 1"},
            {"--batch-size", "2000000000", "--batch-size must be in 1..65536"}};
        for (String[] c : cases) {
            err.reset();
            assertNotEquals(0, Main.execute("train", "--dataset", "fashion-mnist", "--embedded", "--out",
                    dir.resolve("x").toString(), c[0], c[1]), c[0]);
            assertTrue(stderr().contains(c[2]) && !stderr().contains("\tat "), c[0] + " " + c[1] + ": " + stderr());
        }
        err.reset();
        assertNotEquals(0, Main.execute("train", "--dataset", "fashion-mnist", "--embedded", "--out", ""));
        assertTrue(stderr().contains("--out"), stderr());
        Path array = Files.writeString(dir.resolve("a.json"), "[1, 2]");
        err.reset();
        assertNotEquals(0, Main.execute("train", "--dataset", "fashion-mnist", "--embedded", "--out", dir.resolve("y").toString(),
                "--config", array.toString()));
        assertTrue(stderr().contains("expected an object") && stderr().contains("array"), stderr());
        Path fraction = Files.writeString(dir.resolve("f.yaml"), "epochs: 1.7\n");
        err.reset();
        assertNotEquals(0, Main.execute("train", "--dataset", "fashion-mnist", "--embedded", "--out", dir.resolve("z").toString(),
                "--config", fraction.toString()));
        assertTrue(stderr().contains("--config") && stderr().contains("f.yaml"), stderr());
        err.reset();
        assertNotEquals(0, Main.execute("attack", "--checkpoint", dir.resolve("none.safetensors").toString(), "--examples", "-5"));
    }

    /** On resume, more epochs and another --threads are fine; a flag that changes the experiment is refused by name. */
    @Test
    void resumeRefusesContradictingFlags(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String run = dir.resolve("run").toString();
        assertEquals(0, Main.execute("train", "--dataset", "fashion-mnist", "--embedded", "--method", "natural", "--arch",
                "small-cnn", "--epochs", "1",
                "--train-examples", "100", "--eval-examples", "20", "--eval-steps", "1", "--out", run, "--no-progress"), stderr());
        err.reset();
        assertNotEquals(0, Main.execute("train", "--resume", "--out", run, "--lr", "0.5"));
        assertTrue(stderr().contains("--lr 0.5 contradicts the run being resumed"), stderr());
        err.reset();
        assertNotEquals(0, Main.execute("train", "--resume", "--out", run, "--dataset", "cifar10"));
        assertTrue(stderr().contains("--dataset cifar10 contradicts"), stderr());
        err.reset();
        assertNotEquals(0, Main.execute("train", "--resume", "--out", run, "--arch", "resnet18"));
        assertTrue(stderr().contains("--arch resnet18 contradicts"), stderr());
        err.reset();
        assertNotEquals(0, Main.execute("train", "--dataset", "fashion-mnist", "--embedded", "--out", run));
        assertTrue(stderr().contains("already holds a run") && stderr().contains("--overwrite"), stderr());
        out.reset();
        assertEquals(0, Main.execute("train", "--resume", "--out", run, "--epochs", "2", "--threads", "1", "--no-progress"), stderr());
        assertEquals(2, Files.readAllLines(dir.resolve("run/metrics.jsonl")).size());
        assertTrue(Files.readString(dir.resolve("run/config.json")).contains("\"epochs\" : 2"));
    }
}
