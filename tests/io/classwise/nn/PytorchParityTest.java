package io.classwise.nn;

import io.classwise.nn.checkpoint.Safetensors;
import io.classwise.tensor.Tensor;
import io.classwise.tensor.cpu.CpuBackend;
import io.classwise.tensor.reference.ReferenceBackend;
import io.classwise.tensor.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static io.classwise.TestUtil.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Against PyTorch itself: the fixtures in tests/resources/pytorch come from
 * tests/fixtures/generate_pytorch_fixtures.py (see there to regenerate).
 */
class PytorchParityTest {

    /** Every state_dict entry, in PyTorch's order, with its dtype and shape. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "madry-cnn, 10, 1, 28", "small-cnn, 10, 1, 28", "resnet18, 10, 3, 32",
            "preact-resnet18, 10, 3, 32", "wrn-34-10, 10, 3, 32", "resnet50, 1000, 3, 224",
    })
    void stateDictLayoutMatchesPytorch(String arch, int classes, int c, int hw) throws IOException {
        List<String> expected = new ArrayList<>();
        try (InputStream in = getClass().getResourceAsStream("/pytorch/state_dict_" + arch + ".txt")) {
            assertNotNull(in, "fixture for " + arch);
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines()
                    .filter(l -> !l.startsWith("#")).forEach(expected::add);
        }
        List<String> actual = new ArrayList<>();
        Model m = Models.create(new ReferenceBackend(), Models.spec(arch, classes, c, hw, hw), 0);
        for (Map.Entry<String, StateDict.Entry> e : m.stateDict().entries().entrySet()) {
            String dtype = e.getValue() instanceof StateDict.FloatEntry ? "F32" : "I64";
            String shape = String.join(",", Arrays.stream(e.getValue().shape()).mapToObj(Integer::toString).toList());
            actual.add(e.getKey() + " " + dtype + " " + shape);
        }
        assertEquals(expected, actual);
    }

    /**
     * A WideResNet-10-1 with PyTorch's random weights and BN statistics: logits and input gradients
     * (eval and train mode) and two weight gradients equal PyTorch's within float32 tolerance
     * (atol 1e-4, rtol 1e-3: sums of a few thousand products in a different order).
     */
    @Test
    void wideResnetForwardAndBackwardMatchPytorch() throws IOException, URISyntaxException {
        Safetensors.Contents fx = Safetensors.read(Path.of(getClass().getResource("/pytorch/wrn-10-1_forward.safetensors").toURI()));
        for (Backend b : new Backend[] {new ReferenceBackend(), new CpuBackend(2)}) {
            Model m = Models.create(b, Models.spec("wrn-10-1", 5, 3, 8, 8), 0);
            for (Map.Entry<String, StateDict.Entry> e : m.stateDict().entries().entrySet()) {
                if (e.getValue() instanceof StateDict.FloatEntry f) f.tensor().copyFrom(fx.tensors().get("weights."
                        + e.getKey()).toFloats());
            }
            Tensor x = b.allocate(3, 3, 8, 8).copyFrom(fx.tensors().get("input").toFloats());
            Tensor y = b.allocate(3).copyFrom(fx.tensors().get("labels").toFloats());
            for (String mode : new String[] {"eval", "train"}) {
                m.zeroGrad();
                Tape tape = new Tape(b).training(mode.equals("train"));
                Tensor logits = m.forward(tape, x);
                assertClose(fx.tensors().get("logits_" + mode).toFloats(), logits.toArray(), 1e-4, 1e-3, b.name() + " logits " + mode);
                Tensor d = b.allocate(3, 5);
                b.softmaxCrossEntropy(logits, y, 1f, b.allocate(3), d, 1f); // gradient of the summed loss
                Tensor dx = m.backward(tape, d, Grad.INPUT_AND_PARAMS);
                assertClose(fx.tensors().get("grad_input_" + mode).toFloats(), dx.toArray(), 1e-4, 1e-3, b.name()
                        + " input gradient " + mode);
            }
            // Weight gradients of the train-mode pass (zeroed before it).
            assertClose(fx.tensors().get("grad_fc_weight_train").toFloats(), grad(m, "fc.weight"), 1e-4, 1e-3, b.name()
                    + " fc.weight grad");
            assertClose(fx.tensors().get("grad_conv1_weight_train").toFloats(), grad(m, "conv1.weight"), 1e-4, 1e-3, b.name()
                    + " conv1.weight grad");
            b.close();
        }
    }

    private static float[] grad(Model m, String name) {
        Tensor value = ((StateDict.FloatEntry) m.stateDict().entries().get(name)).tensor();
        for (Parameter p : m.parameters()) if (p.value() == value) return p.grad().toArray();
        throw new AssertionError("no parameter " + name);
    }
}
