package io.classwise.api;

import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.tensor.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model zoo's architectures at full size have PyTorch's parameter counts and take PyTorch-saved
 * checkpoints with their published names (tests/resources/io/classwise/nn/zoo/make_zoo_fixtures.py: real
 * PyTorch 1.13 and torchvision 0.14), loaded the way convert/eval/attack/predict load them. That the
 * loaded models compute PyTorch's logits is PredictCommandTest's part (from the command line).
 */
class ZooCheckpointsTest {
    static final CpuBackend B = new CpuBackend(2);

    @AfterAll
    static void close() { B.close(); }

    static Path fixture(String name) {
        try {
            return Path.of(ZooCheckpointsTest.class.getResource("/io/classwise/nn/zoo/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource({
            "wrn-28-10, cifar10, 36479194",
            "wrn-34-10, cifar10, 46160474",
            "wrn-34-20, cifar10, 184531674",
            "dm-wrn-28-10, cifar10, 36479194",
            "dm-wrn-70-16, cifar10, 266796506",
            "preact-resnet18, cifar10, 11172170",
            "resnet18, cifar10, 11173962",
            "resnet50, imagenet, 25557032",
    })
    void publishedCheckpointsLoadWithTheirNames(String arch, String dataset, long parameters) throws IOException {
        Model m = Models.createForLoading(B, ImportModel.spec(arch, dataset, null));
        try {
            assertEquals(parameters, m.parameterCount(), "parameters of PyTorch's " + arch);
            Checkpoint.Loaded loaded = Checkpoint.loadWeights(m, fixture(arch + ".pt"));
            if (arch.startsWith("wrn-")) {
                assertTrue(!loaded.unused().isEmpty() && loaded.unused().stream().allMatch(k -> k.startsWith("sub_block1.")),
                        "TRADES's unused sub_block1 is left out: " + loaded.unused());
            } else {
                assertEquals(List.of(), loaded.unused());
            }
            assertEquals(arch.equals("resnet50") ? "model." : null, loaded.droppedPrefix());

        } finally {
            m.release();
        }
    }
}
