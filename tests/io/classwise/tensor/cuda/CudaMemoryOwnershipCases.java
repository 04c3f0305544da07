package io.classwise.tensor.cuda;

import io.classwise.data.DatasetId;
import io.classwise.data.DemoData;
import io.classwise.data.ImageDataset;
import io.classwise.data.Split;
import io.classwise.data.SubsetDataset;
import io.classwise.nn.Grad;
import io.classwise.nn.Losses;
import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.nn.Sgd;
import io.classwise.nn.Tape;
import io.classwise.tensor.Tensor;
import io.classwise.train.Recipes;
import io.classwise.train.RunDirectory;
import io.classwise.train.Trainer;
import io.classwise.util.Rng;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;

import static io.classwise.TestUtil.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GPU side of {@code SteadyStateMemoryTest} and {@code MemoryOwnershipTest}, on the caching allocator's
 * own counts: after the first step, training and attack steps hold no more device memory; a training run
 * hands back everything but the model and optimizer state itself (not through the garbage collector).
 */
abstract class CudaMemoryOwnershipCases {
    /** The device under test (a new backend each time). */
    protected abstract CudaBackend open();

    /** Skips or fails when the device is unavailable. */
    protected abstract void requireDevice();

    @BeforeEach
    void device() { requireDevice(); }

    @Test
    void trainingAndAttackStepsHoldNoMoreMemoryAfterTheFirst() {
        try (CudaBackend b = open()) {
            Model m = Models.create(b, Models.spec("resnet18", 10, 3, 32, 32), 1);
            Sgd sgd = new Sgd(m.parameters(), 0.9f, 0, 5e-4f, false);
            try (Tape train = new Tape(b).training(true); Tape attack = new Tape(b)) {
                Tensor x = b.allocate(4, 3, 32, 32).copyFrom(uniform(new Rng(1), 4 * 3 * 32 * 32, 0, 1));
                Tensor y = b.allocate(4).copyFrom(new float[] {1, 2, 3, 4}), per = b.allocate(4), d = b.allocate(4, 10);
                long after = 0;
                for (int step = 0; step < 3; step++) {
                    Losses.crossEntropy(m.forward(attack, x), y, 1f, per, d);
                    Tensor g = m.backward(attack, d, Grad.INPUT);
                    b.linfPgdStep(x, g, x, 0.01f, 0.03f);
                    sgd.zeroGrad();
                    Losses.crossEntropy(m.forward(train, x), y, 1f, per, d);
                    m.backward(train, d, Grad.PARAMS);
                    sgd.step(0.1f);
                    b.synchronize();
                    if (step == 0) after = b.inUseBytes();
                }
                assertTrue(after > 0);
                assertEquals(after, b.inUseBytes(), "device memory in use grew after the first step");
            }
        }
    }

    @Test
    void aTrainingRunHandsBackAllButTheModelWithoutTheGarbageCollector(@TempDir Path dir) throws Exception {
        ImageDataset train = SubsetDataset.balanced(DemoData.fashionMnist(Split.TRAIN), 20, 1);
        ImageDataset test = SubsetDataset.balanced(DemoData.fashionMnist(Split.TEST), 5, 1);
        try (CudaBackend b = open()) {
            // A first run fills the backend's own caches (cuDNN workspace, batch-norm scratch), which it keeps by design. It
            // stays reachable until the end: the garbage collector handing its model back mid-measurement would skew it.
            Trainer warmUp = trainer(b, train, test, dir.resolve("warm-up"));
            warmUp.fit(false);
            Trainer t = trainer(b, train, test, dir.resolve("measured"));
            // The first epoch allocates the weights' gradients (by the first backward) and the momentum buffers: model and
            // optimizer state, kept by design. The second, resumed, must give back everything it allocates.
            t.fit(false, 1);
            b.synchronize();
            long before = b.inUseBytes(), cleanerBefore = b.bytesReleasedByCleaner();
            t.fit(true);
            b.synchronize();
            assertEquals(before, b.inUseBytes(), "bytes in use after an epoch (resumed: training, evaluation, checkpoint) vs before");
            assertEquals(cleanerBefore, b.bytesReleasedByCleaner(), "memory was handed back by the garbage collector, not its owner");
            java.lang.ref.Reference.reachabilityFence(warmUp);
        }
    }

    private static Trainer trainer(CudaBackend b, ImageDataset train, ImageDataset test, Path dir) {
        return new Trainer(Recipes.smallCnn("trades", 2, 32, "constant", 0.03, 3, 0.03, 3, 0, 0, 1), b, DatasetId.FASHION_MNIST,
                train, test, new RunDirectory(dir), new PrintStream(OutputStream.nullOutputStream()), false);
    }
}
