package io.classwise.attack;

import io.classwise.util.Rng;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TargetChoiceTest {
    static final List<String> NAMES = List.of("cat", "dog", "car");

    @Test
    void parsesIdsNamesAndModes() {
        assertEquals(new TargetChoice(TargetChoice.Kind.CLASS, 1), TargetChoice.parse("dog", NAMES));
        assertEquals(new TargetChoice(TargetChoice.Kind.CLASS, 2), TargetChoice.parse("2", NAMES));
        assertEquals(TargetChoice.Kind.LEAST_LIKELY, TargetChoice.parse("least-likely", NAMES).kind());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TargetChoice.parse("7", NAMES));
        assertTrue(e.getMessage().contains("--target") && e.getMessage().contains("cat, dog, car"), e.getMessage());
    }

    @Test
    void choosesPerExample() {
        int[] labels = {0, 1, 2};
        float[] logits = {5, 1, -2, /**/ 0, 9, 3, /**/ -1, 4, 8};
        assertArrayEquals(new int[] {1, -1, 1}, TargetChoice.parse("dog", NAMES).choose(labels, logits, 3, new Rng(1)),
                "no target for the dog itself");
        assertArrayEquals(new int[] {2, 0, 0}, TargetChoice.parse("least-likely", NAMES).choose(labels, logits, 3, new Rng(1)));
        int[] random = TargetChoice.parse("random", NAMES).choose(new int[] {0, 0, 0, 0, 0, 0, 0, 0}, new float[24], 3, new Rng(2));
        boolean one = false, two = false;
        for (int t : random) { assertNotEquals(0, t); one |= t == 1; two |= t == 2; }
        assertTrue(one && two, "both other classes drawn");
        assertArrayEquals(random, TargetChoice.parse("random", NAMES).choose(new int[8], new float[24], 3, new Rng(2)), "seeded");
    }
}
