package io.classwise.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.TestUtil;
import io.classwise.data.DatasetId;
import io.classwise.data.DemoData;
import io.classwise.data.Split;
import io.classwise.nn.Model;
import io.classwise.nn.Models;
import io.classwise.nn.Parameter;
import io.classwise.nn.Tape;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Backends;
import io.classwise.tensor.Tensor;
import io.classwise.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-class ε and per-class loss weights, first-class in the trainer (the levers of class-aware defenses). */
class ClassAwareTrainingTest {
    @TempDir Path dir;

    private static float[] gradients(Model m) { return TestUtil.concat(m.parameters().stream().map(Parameter::grad).toList()); }

    /** A weight of 2 for every class doubles the loss and every gradient exactly; no weights change nothing. */
    @Test
    void classWeightsScaleLossAndGradients() {
        try (Backend b = Backends.create("cpu", 1)) {
            int n = 8;
            Rng rng = new Rng(3);
            float[] xv = new float[n * 28 * 28], yv = new float[n];
            for (int i = 0; i < xv.length; i++) xv[i] = (float) rng.nextDouble();
            int[] yi = new int[n];
            for (int i = 0; i < n; i++) { yi[i] = i % 10; yv[i] = yi[i]; }
            double[] loss = new double[2];
            float[][] grads = new float[2][];
            for (int run = 0; run < 2; run++) {
                TrainConfig cfg = Recipes.smallCnn("natural", 1, n, "constant", 0.03, 3, 0.03, 3, 0, 0, 0);
                if (run == 1) for (int c = 0; c < 10; c++) cfg.classWeights.add(2.0);
                Model m = Models.create(b, Models.spec("small-cnn", 10, 1, 28, 28), 1);
                for (Parameter p : m.parameters()) b.fill(p.grad(), 0f);
                Objective o = Objective.of(Method.NATURAL, new Objective.Context(m, new Tape(b).training(true), new Tape(b).training(true),
                        new Tape(b), new Buffers(b), cfg));
                Tensor x = b.allocate(n, 1, 28, 28).copyFrom(xv), y = b.allocate(n).copyFrom(yv);
                loss[run] = o.lossAndGradients(new Objective.Batch(x, y, yi, new ClassAccuracy(10), null, new Rng(1)));
                grads[run] = gradients(m);
            }
            assertEquals(2 * loss[0], loss[1], 1e-6 * loss[0]);
            for (int i = 0; i < grads[0].length; i++) assertEquals(2 * grads[0][i], grads[1][i], 1e-6f + 1e-5f * Math.abs(grads[0][i]), "gradient " + i);
        }
    }

    /** A PGD-AT run with per-class ε and weights trains, and metrics.jsonl records what it used. */
    @Test
    void perClassBudgetsAreRecordedInTheMetrics() throws Exception {
        TrainConfig cfg = Recipes.smallCnn("pgd-at", 1, 50, "constant", 0.03, 3, 0.03, 2, 200, 50, 0);
        for (int c = 0; c < 10; c++) { cfg.classEps.add(c < 5 ? 0.05 : 0.1); cfg.classWeights.add(c == 6 ? 2.0 : 1.0); }
        try (Backend b = Backends.create("cpu", 1)) {
            new Trainer(cfg, b, DatasetId.FASHION_MNIST, DemoData.fashionMnist(Split.TRAIN), DemoData.fashionMnist(Split.TEST),
                    new RunDirectory(dir), new PrintStream(new ByteArrayOutputStream()), false).fit(false);
        }
        JsonNode line = new ObjectMapper().readTree(Files.readAllLines(dir.resolve("metrics.jsonl")).get(0));
        assertEquals(0.05, line.path("class_eps").get(0).asDouble());
        assertEquals(2.0, line.path("class_weights").get(6).asDouble());
        assertTrue(line.path("train").path("robust").path("overall").isNumber());
        // The fairness summary beside the per-class numbers: worst class and gap agree with them.
        JsonNode robust = line.path("test").path("robust");
        double lo = 1, hi = 0;
        for (JsonNode v : robust.path("per_class")) { lo = Math.min(lo, v.asDouble()); hi = Math.max(hi, v.asDouble()); }
        assertEquals(lo, robust.path("worst").asDouble(), 1e-12);
        assertEquals(hi - lo, robust.path("gap").asDouble(), 1e-12);
        assertEquals(lo, robust.path("per_class").get(robust.path("worst_class").asInt()).asDouble(), 1e-12);
        TrainConfig bad = Recipes.smallCnn("natural", 1, 50, "constant", 0.03, 3, 0.03, 2, 200, 50, 0);
        bad.classEps.add(0.1);
        assertThrows(IllegalArgumentException.class, bad::validate, "natural training has no attack to give a budget");
        TrainConfig fair = Recipes.smallCnn("frl", 1, 50, "constant", 0.03, 3, 0.03, 2, 200, 50, 0);
        fair.classWeights.add(1.0);
        assertThrows(IllegalArgumentException.class, fair::validate, "FRL sets its own weights");
    }
}
