package io.classwise.train;

import io.classwise.data.DatasetId;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Attack budgets come from the flag, the model's training ε or the dataset's preset for the attack's norm — never a fixed guess. */
class PresetsTest {
    @Test
    void attackBudgetDefaultsFollowTheDatasetAndTheNorm() {
        // A checkpoint without classwise.eps on CIFAR-10: 8/255, not 0.1.
        assertEquals(8 / 255f, Presets.attackEps(null, false, null, DatasetId.CIFAR10), 1e-7);
        // ℓ2 never borrows the ℓ∞ ε, even when the model records one.
        assertEquals(0.5f, Presets.attackEps(null, true, "0.0313725", DatasetId.CIFAR10), 0f);
        assertEquals(2.0f, Presets.attackEps(null, true, null, DatasetId.MNIST), 0f);
        assertEquals(0.3f, Presets.attackEps(null, false, "0.3", DatasetId.MNIST), 0f);
        assertEquals(0.05f, Presets.attackEps(0.05f, true, "0.3", DatasetId.MNIST), 0f, "the flag wins");
        for (DatasetId id : DatasetId.values()) assertTrue(Presets.l2Eps(id) > Presets.linfEps(id), id
                + ": an ℓ2 ball is wider than the ℓ∞ one's radius");
    }

    @Test
    void noBudgetWithoutAFlagOrADatasetIsAnErrorNamingTheFlag() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Presets.attackEps(null, false, null, null));
        assertTrue(e.getMessage().contains("--eps"), e.getMessage());
    }
}
