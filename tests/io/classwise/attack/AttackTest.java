package io.classwise.attack;

import io.classwise.data.DatasetId;
import io.classwise.data.DemoData;
import io.classwise.data.InMemoryDataset;
import io.classwise.data.Split;
import io.classwise.nn.Grad;
import io.classwise.nn.Losses;
import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.nn.Sgd;
import io.classwise.nn.Tape;
import io.classwise.nn.layers.Flatten;
import io.classwise.nn.layers.Linear;
import io.classwise.nn.layers.Normalize;
import io.classwise.nn.layers.Sequential;
import io.classwise.tensor.Tensor;
import io.classwise.tensor.cpu.CpuBackend;
import io.classwise.util.Rng;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.Arrays;

/** Attacks against their invariants, closed forms and each other, on real Fashion-MNIST images. */
class AttackTest {
    static CpuBackend B;
    static Model trained;          // small CNN, one epoch of natural training on the embedded subset
    static InMemoryDataset test;
    static final int N = 64;

    @BeforeAll
    static void trainUndefendedModel() throws Exception {
        B = new CpuBackend(2);
        InMemoryDataset train = DemoData.fashionMnist(Split.TRAIN);
        test = DemoData.fashionMnist(Split.TEST);
        trained = Models.create(B, new Models.Spec("small-cnn", 10, new int[] {1, 28, 28},
                DatasetId.FASHION_MNIST.mean(), DatasetId.FASHION_MNIST.std(), 0), 1);
        Sgd sgd = new Sgd(trained.parameters(), 0.9f, 0, 5e-4f, false);
        Tape tape = new Tape(B).training(true);
        int bs = 100;
        Tensor x = B.allocate(bs, 1, 28, 28), y = B.allocate(bs), per = B.allocate(bs), d = B.allocate(bs, 10);
        int[] order = new int[train.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        new Rng(2).shuffle(order);
        float[] xs = new float[bs * 784], ys = new float[bs];
        for (int start = 0; start + bs <= order.length; start += bs) {
            for (int r = 0; r < bs; r++) { train.copyImage(order[start + r], xs, r * 784); ys[r] = train.label(order[start + r]); }
            x.copyFrom(xs);
            y.copyFrom(ys);
            sgd.zeroGrad();
            Losses.crossEntropy(trained.forward(tape, x), y, 1f, per, d);
            trained.backward(tape, d, Grad.PARAMS);
            sgd.step(0.05f);
        }
    }

    @AfterAll
    static void close() { B.close(); }

    static Tensor images(int from, int n) {
        float[] v = new float[n * 784];
        for (int i = 0; i < n; i++) test.copyImage(from + i, v, i * 784);
        return B.allocate(n, 1, 28, 28).copyFrom(v);
    }

    static Tensor labels(int from, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = test.label(from + i);
        return B.allocate(n).copyFrom(v);
    }

    static final float EPS = 0.1f;

    static List<Attack> ladder() {
        Model surrogate = Models.create(B, Models.spec("small-cnn", 10, 1, 28, 28), 99);
        return List.of(Pgd.fgsm(EPS), Pgd.fgsmRandomStart(EPS, 1.25f * EPS), Pgd.pgd(EPS, 0.025f, 10, 2),
                Pgd.temperaturePgd(EPS, 0.025f, 10, 5f), Pgd.cw(EPS, 0.025f, 10, 50f), Pgd.miFgsm(EPS, 10, 1f),
                new TransferAttack(Pgd.pgd(EPS, 0.025f, 5, 1), surrogate),
                new Apgd(EPS, 10, Apgd.Loss.CROSS_ENTROPY), new Apgd(EPS, 10, Apgd.Loss.DLR), new SquareAttack(EPS, 50));
    }

    @Test
    void everyAttackStaysInTheBallAndTheImageRangeAndIsSeeded() {
        Tensor x = images(0, N), y = labels(0, N);
        float[] clean = x.toArray();
        Tape tape = new Tape(B);
        for (Attack a : ladder()) {
            AttackResult r1 = a.run(trained, tape, x, y, new Rng(5));
            float[] adv = r1.adversarial().toArray();
            float maxDelta = 0;
            for (int i = 0; i < adv.length; i++) {
                assertTrue(adv[i] >= 0f && adv[i] <= 1f, a.name() + " left [0, 1]: " + adv[i]);
                maxDelta = Math.max(maxDelta, Math.abs(adv[i] - clean[i]));
            }
            assertTrue(maxDelta <= EPS + 1e-6f, a.name() + ": ‖δ‖∞ = " + maxDelta);
            assertTrue(maxDelta > EPS / 4, a.name() + " did not move: ‖δ‖∞ = " + maxDelta);
            int[] pred = B.argmaxRows(trained.forward(tape, r1.adversarial()));
            assertArrayEquals(pred, r1.predictions(), a.name() + ": reported predictions are the model's on the returned images");
            float[] again = a.run(trained, tape, x, y, new Rng(5)).adversarial().toArray();
            assertArrayEquals(adv, again, a.name() + " is not deterministic under a seed");
            assertArrayEquals(clean, x.toArray(), a.name() + " modified its input");
        }
    }

    @Test
    void l2PgdStaysInTheL2BallAndFlipsExamples() {
        Tensor x = images(0, N), y = labels(0, N);
        float eps = 1.5f;
        float[] clean = x.toArray();
        Tape tape = new Tape(B);
        AttackResult r = Pgd.l2(eps, 0.3f, 10, 1).run(trained, tape, x, y, new Rng(4));
        float[] adv = r.adversarial().toArray();
        double maxNorm = 0;
        for (int i = 0; i < N; i++) {
            double s = 0;
            for (int j = 0; j < 784; j++) {
                float v = adv[i * 784 + j];
                assertTrue(v >= 0 && v <= 1);
                s += (v - clean[i * 784 + j]) * (v - clean[i * 784 + j]);
            }
            maxNorm = Math.max(maxNorm, Math.sqrt(s));
        }
        assertTrue(maxNorm <= eps * (1 + 1e-5) && maxNorm > eps / 2, "‖δ‖₂ = " + maxNorm);
        assertArrayEquals(adv, Pgd.l2(eps, 0.3f, 10, 1).run(trained, tape, x, y, new Rng(4)).adversarial().toArray());
        int[] pred = B.argmaxRows(trained.forward(tape, x));
        int wrong = 0;
        for (int i = 0; i < N; i++) if (pred[i] != test.label(i)) wrong++;
        assertTrue(r.successCount() > wrong, "ℓ2 PGD flips correctly classified examples");
    }

    @Test
    void temperatureOnePgdIsExactlyPgd() {
        Tensor x = images(0, N), y = labels(0, N);
        Tape tape = new Tape(B);
        float[] pgd = new Pgd("p", EPS, 0.025f, 10, 1, true, Pgd.Loss.CROSS_ENTROPY, 1f, 0, 0).run(trained, tape, x, y,
                new Rng(3)).adversarial().toArray();
        float[] tpgd = Pgd.temperaturePgd(EPS, 0.025f, 10, 1f).run(trained, tape, x, y, new Rng(3)).adversarial().toArray();
        assertArrayEquals(pgd, tpgd);
        float[] hot = Pgd.temperaturePgd(EPS, 0.025f, 10, 10f).run(trained, tape, x, y, new Rng(3)).adversarial().toArray();
        assertTrue(!Arrays.equals(pgd, hot), "T = 10 changes the attack");
    }

    @Test
    void targetedPgdReachesItsTarget() {
        Tensor x = images(100, N), y = labels(100, N);
        float[] t = new float[N];
        for (int i = 0; i < N; i++) t[i] = (test.label(100 + i) + 1 + i % 9) % 10;
        AttackResult r = Pgd.pgd(0.3f, 0.02f, 40, 1).run(trained, new Tape(B), x, y, B.allocate(N).copyFrom(t), new Rng(1));
        for (int i = 0; i < N; i++) if (r.success()[i]) assertEquals((int) t[i], r.predictions()[i]);
        assertTrue(r.successCount() >= 0.9 * N, "targeted success " + r.successCount() + "/" + N);
    }

    /**
     * On a linear 2-class model the worst case in the ℓ∞ ball (intersected with [0, 1]) is known in
     * closed form: every pixel at the bound that lowers w_y − w_other. Both FGSM and PGD must find it.
     */
    @Test
    void linearModelAttackMatchesTheClosedForm() {
        Linear lin = new Linear(B, 16, 2, true);
        Sequential net = new Sequential().add(new Flatten()).add("fc", lin);
        Model m = new Model("linear", 2, new int[] {1, 4, 4}, new Normalize(B, new float[] {0}, new float[] {1}), net, lin);
        m.initialize(new Rng(4));
        Rng rng = new Rng(8);
        float[] xv = new float[4 * 16];
        for (int i = 0; i < xv.length; i++) xv[i] = (float) rng.uniform(0, 1);
        Tensor x = B.allocate(4, 1, 4, 4).copyFrom(xv), y = B.allocate(4).copyFrom(new float[] {0, 1, 1, 0});
        float[] w = lin.weight().value().toArray();
        float eps = 0.2f;
        for (Attack a : List.of(Pgd.fgsm(eps), Pgd.pgd(eps, 0.05f, 20, 1))) {
            float[] adv = a.run(m, new Tape(B), x, y, new Rng(2)).adversarial().toArray();
            for (int n = 0; n < 4; n++) {
                int yi = n == 1 || n == 2 ? 1 : 0;
                for (int p = 0; p < 16; p++) {
                    float diff = w[yi * 16 + p] - w[(1 - yi) * 16 + p];
                    float x0 = xv[n * 16 + p];
                    float expected = diff > 0 ? Math.max(0f, x0 - eps) : Math.min(1f, x0 + eps);
                    assertEquals(expected, adv[n * 16 + p], 1e-6, a.name() + " example " + n + " pixel " + p);
                }
            }
        }
    }

    @Test
    void pgd20FindsAtLeastAsManyAdversarialExamplesAsFgsm() {
        int n = 400;
        Tensor x = images(0, n), y = labels(0, n);
        Tape tape = new Tape(B);
        int fgsm = Pgd.fgsm(EPS).run(trained, tape, x, y, new Rng(1)).successCount();
        int pgd = Pgd.pgd(EPS, 0.025f, 20, 1).run(trained, tape, x, y, new Rng(1)).successCount();
        int clean = 0;
        int[] pred = B.argmaxRows(trained.forward(tape, x));
        for (int i = 0; i < n; i++) if (pred[i] == test.label(i)) clean++;
        assertTrue(clean > 0.7 * n, "the undefended model learned something: " + clean + "/" + n);
        assertTrue(pgd >= fgsm, "PGD-20 " + pgd + " < FGSM " + fgsm);
        assertTrue(pgd > n - clean, "PGD flips correctly classified examples too");
    }

    @Test
    void strongerRungsFindMore() {
        int n = 200;
        Tensor x = images(300, n), y = labels(300, n);
        Tape tape = new Tape(B);
        int fgsm = Pgd.fgsm(0.05f).run(trained, tape, x, y, new Rng(1)).successCount();
        int apgdCe = new Apgd(0.05f, 20, Apgd.Loss.CROSS_ENTROPY).run(trained, tape, x, y, new Rng(1)).successCount();
        int apgdDlr = new Apgd(0.05f, 20, Apgd.Loss.DLR).run(trained, tape, x, y, new Rng(1)).successCount();
        int square = new SquareAttack(0.05f, 300).run(trained, tape, x, y, new Rng(1)).successCount();
        System.out.printf("successes of %d at eps 0.05: FGSM %d, APGD-CE-20 %d, APGD-DLR-20 %d, Square-300 %d%n", n, fgsm, apgdCe,
                apgdDlr, square);
        assertTrue(apgdCe >= fgsm && apgdDlr >= fgsm, "APGD at least as strong as FGSM");
        int[] pred = B.argmaxRows(trained.forward(tape, x));
        int wrong = 0;
        for (int i = 0; i < n; i++) if (pred[i] != test.label(300 + i)) wrong++;
        assertTrue(square > wrong, "the black-box Square attack fools correctly classified examples too (" + square + " vs "
                + wrong + " clean errors)");
    }

    @Test
    void apgdCheckpointScheduleIsTheReferenceImplementations() {
        // autopgd_base.py: first span int(0.22 N), shrinking by int(0.03 N) down to int(0.06 N): 22, 41, 57, ... (the paper's
        // p_j in floating point would give ⌈57.000…01⌉ = 58, which the reference never computes).
        assertEquals(List.of(22, 41, 57, 70, 80, 87, 93, 99), Apgd.checkpoints(100));
        assertEquals(List.of(2, 3, 4, 5, 6, 7, 8, 9, 10), Apgd.checkpoints(10));
    }

    @Test
    void squareWindowSideIsTheReferences() {
        // round(√(p·h·w)), at least 1, at most h − 1 (was min(h, w): a window covering the whole image cannot move).
        assertEquals(3, SquareAttack.side(0.8f, 4, 4));
        assertEquals(25, SquareAttack.side(0.8f, 28, 28));
        assertEquals(27, SquareAttack.side(1f, 28, 28));
        assertEquals(1, SquareAttack.side(0.0001f, 28, 28));
    }

    @Test
    void apgdHalvesAsTheReferenceDoes() {
        // 4 steps since the last checkpoint, the loss rose in 3 of them: 3 ≤ 0.75·4 → halved (the reference's ≤; was <).
        float[] rising3 = {1, 2, 3, 2.5f, 3.5f};
        assertTrue(Apgd.halve(rising3, 4, 4, true, 0f, 3.5f));
        // Rose in 5 of 5: no oscillation. Best loss unchanged since the last checkpoint:
        float[] rising5 = {1, 2, 3, 4, 5, 6};
        assertTrue(Apgd.halve(rising5, 5, 5, false, 6f, 6f), "not halved last time and no improvement: halve");
        assertFalse(Apgd.halve(rising5, 5, 5, true, 6f, 6f), "halved at the last checkpoint: the no-improvement rule waits a round");
        assertFalse(Apgd.halve(rising5, 5, 5, false, 5f, 6f), "improved since the last checkpoint");
        // The first checkpoint compares the first step's loss with zero, as the reference's loss_steps[-1] does.
        float[] negative = {-3, -2, -1, -0.5f}, positive = {1, 2, 3, 4};
        assertTrue(Apgd.halve(negative, 3, 4, true, -3f, -0.5f), "3 rises of 4 (the first, against 0, is not one): 3 ≤ 3");
        assertFalse(Apgd.halve(positive, 3, 4, true, 1f, 4f), "4 rises of 4 (the first, against 0, is one)");
    }

    @Test
    void restartsKeepTheWorstCasePerExample() {
        Tensor x = images(200, N), y = labels(200, N);
        Tape tape = new Tape(B);
        int one = Pgd.pgd(0.05f, 0.0125f, 5, 1).run(trained, tape, x, y, new Rng(6)).successCount();
        int four = Pgd.pgd(0.05f, 0.0125f, 5, 4).run(trained, tape, x, y, new Rng(6)).successCount();
        assertTrue(four >= one, "4 restarts " + four + " < 1 restart " + one);
    }
}
