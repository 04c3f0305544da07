package io.classwise.nn;

import io.classwise.tensor.Tensor;
import io.classwise.tensor.cpu.CpuBackend;
import io.classwise.util.Rng;
import org.junit.jupiter.api.Test;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

import static io.classwise.TestUtil.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** After the first step, training and attack steps allocate no further native (direct) memory. */
class SteadyStateMemoryTest {

    private static long directBytes() {
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) return pool.getMemoryUsed();
        }
        throw new AssertionError("no direct buffer pool");
    }

    @Test
    void trainingAndAttackStepsReuseTheirBuffers() {
        try (CpuBackend b = new CpuBackend(2)) {
            Model m = Models.create(b, Models.spec("resnet18", 10, 3, 32, 32), 1);
            Sgd sgd = new Sgd(m.parameters(), 0.9f, 0, 5e-4f, false);
            Tape train = new Tape(b).training(true), attack = new Tape(b);
            Tensor x = b.allocate(4, 3, 32, 32).copyFrom(uniform(new Rng(1), 4 * 3 * 32 * 32, 0, 1));
            Tensor y = b.allocate(4).copyFrom(new float[] {1, 2, 3, 4}), per = b.allocate(4), d = b.allocate(4, 10);
            long after = 0;
            for (int step = 0; step < 3; step++) {
                Tensor g = m.backward(attack, lossGrad(m.forward(attack, x), y, per, d), Grad.INPUT);
                b.linfPgdStep(x, g, x, 0.01f, 0.03f);
                sgd.zeroGrad();
                m.backward(train, lossGrad(m.forward(train, x), y, per, d), Grad.PARAMS);
                sgd.step(0.1f);
                if (step == 0) after = directBytes();
            }
            assertTrue(after > 0);
            assertEquals(after, directBytes(), "direct memory grew after the first step");
        }
    }

    private static Tensor lossGrad(Tensor logits, Tensor y, Tensor per, Tensor d) {
        Losses.crossEntropy(logits, y, 1f, per, d);
        return d;
    }
}
