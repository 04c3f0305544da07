package io.classwise.train;

import io.classwise.data.DatasetId;
import io.classwise.data.DemoData;
import io.classwise.data.ImageDataset;
import io.classwise.data.Split;
import io.classwise.data.SubsetDataset;
import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.nn.Parameter;
import io.classwise.nn.Sgd;
import io.classwise.nn.Tape;
import io.classwise.nn.checkpoint.Safetensors;
import io.classwise.tensor.Backend;
import io.classwise.tensor.cpu.CpuBackend;
import io.classwise.tensor.reference.ReferenceBackend;
import io.classwise.util.Rng;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.classwise.TestUtil.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The class-aware defenses' mechanisms (FRL, CFA, DAFA), each on numbers where the paper says what must happen, and their runs. */
class FairTrainingTest {
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
    private static ImageDataset train, test;

    @BeforeAll
    static void data() throws IOException {
        train = SubsetDataset.balanced(DemoData.fashionMnist(Split.TRAIN), 30, 1);
        test = SubsetDataset.balanced(DemoData.fashionMnist(Split.TEST), 5, 1);
    }

    /** Accuracies per class from (correct, total) pairs. */
    private static ClassAccuracy accuracy(int[] correct, int[] total) {
        ClassAccuracy a = new ClassAccuracy(correct.length);
        for (int c = 0; c < correct.length; c++) {
            int[] labels = new int[total[c]], pred = new int[total[c]];
            for (int i = 0; i < total[c]; i++) { labels[i] = c; pred[i] = i < correct[c] ? c : (c + 1) % correct.length; }
            a.add(labels, pred);
        }
        return a;
    }

    private static ClassPolicy.Evidence validation(ClassAccuracy clean, ClassAccuracy robust) { return validation(clean, robust, null); }

    private static ClassPolicy.Evidence validation(ClassAccuracy clean, ClassAccuracy robust, Model model) {
        return new ClassPolicy.Evidence() {
            @Override public ClassAccuracy[] validation() { return new ClassAccuracy[] {clean, robust}; }
            @Override public Model model() {
                if (model == null) throw new UnsupportedOperationException();
                return model;
            }
        };
    }

    private static TrainConfig config(String method) {
        TrainConfig c = Recipes.smallCnn(method, 2, 20, "constant", 0.025, 2, 0.025, 2, 0, 0, 4);
        c.validationFraction = 0.2;
        return c;
    }

    @Test
    void frlRaisesTheMultipliersOfAClassWhoseErrorExceedsTheAverage() {
        TrainConfig cfg = config("frl");
        FrlPolicy frl = new FrlPolicy(cfg, 3);
        // Class 0: clean error 0.6 against an average of 0.27; class 1: boundary error 0.6 (0.9 clean, 0.3 robust).
        ClassAccuracy clean = accuracy(new int[] {4, 9, 9}, new int[] {10, 10, 10}), robust = accuracy(new int[] {3, 3, 8}, new int[] {10, 10, 10});
        ClassPlan plan = frl.beforeEpoch(1, validation(clean, robust));
        assertTrue(frl.lambdaClean()[0] > 0 && frl.lambdaClean()[1] == 0 && frl.lambdaClean()[2] == 0, "clean multipliers " + List.of(frl.lambdaClean()));
        assertTrue(frl.lambdaBoundary()[1] > 0 && frl.lambdaBoundary()[0] == 0, "boundary multipliers");
        assertTrue(plan.cleanWeight()[0] > plan.cleanWeight()[1] && plan.cleanWeight()[0] > plan.cleanWeight()[2], "reweight: class 0's clean term");
        assertTrue(plan.robustWeight()[1] > plan.robustWeight()[0], "reweight: class 1's KL term");
        assertTrue(plan.eps()[1] > cfg.eps && plan.eps()[2] < cfg.eps, "remargin: the attackable class trains at a larger ε");
        assertEquals(cfg.trainStep, plan.step()[1], 1e-7, "remargin keeps the step");
        float sum = 0;
        for (float w : plan.cleanWeight()) sum += w;
        assertEquals(1f, sum, 1e-6, "FRL's weights sum to 1");
        // A second epoch with the same violations pushes further, within Σλ ≤ limit.
        double first = frl.lambdaBoundary()[1];
        frl.beforeEpoch(2, validation(clean, robust));
        double total = 0;
        for (double l : frl.lambdaBoundary()) total += l;
        assertTrue(total <= cfg.frlLimit + 1e-12);
        assertTrue(frl.lambdaBoundary()[1] > first, "the multiplier keeps rising while the constraint is violated");
    }

    @Test
    void frlRestoresItsMultipliersFromItsState() throws Exception {
        FrlPolicy a = new FrlPolicy(config("frl"), 3), b = new FrlPolicy(config("frl"), 3);
        a.beforeEpoch(1, validation(accuracy(new int[] {4, 9, 9}, new int[] {10, 10, 10}), accuracy(new int[] {3, 3, 8}, new int[] {10, 10, 10})));
        b.restore(new ObjectMapper().readTree(new ObjectMapper().writeValueAsString(a.state())));
        assertArrayEquals(a.lambdaClean(), b.lambdaClean());
        assertArrayEquals(a.lambdaMargin(), b.lambdaMargin());
        assertArrayEquals(a.plan().eps(), b.plan().eps());
    }

    /**
     * CCM: ε_k = (λ₁ + A_k)·ε, so the class with the lower training robustness gets the smaller budget — the
     * paper's finding that hard classes are served by a smaller ε (not a larger one). CCR: β_k = (λ₂ + A_k)β / (1 + (λ₂ + A_k)β).
     */
    @Test
    void cfaCalibratesEachClassByItsTrainingRobustness() {
        TrainConfig cfg = config("cfa");
        cfg.cfaBegin = 1;
        CfaPolicy cfa = new CfaPolicy(cfg, 2);
        ClassPlan before = cfa.beforeEpoch(1, null);
        assertEquals(null, before.eps(), "no calibration before cfaBegin epochs");
        assertEquals(1 / (1 + cfg.beta), before.cleanWeight()[0], 1e-6, "uncalibrated TRADES weighs CE by 1/(1+β)");
        // After epoch 1: training robustness 0.2 and 0.8 (the validation split's numbers only decide FAWA).
        ClassAccuracy v = accuracy(new int[] {5, 5}, new int[] {10, 10});
        Model m = Models.create(new ReferenceBackend(), Models.spec("small-cnn", 2, 1, 8, 8), 1);
        cfa.afterEpoch(1, null, accuracy(new int[] {2, 8}, new int[] {10, 10}), null, validation(v, v, m));
        ClassPlan after = cfa.beforeEpoch(2, null);
        assertEquals((0.5 + 0.2) * cfg.eps, after.eps()[0], 1e-6);
        assertEquals((0.5 + 0.8) * cfg.eps, after.eps()[1], 1e-6);
        assertTrue(after.eps()[0] < after.eps()[1], "the weaker class trains at the smaller ε");
        double r0 = 0.7 * cfg.beta, beta0 = r0 / (1 + r0);
        assertEquals(1 - beta0, after.cleanWeight()[0], 1e-6);
        assertEquals(beta0, after.robustWeight()[0] * cfg.beta, 1e-6);
        assertTrue(after.robustWeight()[0] < after.robustWeight()[1], "CCR regularises the weaker class less");
    }

    @Test
    void fawaSkipsAnEpochWhoseWorstClassValidationRobustnessFellBelowTheThreshold() {
        Backend b = new ReferenceBackend();
        Model m = Models.create(b, Models.spec("small-cnn", 10, 1, 28, 28), 1);
        FairWeightAverage fawa = new FairWeightAverage(0.5, 0.3);
        assertFalse(fawa.offer(m, 0.1), "below the threshold: not the start of the average");
        assertFalse(fawa.started());
        Parameter p = m.parameters().get(0);
        float[] a = p.value().toArray();
        assertTrue(fawa.offer(m, 0.35));
        float[] shifted = a.clone();
        for (int i = 0; i < shifted.length; i++) shifted[i] += 1;
        p.value().copyFrom(shifted);
        assertFalse(fawa.offer(m, 0.2), "the epoch whose worst class dropped is skipped");
        fawa.loadInto(m);
        assertArrayEquals(a, p.value().toArray(), "the skipped epoch left the average unchanged");
        p.value().copyFrom(shifted);
        assertTrue(fawa.offer(m, 0.4));
        float[] avg = fawa.average().get(m.stateDict().entries().keySet().iterator().next());
        assertEquals(a[0] + 0.5f, avg[0], 1e-6, "an epoch that passes enters with weight 1 − decay");
        assertEquals(2, fawa.averaged());
        assertEquals(2, fawa.skipped());
    }

    /** Class 0 is weak and looks like class 1 (strong); class 2 is strong and unlike both. */
    @Test
    void dafaMovesWeightFromAClassToItsMostSimilarWeakerClass() {
        double[][] p = {
            {0.40, 0.50, 0.10},
            {0.25, 0.70, 0.05},
            {0.02, 0.03, 0.95},
        };
        double[] w = DafaPolicy.weights(p, 1.0);
        assertTrue(w[0] > 1, "the weak class gains: " + List.of(w[0], w[1], w[2]));
        assertTrue(w[1] < 1, "its similar, stronger class gives");
        assertEquals(1 + 0.50 * 0.70 + 0.10 * 0.95, w[0], 1e-12);
        assertEquals(1 - 0.25 * 0.40 + 0.05 * 0.95, w[1], 1e-12);
        // The dissimilar class barely moves; what it gives is proportional to the tiny similarity.
        assertTrue(Math.abs(1 - w[2]) < 0.02 + 0.03 * 0.70 + 1e-12);
        double gainFromSimilar = 0.50 * 0.70, gainFromDissimilar = 0.10 * 0.95;
        assertTrue(gainFromSimilar > gainFromDissimilar, "most of the weak class's gain comes from its similar class");
    }

    @Test
    void dafaKeepsUniformWeightsUntilItsWarmUpEnds() {
        TrainConfig cfg = config("dafa");
        cfg.dafaWarmup = 1;
        DafaPolicy d = new DafaPolicy(cfg, 3);
        assertTrue(d.beforeEpoch(1, null).uniform());
        assertTrue(d.wantsAdversarialProbabilities(1));
        d.afterEpoch(1, null, null, new double[][] {{0.4, 0.5, 0.1}, {0.25, 0.7, 0.05}, {0.02, 0.03, 0.95}}, null);
        ClassPlan plan = d.beforeEpoch(2, null);
        assertEquals(d.classWeights()[0] * cfg.eps, plan.eps()[0], 1e-6);
        assertEquals(d.classWeights()[0] * cfg.trainStep, plan.step()[0], 1e-6);
        assertEquals((float) d.classWeights()[1], plan.cleanWeight()[1], 1e-6, "TRADES base: the clean term is weighted");
    }

    /** The weighted TRADES path with every weight 1 is TRADES: same loss and same parameter gradients. */
    @Test
    void tradesWithUnitWeightsIsTrades() {
        Backend b = new ReferenceBackend();
        TrainConfig cfg = config("trades");
        float[][] grads = new float[2][];
        double[] losses = new double[2];
        for (int run = 0; run < 2; run++) {
            Model m = Models.create(b, Models.spec("small-cnn", 10, 1, 28, 28), 3);
            ClassPlan plan = run == 0 ? ClassPlan.UNIFORM : new ClassPlan(null, null, ones(10), ones(10), false);
            try (Tape t1 = new Tape(b).training(true); Tape t2 = new Tape(b).training(true); Tape t3 = new Tape(b); Buffers buf = new Buffers(b)) {
                Objective o = Objective.of(Method.TRADES, new Objective.Context(m, t1, t2, t3, buf, cfg, plan));
                int[] y = {0, 3, 7, 9};
                float[] yf = {0, 3, 7, 9};
                var x = b.allocate(4, 1, 28, 28).copyFrom(uniform(new Rng(2), 4 * 28 * 28, 0, 1));
                new Sgd(m.parameters(), 0f, 0f, 0f, false).zeroGrad();
                losses[run] = o.lossAndGradients(new Objective.Batch(x, b.allocate(4).copyFrom(yf), y, new ClassAccuracy(10),
                        new ClassAccuracy(10), new Rng(5)));
                grads[run] = m.parameters().get(0).grad().toArray();
            }
        }
        assertEquals(losses[0], losses[1], 1e-6);
        io.classwise.TestUtil.assertClose(grads[0], grads[1], 1e-6, 1e-5, "first layer's gradient");
    }

    private static float[] ones(int k) {
        float[] a = new float[k];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

    /** Each method trains, records its plan and policy per epoch, and a run stopped after epoch 1 resumes to the same weights. */
    @ParameterizedTest
    @ValueSource(strings = {"frl", "cfa", "dafa"})
    void aStoppedRunResumesToTheSameWeights(String method, @TempDir Path dir) throws IOException {
        TrainConfig cfg = config(method);
        cfg.dafaWarmup = 1;
        cfg.cfaBegin = 1;
        cfg.fawaThreshold = 0; // every epoch enters the average: the run ends with FAWA
        try (Backend b = new CpuBackend(2)) {
            new Trainer(cfg.copy(), b, DatasetId.FASHION_MNIST, train, test, new RunDirectory(dir.resolve("whole")), QUIET, false).fit(false);
            new Trainer(cfg.copy(), b, DatasetId.FASHION_MNIST, train, test, new RunDirectory(dir.resolve("split")), QUIET, false).fit(false, 1);
            new Trainer(cfg.copy(), b, DatasetId.FASHION_MNIST, train, test, new RunDirectory(dir.resolve("split")), QUIET, false).fit(true);
        }
        assertArrayEquals(Files.readAllBytes(dir.resolve("whole/checkpoints/last.safetensors")),
                Files.readAllBytes(dir.resolve("split/checkpoints/last.safetensors")), "final weights");
        assertEquals(withoutTimes(dir.resolve("whole/metrics.jsonl")), withoutTimes(dir.resolve("split/metrics.jsonl")),
                "metrics (plans and policy states included), timings aside");
        List<String> lines = Files.readAllLines(dir.resolve("whole/metrics.jsonl"));
        JsonNode last = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        assertEquals(method, last.path("class_policy").path("policy").asText());
        assertTrue(last.has("class_eps"), "the plan's budgets are recorded");
        // The run's report shows what the method set per class over its epochs.
        String html = Files.readString(new io.classwise.report.ReportWriter(new RunDirectory(dir.resolve("whole"))).write());
        assertTrue(html.contains("What the class-aware method set per class") && html.contains("plan_eps"), method);
        if (method.equals("cfa")) {
            JsonNode fm = new ObjectMapper().readTree(dir.resolve("whole/final_model.json").toFile());
            assertEquals(2, fm.path("epochs_averaged").asInt());
            assertEquals("fawa-average", Safetensors.read(dir.resolve("whole/checkpoints/last.safetensors")).metadata().get("classwise.weights"));
        }
    }

    private static List<String> withoutTimes(Path metrics) throws IOException {
        ObjectMapper m = new ObjectMapper();
        List<String> out = new java.util.ArrayList<>();
        for (String l : Files.readAllLines(metrics)) {
            com.fasterxml.jackson.databind.node.ObjectNode n = (com.fasterxml.jackson.databind.node.ObjectNode) m.readTree(l);
            n.remove(List.of("seconds", "train_seconds", "train_images_per_second"));
            out.add(n.toString());
        }
        return out;
    }

    @Test
    void theValidationSplitIsHeldOutOfTraining() {
        SubsetDataset[] parts = SubsetDataset.heldOut(train, 0.2, 3);
        assertEquals(train.size(), parts[0].size() + parts[1].size());
        assertEquals(60, parts[1].size(), "a fifth of each class's 30 examples");
        java.util.Set<Integer> held = new java.util.HashSet<>();
        for (int i = 0; i < parts[1].size(); i++) held.add(parts[1].baseIndex(i));
        for (int i = 0; i < parts[0].size(); i++) assertFalse(held.contains(parts[0].baseIndex(i)));
        assertNotNull(parts[1].classNames());
    }
}
