package io.classwise.nn;

import io.classwise.attack.Attack;
import io.classwise.attack.Attacks;
import io.classwise.attack.Pgd;
import io.classwise.attack.TargetChoice;
import io.classwise.attack.TransferAttack;
import io.classwise.data.DatasetId;
import io.classwise.data.DemoData;
import io.classwise.data.ImageDataset;
import io.classwise.data.Split;
import io.classwise.data.SubsetDataset;
import io.classwise.data.pipeline.Transforms;
import io.classwise.tensor.AllocationLog;
import io.classwise.tensor.Tensor;
import io.classwise.train.Evaluation;
import io.classwise.train.Recipes;
import io.classwise.train.RunDirectory;
import io.classwise.train.Trainer;
import io.classwise.util.Rng;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Device memory is owned explicitly: whoever allocates a tensor releases it, and nothing of an evaluation
 * or a training epoch is left for the garbage collector (on the GPU that is memory held until a collection
 * happens to run). Checked on the reference backend, whose released tensors refuse every later use, so an
 * ownership mistake fails here instead of corrupting GPU memory silently.
 */
class MemoryOwnershipTest {
    private static ImageDataset test;

    @BeforeAll
    static void data() throws IOException {
        test = SubsetDataset.balanced(DemoData.fashionMnist(Split.TEST), 2, 1, "test");
    }

    @Test
    void aClosedTapeReleasesItsBuffersAndRefusesUse() {
        AllocationLog b = new AllocationLog();
        Model m = Models.create(b, Models.spec("small-cnn", 10, 1, 28, 28), 1);
        Tensor x = b.allocate(2, 1, 28, 28);
        int mark = b.mark();
        Tape tape = new Tape(b);
        Tensor logits = m.forward(tape, x);
        assertTrue(b.unreleasedSince(mark).size() > 0, "the forward pass allocates its outputs on the tape");
        tape.close();
        assertEquals(List.of(), b.unreleasedSince(mark));
        assertThrows(IllegalStateException.class, logits::toArray, "an output of a closed tape must not be readable");
        assertThrows(IllegalStateException.class, () -> m.forward(tape, x));
        tape.close(); // idempotent
    }

    @Test
    void aBufferReplacedByAnotherShapeIsReleasedAtOnce() {
        AllocationLog b = new AllocationLog();
        try (Tape tape = new Tape(b)) {
            Tensor first = tape.scratch(this, "x", 4, 3);
            assertSame(first, tape.scratch(this, "x", 4, 3), "the same shape reuses the buffer");
            Tensor second = tape.scratch(this, "x", 2, 3);
            assertTrue(first.storage().released());
            assertTrue(!second.storage().released());
        }
    }

    @Test
    void tensorsTheTapeDidNotMakeAreNotReleased() {
        AllocationLog b = new AllocationLog();
        Tensor mine = b.allocate(3);
        try (Tape tape = new Tape(b)) {
            Tensor replacement = tape.reuse(mine, 5);
            assertTrue(!mine.storage().released(), "reuse must not release a tensor it did not allocate");
            assertEquals(5, replacement.size());
        }
        assertTrue(!mine.storage().released());
    }

    @ParameterizedTest
    @ValueSource(strings = {"pgd", "apgd-ce", "apgd-dlr", "square", "tpgd", "mi-fgsm", "l2-pgd", "transfer", "targeted"})
    void anEvaluationLeavesNothingUnreleased(String attack) {
        AllocationLog b = new AllocationLog();
        Model m = Models.create(b, Models.spec("small-cnn", 10, 1, 28, 28), 2);
        Attacks.Settings s = new Attacks.Settings(0.1f, 0.025f, 3, 2, 2f, 50f, 20);
        Attack a = switch (attack) {
            case "transfer" -> new TransferAttack(Pgd.pgd(0.1f, 0.025f, 3, 1), Models.create(b, Models.spec("small-cnn", 10, 1, 28, 28), 3));
            case "targeted" -> Attacks.byName("pgd", s);
            default -> Attacks.byName(attack, s);
        };
        TargetChoice targets = attack.equals("targeted") ? TargetChoice.parse("least-likely", test.classNames()) : null;
        int mark = b.mark();
        Evaluation.Predictions p = Evaluation.predict(m, test, Transforms.forEvaluation(DatasetId.FASHION_MNIST), a, targets, null, 7,
                new Rng(1));
        assertEquals(test.size(), p.labels().length);
        assertEquals(List.of(), b.unreleasedSince(mark).stream().map(Tensor::toString).toList(), attack + " left tensors unreleased");
    }

    /** Attacks need input gradients only: an evaluated model never allocates its weights' gradients (half its memory). */
    @Test
    void anEvaluatedModelHoldsOnlyItsWeights() {
        AllocationLog b = new AllocationLog();
        int mark = b.mark();
        Model m = Models.create(b, Models.spec("small-cnn", 10, 1, 28, 28), 2);
        Evaluation.predict(m, test, Transforms.forEvaluation(DatasetId.FASHION_MNIST), Attacks.byName("pgd",
                new Attacks.Settings(0.1f, 0.025f, 3, 1, 1f, 50f, 20)), null, null, 7, new Rng(1));
        Set<Tensor> state = Collections.newSetFromMap(new IdentityHashMap<>());
        for (StateDict.Entry e : m.stateDict().entries().values()) if (e instanceof StateDict.FloatEntry f) state.add(f.tensor());
        List<Tensor> held = b.unreleasedSince(mark);
        // Besides the weights and batch-norm statistics: only the normalisation's mean and std, (C) = (1) each.
        assertEquals(List.of("Tensor[1]@reference", "Tensor[1]@reference"), held.stream().filter(x -> !state.contains(x)).map(Tensor::toString)
                .toList(), "no gradient, nothing else");
        m.release();
        assertEquals(List.of(), b.unreleasedSince(mark).stream().map(Tensor::toString).toList(), "release gives everything back");
    }

    @ParameterizedTest
    @ValueSource(strings = {"pgd-at", "trades", "mart", "fgsm-rs"})
    void aTrainingRunLeavesOnlyTheModelAndOptimizerState(String method, @TempDir Path dir) throws IOException {
        AllocationLog b = new AllocationLog();
        ImageDataset train = SubsetDataset.balanced(DemoData.fashionMnist(Split.TRAIN), 3, 1, "train");
        Trainer t = new Trainer(Recipes.smallCnn(method, 2, 8, "constant", 0.03, 2, 0.03, 2, 0, 0, 1), b, DatasetId.FASHION_MNIST,
                train, test, new RunDirectory(dir), new PrintStream(OutputStream.nullOutputStream()), false);
        int mark = b.mark();
        t.fit(false);
        // The weights' gradients are allocated by the first backward pass and belong to the model, like its weights.
        Set<Tensor> gradients = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Parameter p : t.model().parameters()) gradients.add(p.grad());
        assertEquals(List.of(), b.unreleasedSince(mark).stream().filter(x -> !gradients.contains(x)).map(Tensor::toString).toList(),
                method + ": two epochs (training, evaluation, checkpoints) left tensors unreleased");
        t.model().release();
        assertEquals(List.of(), b.unreleasedSince(mark).stream().map(Tensor::toString).toList(), "the model's release gives its gradients back");
    }
}
