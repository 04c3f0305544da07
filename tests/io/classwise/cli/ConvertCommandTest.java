package io.classwise.cli;

import io.classwise.nn.checkpoint.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A model saved by PyTorch, converted and evaluated from the command line; a malicious file refused in one line. */
class ConvertCommandTest extends CommandLineTest {
    private static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    static Path fixture(String name) throws URISyntaxException {
        return Path.of(ConvertCommandTest.class.getResource("/io/classwise/nn/checkpoint/torch/" + name).toURI());
    }

    @Test
    void aPyTorchCheckpointConvertsAndEvaluates(@TempDir Path dir) throws Exception {
        Path ckpt = dir.resolve("imported.safetensors");
        assertEquals(0, Main.execute("convert", fixture("small_cnn_fmnist_fp16.pt").toString(), ckpt.toString(), "--arch", "small-cnn",
                "--dataset", "fashion-mnist", "--eps", "0.1"), stderr());
        String s = stdout();
        assertTrue(s.contains("under 'model_state_dict'") && s.contains("epoch") && s.contains("normalisation none"), s);
        assertEquals("small-cnn", Safetensors.read(ckpt).metadata().get("classwise.architecture"));
        assertEquals("0.1", Safetensors.read(ckpt).metadata().get("classwise.eps"));
        out.reset();
        assertEquals(0, Main.execute("info", "--arch", "small-cnn", "--dataset", "fashion-mnist"));
        assertTrue(stdout().contains("fc2.weight [10, 128]"), stdout());
        assumeTrue(Files.exists(FASHION_MNIST.resolve("t10k-images-idx3-ubyte.gz")), "the real Fashion-MNIST (Debian dataset-fashion-mnist)");
        out.reset();
        assertEquals(0, Main.execute("eval", "--checkpoint", ckpt.toString(), "--examples", "50", "--steps", "2", "--data-dir",
                FASHION_MNIST.getParent().toString()), stderr());
        String converted = stdout();
        assertTrue(converted.contains("PGD-2 on fashion-mnist (50 test images"), converted);
        // The .pt itself, with --arch and --dataset: the same numbers as its conversion.
        out.reset();
        assertEquals(0, Main.execute("eval", "--checkpoint", fixture("small_cnn_fmnist_fp16.pt").toString(), "--arch", "small-cnn", "--dataset",
                "fashion-mnist", "--eps", "0.1", "--examples", "50", "--steps", "2", "--data-dir", FASHION_MNIST.getParent().toString()), stderr());
        String direct = stdout();
        assertEquals(converted.replaceAll("\\(.*?\\):", ""), direct.replaceAll("\\(.*?\\):", ""), "the ε's source aside, identical output");
        // As a run directory: diagnose treats it as a trained run (no recipe, so no class removal).
        Path run = dir.resolve("imported-run");
        assertEquals(0, Main.execute("convert", fixture("small_cnn_fmnist_fp16.pt").toString(), "--run", run.toString(), "--arch", "small-cnn",
                "--dataset", "fashion-mnist"), stderr());
        out.reset();
        assertEquals(0, Main.execute("diagnose", "--run", run.toString(), "--examples", "40", "--reachable-examples", "20", "--steps", "2",
                "--no-pgd100", "--square-queries", "10", "--temperatures", "1,5", "--data-dir", FASHION_MNIST.getParent().toString()), stderr());
        assertTrue(stdout().contains("class removal skipped") && Files.exists(run.resolve("report.html")), stdout());
        // Or in one step: diagnose --checkpoint makes the run directory itself; an existing run is never overwritten.
        Path oneStep = dir.resolve("direct-run");
        out.reset();
        assertEquals(0, Main.execute("diagnose", "--checkpoint", fixture("small_cnn_fmnist_fp16.pt").toString(), "--arch", "small-cnn",
                "--dataset", "fashion-mnist", "--run", oneStep.toString(), "--examples", "40", "--reachable-examples", "20", "--steps", "2",
                "--no-pgd100", "--square-queries", "10", "--temperatures", "1,5", "--data-dir", FASHION_MNIST.getParent().toString()), stderr());
        assertTrue(stdout().contains("→ run directory " + oneStep) && Files.exists(oneStep.resolve("report.html")), stdout());
        err.reset();
        assertNotEquals(0, Main.execute("diagnose", "--checkpoint", fixture("small_cnn_fmnist_fp16.pt").toString(), "--arch", "small-cnn",
                "--dataset", "fashion-mnist", "--run", run.toString()));
        assertTrue(stderr().contains("already holds a run"), stderr());
        err.reset();
        assertNotEquals(0, Main.execute("eval", "--checkpoint", fixture("small_cnn_fmnist_fp16.pt").toString()));
        assertTrue(stderr().contains("--arch and --dataset"), stderr());
    }

    /** A zoo model saved the way RobustBench saves ImageNet models and a TRADES release: what convert did is said. */
    @Test
    void zooCheckpointsSayHowTheirNamesWereFitted(@TempDir Path dir) throws Exception {
        assertEquals(0, Main.execute("convert", zoo("dm-wrn-28-10.pt").toString(), dir.resolve("dm.safetensors").toString(), "--arch",
                "dm-wrn-28-10", "--dataset", "cifar10"), stderr());
        assertTrue(stdout().contains("normalisation mean [0.4914, 0.4822, 0.4465] std [0.2471, 0.2435, 0.2616] (auto"), stdout());
        out.reset();
        assertEquals(0, Main.execute("convert", zoo("wrn-28-10.pt").toString(), dir.resolve("trades.safetensors").toString(), "--arch",
                "wrn-28-10", "--dataset", "cifar10"), stderr());
        assertTrue(stdout().contains("left out (unused by wrn-28-10's forward): 49 tensors, sub_block1.") && stdout().contains(
                "normalisation none"), stdout());
        out.reset();
        assertEquals(0, Main.execute("convert", zoo("resnet50.pt").toString(), dir.resolve("r50.safetensors").toString(), "--arch",
                "resnet50", "--dataset", "imagenet"), stderr());
        assertTrue(stdout().contains("the wrapper prefix 'model.' dropped") && stdout().contains("1000 classes"), stdout());
        // The wrong architecture: one line that names the mismatch and where to look.
        err.reset();
        assertNotEquals(0, Main.execute("convert", zoo("resnet50.pt").toString(), dir.resolve("x.safetensors").toString(), "--arch",
                "resnet18", "--dataset", "imagenet"));
        assertTrue(stderr().contains("does not fit resnet18") && stderr().contains("info --arch resnet18"), stderr());
        assertTrue(!Files.exists(dir.resolve("x.safetensors")));
    }

    private static Path zoo(String name) throws URISyntaxException {
        return Path.of(ConvertCommandTest.class.getResource("/io/classwise/nn/zoo/" + name).toURI());
    }

    @Test
    void aMaliciousFileIsRefusedInOneLine(@TempDir Path dir) throws Exception {
        assertNotEquals(0, Main.execute("convert", fixture("evil_system.pt").toString(), dir.resolve("x.safetensors").toString(), "--arch",
                "small-cnn", "--dataset", "fashion-mnist"));
        String e = stderr().trim();
        assertTrue(e.contains("posix.system") && !e.contains("\n") && !e.contains("at io."), e);
        assertTrue(!Files.exists(dir.resolve("x.safetensors")));
    }
}
