package io.classwise.analysis;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.Arrays;

class AnalysisTest {

    @Test
    void classRobustnessSummaryAndIntervals() {
        ClassRobustness r = ClassRobustness.of(new double[] {0.05, 0.95, 1.0, 0.55, 0.10, Double.NaN});
        assertEquals(0.0, r.min() - 0.05, 1e-12);
        assertEquals(2, r.bestClass());
        assertEquals(0, r.worstClass());
        assertEquals(0.95, r.gap(), 1e-12);
        assertEquals((0.05 + 0.95 + 1.0 + 0.55 + 0.10) / 5, r.mean(), 1e-12);
        // 0.05 → 0-10 %, 0.10 → 10-20 %, 0.55 → 50-60 %, 0.95 and 1.0 → 90-100 %.
        assertArrayEquals(new int[] {1, 1, 0, 0, 0, 1, 0, 0, 0, 2}, r.intervalCounts());
        assertEquals("90-100%", ClassRobustness.intervalLabels().get(9));
        double m = r.mean(), ss = 0;
        for (double v : new double[] {0.05, 0.95, 1.0, 0.55, 0.10}) ss += (v - m) * (v - m);
        assertEquals(Math.sqrt(ss / 5), r.std(), 1e-12);
    }

    @Test
    void flipMatrixTargetsSharesAndEntropy() {
        FlipMatrix f = new FlipMatrix(4);
        // Class 0: 2 robust, 6 → class 2, 2 → class 3.  Class 1: 4 → class 0, 4 → class 2, 4 → class 3.
        int[] zeros = new int[10], ones = new int[12];
        Arrays.fill(ones, 1);
        f.add(zeros, zeros, new int[] {0, 0, 2, 2, 2, 2, 2, 2, 3, 3});
        f.add(ones, ones, new int[] {0, 0, 0, 0, 2, 2, 2, 2, 3, 3, 3, 3});
        assertEquals(8, f.flips(0));
        assertEquals(List.of(2, 3), f.topTargets(0));
        assertEquals(0.75, f.topShare(0, 1), 1e-12);
        assertEquals(1.0, f.topShare(0, 2), 1e-12);
        assertEquals(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)) / Math.log(2), f.flipEntropy(0), 1e-12);
        assertEquals(Math.log(3) / Math.log(2), f.flipEntropy(1), 1e-12, "uniform over 3 targets");
        assertEquals(0.2, f.rowNormalized()[0][0], 1e-12);
        assertTrue(Double.isNaN(f.flipEntropy(2)), "no examples, no flips");
    }

    /**
     * The study's population: an example the model gets wrong before any attack did not "flip" into
     * its clean prediction. It is counted apart and leaves the matrix, its shares and its entropy alone.
     */
    @Test
    void flipMatrixLeavesCleanErrorsOut() {
        FlipMatrix f = new FlipMatrix(3);
        // Class 0: three correct examples (one robust, two attacked into 1) and two clean errors predicted as 2.
        f.add(new int[] {0, 0, 0, 0, 0}, new int[] {0, 0, 0, 2, 2}, new int[] {0, 1, 1, 2, 2});
        assertEquals(2, f.cleanErrors(0));
        assertEquals(3, f.correctBeforeAttack(0));
        assertEquals(0, f.count(0, 2), "a clean error is not a flip into its clean prediction");
        assertEquals(List.of(1), f.topTargets(0));
        assertEquals(1.0, f.topShare(0, 1), 1e-12);
        assertEquals(1.0 / 3, f.rowNormalized()[0][0], 1e-12);
        assertEquals(0.0, f.flipEntropy(0), 1e-12);
    }

    @Test
    void correlations() {
        double[] x = {1, 2, 3, 4, 5}, y = {2, 4, 6, 8, 10.5};
        assertEquals(1.0, Correlation.spearman(x, y), 1e-12);
        assertTrue(Correlation.pearson(x, y) > 0.99);
        assertEquals(-1.0, Correlation.spearman(x, new double[] {5, 4, 3, 2, 1}), 1e-12);
        assertArrayEquals(new double[] {1.5, 1.5, 3}, Correlation.ranks(new double[] {7, 7, 9}));
        // Pearson against a hand computation: x = (1, 2, 3), y = (1, 3, 2) → r = 0.5.
        assertEquals(0.5, Correlation.pearson(new double[] {1, 2, 3}, new double[] {1, 3, 2}), 1e-12);
    }
}
