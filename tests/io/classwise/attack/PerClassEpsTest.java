package io.classwise.attack;

import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.nn.Tape;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Backends;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-class ε: each example stays inside its own class's ball, and equal budgets give exactly the plain attack. */
class PerClassEpsTest {
    @Test
    void everyExampleStaysInsideItsClassBudgetAndEqualBudgetsAreThePlainAttack() {
        try (Backend b = Backends.create("cpu", 1)) {
            Model m = Models.create(b, Models.spec("small-cnn", 10, 1, 28, 28), 3);
            int n = 20, size = 28 * 28;
            Rng rng = new Rng(5);
            float[] xv = new float[n * size], yv = new float[n];
            for (int i = 0; i < xv.length; i++) xv[i] = (float) rng.nextDouble();
            for (int i = 0; i < n; i++) yv[i] = i % 10;
            Tensor x = b.allocate(n, 1, 28, 28).copyFrom(xv), y = b.allocate(n).copyFrom(yv);
            float[] eps = new float[10];
            for (int c = 0; c < 10; c++) eps[c] = 0.02f * (c + 1);
            for (Pgd base : new Pgd[] {Pgd.pgd(0.1f, 0.025f, 5, 1), Pgd.fgsm(0.1f), Pgd.fgsmRandomStart(0.1f, 0.125f)}) {
                float[] adv = base.withEpsPerClass(eps).run(m, new Tape(b), x, y, null, new Rng(7)).adversarial().toArray();
                for (int i = 0; i < n; i++) {
                    float worst = 0;
                    for (int j = 0; j < size; j++) {
                        float a = adv[i * size + j];
                        assertTrue(a >= 0 && a <= 1, "pixel in [0, 1]");
                        worst = Math.max(worst, Math.abs(a - xv[i * size + j]));
                    }
                    float budget = eps[(int) yv[i]];
                    assertTrue(worst <= budget + 1e-6f, base.name() + " example " + i + ": |δ|∞ " + worst + " > ε_y " + budget);
                    assertTrue(worst >= 0.5f * budget, base.name() + " example " + i + " uses its budget: " + worst + " of " + budget);
                }
            }
            float[] same = new float[10];
            Arrays.fill(same, 0.1f);
            Pgd plain = Pgd.pgd(0.1f, 0.025f, 5, 1);
            assertArrayEquals(plain.run(m, new Tape(b), x, y, null, new Rng(7)).adversarial().toArray(),
                    plain.withEpsPerClass(same).run(m, new Tape(b), x, y, null, new Rng(7)).adversarial().toArray(), "bit for bit");
            assertThrows(IllegalArgumentException.class, () -> Pgd.l2(0.5f, 0.1f, 3, 1).withEpsPerClass(eps));
        }
    }
}
