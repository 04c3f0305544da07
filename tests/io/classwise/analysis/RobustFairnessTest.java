package io.classwise.analysis;

import io.classwise.util.Rng;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The robust-fairness summary and its bootstrap intervals. */
class RobustFairnessTest {

    private static RobustFairness sample(int perClass, double[] rate, long seed) {
        int k = rate.length;
        int[] labels = new int[k * perClass];
        boolean[] ok = new boolean[labels.length];
        Rng rng = new Rng(seed);
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % k;
            ok[i] = rng.nextDouble() < rate[labels[i]];
        }
        return RobustFairness.of(labels, ok, k, 7);
    }

    @Test
    void summaryMatchesThePerClassAccuracies() {
        RobustFairness f = RobustFairness.of(new int[] {0, 0, 1, 1, 2, 2, 2, 2}, new boolean[] {true, true, true, false, false, false, true, false},
                3, 11);
        assertEquals(1.0, f.perClass()[0]);
        assertEquals(0.5, f.perClass()[1]);
        assertEquals(0.25, f.perClass()[2]);
        assertEquals((1 + 0.5 + 0.25) / 3, f.average(), 1e-12);
        assertEquals(0.25, f.worst());
        assertEquals(2, f.worstClass());
        assertEquals(0.75, f.gap(), 1e-12);
        assertEquals(1.0, f.lower()[0], "a class right every time stays at 1 in every resample");
        assertEquals(1.0, f.upper()[0]);
    }

    @Test
    void intervalsContainTheEstimateAndNarrowWithMoreExamples() {
        double[] rate = {0.2, 0.5, 0.8, 0.6};
        RobustFairness small = sample(50, rate, 1), large = sample(2000, rate, 1);
        for (int c = 0; c < rate.length; c++) {
            assertTrue(small.lower()[c] <= small.perClass()[c] && small.perClass()[c] <= small.upper()[c]);
            assertTrue(large.upper()[c] - large.lower()[c] < (small.upper()[c] - small.lower()[c]) / 3, "class " + c);
            // A 95 % interval on 2,000 examples: the true rate is inside (binomial sd ≈ 0.011).
            assertTrue(large.lower()[c] <= rate[c] + 0.01 && rate[c] - 0.01 <= large.upper()[c], "class " + c);
        }
        for (int s = 0; s < 3; s++) assertTrue(large.interval()[s][0] <= large.interval()[s][1]);
        assertTrue(large.interval()[0][0] <= large.average() && large.average() <= large.interval()[0][1]);
        assertEquals(0, large.worstClass());
    }

    @Test
    void theSameSeedGivesTheSameIntervals() {
        double[] rate = {0.3, 0.7};
        assertEquals(sample(100, rate, 3).lower()[0], sample(100, rate, 3).lower()[0]);
    }
}
