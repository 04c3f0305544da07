package io.classwise.nn;

import io.classwise.tensor.Backend;
import io.classwise.tensor.reference.ReferenceBackend;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** torch.optim.SGD's update rule, checked on one scalar against values worked out by hand. */
class SgdTest {
    static final Backend B = new ReferenceBackend();

    private static float[] twoSteps(float momentum, float dampening, float wd, boolean nesterov) {
        Parameter p = new Parameter(B, 1);
        p.value().copyFrom(new float[] {1f});
        Sgd sgd = new Sgd(List.of(p), momentum, dampening, wd, nesterov);
        float[] out = new float[2];
        for (int s = 0; s < 2; s++) {
            p.grad().copyFrom(new float[] {0.5f});
            sgd.step(0.1f);
            out[s] = p.value().toArray()[0];
        }
        return out;
    }

    @Test
    void plainWithWeightDecay() {
        // g + wd·p = 0.6 → 1 − 0.06; then 0.5 + 0.094 = 0.594 → 0.94 − 0.0594
        float[] v = twoSteps(0, 0, 0.1f, false);
        assertEquals(0.94f, v[0], 1e-6);
        assertEquals(0.8806f, v[1], 1e-6);
    }

    @Test
    void momentumWithWeightDecay() {
        // buf₁ = 0.6 → 0.94; buf₂ = 0.9·0.6 + 0.594 = 1.134 → 0.94 − 0.1134
        float[] v = twoSteps(0.9f, 0, 0.1f, false);
        assertEquals(0.94f, v[0], 1e-6);
        assertEquals(0.8266f, v[1], 1e-6);
    }

    @Test
    void nesterovWithWeightDecay() {
        // d₁ = 0.6 + 0.9·0.6 = 1.14 → 0.886; d₂ = 0.5886, buf₂ = 1.1286, d = 0.5886 + 0.9·1.1286 = 1.60434
        float[] v = twoSteps(0.9f, 0, 0.1f, true);
        assertEquals(0.886f, v[0], 1e-6);
        assertEquals(0.725566f, v[1], 1e-6);
    }

    @Test
    void dampeningSkippedOnTheFirstStepAsInPyTorch() {
        // buf₁ = 0.5 (no dampening) → 0.95; buf₂ = 0.9·0.5 + 0.5·0.5 = 0.7 → 0.88
        float[] v = twoSteps(0.9f, 0.5f, 0, false);
        assertEquals(0.95f, v[0], 1e-6);
        assertEquals(0.88f, v[1], 1e-6);
    }

    @Test
    void nesterovNeedsMomentumWithoutDampening() {
        assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(new Parameter(B, 1)), 0, 0, 0, true));
    }

    @Test
    void schedules() {
        LrSchedule ms = LrSchedule.multiStep(0.1, 0.1, 150, 100);
        assertEquals(0.1, ms.lr(99.9), 1e-12);
        assertEquals(0.01, ms.lr(100), 1e-12);
        assertEquals(0.001, ms.lr(150.5), 1e-12);
        LrSchedule cos = LrSchedule.cosine(0.1, 0, 10);
        assertEquals(0.1, cos.lr(0), 1e-12);
        assertEquals(0.05, cos.lr(5.7), 1e-12);
        assertEquals(0.0, cos.lr(10), 1e-12);
        LrSchedule cyc = LrSchedule.cyclic(0.2, 10);
        assertEquals(0.0, cyc.lr(0), 1e-12);
        assertEquals(0.1, cyc.lr(2.5), 1e-12);
        assertEquals(0.2, cyc.lr(5), 1e-12);
        assertEquals(0.1, cyc.lr(7.5), 1e-12);
        assertEquals(0.0, cyc.lr(10), 1e-12);
    }
}
