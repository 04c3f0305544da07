package io.classwise.analysis;

import io.classwise.attack.Pgd;
import io.classwise.nn.Model;
import io.classwise.nn.Tape;
import io.classwise.nn.layers.Flatten;
import io.classwise.nn.layers.Linear;
import io.classwise.nn.layers.Normalize;
import io.classwise.nn.layers.Sequential;
import io.classwise.tensor.Tensor;
import io.classwise.tensor.reference.ReferenceBackend;
import io.classwise.util.Rng;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.Map;

/**
 * The study's populations on a model whose decisions are known exactly: one pixel x ∈ [0, 1], logits
 * (3 − 10x, 0, 10x − 7), so class 0 below x = 0.3, class 2 above 0.7, class 1 between. With ε = 0.25 an
 * example at 0.5 can be pushed into 0 and 2, one at 0.9 only into 1, and one at 0.1 labelled 1 is a clean
 * error: it "reaches" 0 with no attack at all and must not count.
 */
class PopulationTest {
    static final ReferenceBackend B = new ReferenceBackend();

    static Model threeBands() {
        Linear lin = new Linear(B, 1, 3, true);
        Model m = new Model("bands", 3, new int[] {1, 1, 1}, new Normalize(B, new float[] {0}, new float[] {1}),
                new Sequential().add(new Flatten()).add("fc", lin), lin);
        lin.weight().value().copyFrom(new float[] {-10, 0, 10});
        lin.bias().value().copyFrom(new float[] {3, 0, -7});
        return m;
    }

    @Test
    void reachableSetsOnlyCountExamplesClassifiedCorrectly() {
        Model m = threeBands();
        Tensor x = B.allocate(3, 1, 1, 1).copyFrom(new float[] {0.5f, 0.1f, 0.9f});
        Tensor y = B.allocate(3).copyFrom(new float[] {1, 1, 2});
        Reachability r = new Reachability(3);
        r.add(m, new Tape(B), Pgd.pgd(0.25f, 0.05f, 20, 1), x, y, new int[] {1, 1, 2}, new int[] {10, 11, 12}, new Rng(1));
        assertEquals(2, r.examples(), "the clean error is not in the sets");
        assertEquals(1, r.cleanErrors(1));
        assertEquals(0, r.cleanErrors(2));
        assertArrayEquals(new int[] {0, 2}, r.reachable(0));
        assertArrayEquals(new int[] {1}, r.reachable(1));
        assertEquals(List.of(), r.onlyInto(1, Set.of(0)), "example 11 is predicted 0 before any attack: not 'attackable only into class 0'");
        assertEquals(List.of(12), r.onlyInto(2, Set.of(1)));
        assertEquals(Map.of("0+2", 1), r.setsOf(1));
    }

    @Test
    void theControlMustRemoveAsManyClassesAsS() throws Exception {
        // 4 classes, source 0, S = {1, 2}: only class 3 is left for the control, one class against two.
        Reachability r = new Reachability(4);
        assertEquals(Set.of(3), ClassRemoval.controlFor(r, 0, Set.of(1, 2), 4));
        ClassRemoval exp = new ClassRemoval(B, null, null, null, null, null, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> exp.run(0, Set.of(1, 2), Set.of(3), List.of(5), 0, 1));
        assertTrue(e.getMessage().contains("same size"), e.getMessage());
    }
}
