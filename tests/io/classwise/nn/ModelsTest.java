package io.classwise.nn;

import io.classwise.tensor.Backend;
import io.classwise.tensor.Tensor;
import io.classwise.tensor.cpu.CpuBackend;
import io.classwise.util.Rng;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.classwise.TestUtil.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.Arrays;

class ModelsTest {
    static final CpuBackend B = new CpuBackend(2);

    @AfterAll
    static void close() { B.close(); }

    /** Parameter counts of the PyTorch reference implementations (sum of p.numel() over parameters()). */
    @ParameterizedTest(name = "{0} with {1} classes on {2}x{3}x{4}: {5} parameters")
    @CsvSource({
            "madry-cnn, 10, 1, 28, 28, 3274634",
            "resnet18, 10, 3, 32, 32, 11173962",
            "preact-resnet18, 10, 3, 32, 32, 11172170",
            "wrn-34-10, 10, 3, 32, 32, 46160474",
            "dm-wrn-70-16, 10, 3, 32, 32, 266796506",
            "dm-wrn-28-10-relu, 100, 3, 32, 32, 36536884",
            "resnet50, 1000, 3, 224, 224, 25557032",
            "resnet18, 100, 3, 32, 32, 11220132",
    })
    void parameterCounts(String arch, int classes, int c, int h, int w, long expected) {
        Model m = Models.create(B, Models.spec(arch, classes, c, h, w), 0);
        assertEquals(expected, m.parameterCount());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"madry-cnn, 1, 28", "small-cnn, 1, 28", "resnet18, 3, 32", "preact-resnet18, 3, 32", "wrn-16-2, 3, 32", "dm-wrn-16-2, 3, 32",
            "resnet50, 3, 64"})
    void inputOnlyBackwardEqualsFullBackwardAndSkipsWeights(String arch, int c, int hw) {
        Model m = Models.create(B, Models.spec(arch, 10, c, hw, hw), 1);
        Tensor x = B.allocate(2, c, hw, hw).copyFrom(uniform(new Rng(2), 2 * c * hw * hw, 0, 1));
        Tensor labels = B.allocate(2).copyFrom(new float[] {3, 7});
        for (boolean training : new boolean[] {true, false}) {
            float[] full = inputGradient(m, x, labels, training, Grad.INPUT_AND_PARAMS);
            m.zeroGrad();
            float[] inputOnly = inputGradient(m, x, labels, training, Grad.INPUT);
            assertArrayEquals(full, inputOnly, arch + " training=" + training);
            boolean nonZero = false;
            for (float v : inputOnly) nonZero |= v != 0;
            assertTrue(nonZero, "input gradient is all zero");
            for (Parameter p : m.parameters()) for (float v : p.grad().toArray()) assertEquals(0f, v,
                    "input-only backward touched a weight gradient");
        }
    }

    private static float[] inputGradient(Model m, Tensor x, Tensor labels, boolean training, Grad grad) {
        Tape tape = new Tape(B).training(training);
        Tensor logits = m.forward(tape, x);
        Tensor d = B.allocate(logits.shape());
        Losses.crossEntropy(logits, labels, 1f, B.allocate(2), d);
        return m.backward(tape, d, grad).toArray();
    }

    @Test
    void sameSeedSameWeightsOtherSeedOtherWeights() {
        Models.Spec spec = Models.spec("resnet18", 10, 3, 32, 32);
        float[] a = Models.create(B, spec, 42).parameters().get(0).value().toArray();
        float[] b = Models.create(B, spec, 42).parameters().get(0).value().toArray();
        float[] c = Models.create(B, spec, 43).parameters().get(0).value().toArray();
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
    }

    @Test
    void pytorchDefaultInitBounds() {
        Model m = Models.create(B, Models.spec("madry-cnn", 10, 1, 28, 28), 3);
        float[] w = m.stateDict().entries().get("linear1.weight") instanceof StateDict.FloatEntry f ? f.tensor().toArray() : null;
        double bound = 1 / Math.sqrt(3136), max = 0, sumSq = 0;
        for (float v : w) { max = Math.max(max, Math.abs(v)); sumSq += v * v; }
        assertTrue(max <= bound && max > 0.99 * bound, "U(±1/√fan_in)");
        assertEquals(bound * bound / 3, sumSq / w.length, 0.01 * bound * bound); // variance of U(−b, b)
    }

    @Test
    void cosineHeadKeepsStateNamesAndDropsBias() {
        Models.Spec spec = Models.spec("preact-resnet18", 10, 3, 32, 32).withCosineHead(15f);
        Model m = Models.create(B, spec, 0);
        assertTrue(m.stateDict().entries().containsKey("linear.weight"));
        assertFalse(m.stateDict().entries().containsKey("linear.bias"));
    }

    @Test
    void unknownArchitectureAndBadShapesAreExplained() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Models.create(B, Models.spec("vgg16", 10,
                3, 32, 32), 0));
        assertTrue(e.getMessage().contains("madry-cnn"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Models.create(B, Models.spec("wrn-35-10", 10, 3, 32, 32), 0));
        assertTrue(e.getMessage().contains("6n+4"), e.getMessage());
        Model m = Models.create(B, Models.spec("small-cnn", 10, 1, 28, 28), 0);
        e = assertThrows(IllegalArgumentException.class, () -> m.forward(new Tape(B), B.allocate(2, 3, 28, 28)));
        assertTrue(e.getMessage().contains("(N, 1, 28, 28)"), e.getMessage());
    }

    static Backend backend() { return B; }
}
