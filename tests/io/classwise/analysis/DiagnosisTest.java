package io.classwise.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.data.DatasetId;
import io.classwise.data.DemoData;
import io.classwise.data.ImageDataset;
import io.classwise.data.Split;
import io.classwise.data.SubsetDataset;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.tensor.cpu.CpuBackend;
import io.classwise.train.RunDirectory;
import io.classwise.train.TrainConfig;
import io.classwise.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The analyses on a briefly trained model: every file is written and the numbers agree with each other. */
class DiagnosisTest {
    @TempDir Path dir;

    @Test
    void analysesAreWrittenAndConsistent() throws Exception {
        try (CpuBackend b = new CpuBackend(2)) {
            PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
            TrainConfig c = new TrainConfig();
            c.architecture = "small-cnn"; c.method = "pgd-at"; c.epochs = 2; c.batchSize = 50; c.lr = 0.05; c.schedule = "constant";
            c.eps = 0.1; c.trainStep = 0.03; c.trainSteps = 3; c.evalStep = 0.03; c.evalSteps = 3; c.trainExamples = 1000; c.evalExamples = 100;
            RunDirectory run = new RunDirectory(dir);
            new Trainer(c, b, DatasetId.FASHION_MNIST, DemoData.fashionMnist(Split.TRAIN), DemoData.fashionMnist(Split.TEST), run, quiet, false).fit(false);
            ImageDataset test = SubsetDataset.balanced(DemoData.fashionMnist(Split.TEST), 10, 0);
            Diagnosis.Settings s = new Diagnosis.Settings();
            s.eps = 0.1f; s.step = 0.025f; s.steps = 20; s.reachableExamples = 20; s.squareQueries = 20; s.ladderPgd100 = false;
            s.temperatures = new float[] {1, 5};
            s.removalMinExamples = 1; // 20 reachability examples: any source with an example keeps the experiment exercised
            Diagnosis d = new Diagnosis(Checkpoint.load(b, run.lastWeights()), test, DatasetId.FASHION_MNIST, s, new io.classwise.report.AnalysisFiles(run.analysis()), quiet);
            d.robustnessOverEpochs(run.metrics());
            FlipMatrix flips = d.flipMatrix();
            Reachability reach = d.reachableClasses();
            c.epochs = 1;
            List<ClassRemoval.Result> removal = d.classRemoval(reach, DemoData.fashionMnist(Split.TRAIN), c, List.of(), dir.resolve("removal"));
            JsonNode rj = new ObjectMapper().readTree(run.analysis().resolve("class_removal.json").toFile());
            assertEquals(removal.size(), rj.path("results").size());
            for (ClassRemoval.Result r : removal) {
                assertTrue(r.examples() > 0 && !r.removed().isEmpty() && !r.controlRemoved().isEmpty(), r.toString());
                assertTrue(r.robustShareAfterRemoval() >= 0 && r.robustShareAfterRemoval() <= 1 && r.robustShareControl() >= 0 && r.robustShareControl() <= 1);
                assertTrue(java.util.Collections.disjoint(r.removed(), r.controlRemoved()) && !r.removed().contains(r.sourceClass()));
            }
            List<Diagnosis.Rung> ladder = d.attackLadder(null);
            List<Diagnosis.Rung> sweep = d.temperatureSweep();
            d.weightNorms(Diagnosis.rung(ladder, Diagnosis.REFERENCE_RUNG).perClass(), run.checkpoints(), run.metrics());
            for (String f : List.of("robustness_over_epochs", "flip_matrix", "reachable_classes", "class_removal", "attack_ladder", "temperature_pgd", "weight_norms")) {
                assertTrue(Files.exists(run.analysis().resolve(f + ".json")) && Files.exists(run.analysis().resolve(f + ".csv")), f);
            }
            // The flip matrix is built from the same PGD-20 run (same seed) as the ladder's PGD-20 rung: its diagonal
            // (robust among the correctly classified) over all of the class's examples is the rung's robust accuracy.
            assertEquals("PGD-20", Diagnosis.rung(ladder, Diagnosis.REFERENCE_RUNG).attack());
            for (int k = 0; k < 10; k++) {
                double all = flips.correctBeforeAttack(k) + flips.cleanErrors(k);
                assertEquals(Diagnosis.rung(ladder, Diagnosis.REFERENCE_RUNG).perClass()[k], flips.count(k, k) / all, 1e-12, "class " + k);
            }
            assertTrue(java.util.Arrays.stream(flips.cleanErrors()).sum() > 0, "a briefly trained model makes clean errors");
            JsonNode fj = new ObjectMapper().readTree(run.analysis().resolve("flip_matrix.json").toFile());
            assertEquals(FlipMatrix.POPULATION, fj.path("population").asText());
            // T = 1 Temperature-PGD is the same attack as PGD-20 with the same seed.
            assertEquals(Diagnosis.rung(ladder, Diagnosis.REFERENCE_RUNG).overall(), sweep.get(0).overall(), 1e-12);
            long reachErrors = 0;
            for (int k = 0; k < 10; k++) reachErrors += reach.cleanErrors(k);
            assertEquals(20, reach.examples() + reachErrors, "every example is either in the sets or a clean error");
            JsonNode epochs = new ObjectMapper().readTree(run.analysis().resolve("robustness_over_epochs.json").toFile()).path("epochs");
            assertEquals(2, epochs.size());
            JsonNode last = epochs.get(1).path("test_robust");
            assertEquals(10, last.path("intervalCounts").size());
            int total = 0;
            for (JsonNode v : last.path("intervalCounts")) total += v.asInt();
            assertEquals(10, total, "every class falls in one interval");
            JsonNode wn = new ObjectMapper().readTree(run.analysis().resolve("weight_norms.json").toFile());
            assertEquals(2, wn.path("per_epoch").size());
            assertTrue(wn.path("final").path("pearson").isNumber());

            // The report: every chart as PNG and SVG, and the ladder table's numbers are the JSON's.
            Path report = new io.classwise.report.ReportWriter(run).write();
            for (String chart : List.of("over_epochs_test_robust", "intervals", "flip_matrix", "weight_norms", "attack_ladder", "temperature_pgd")) {
                assertTrue(Files.size(run.plots().resolve(chart + ".png")) > 5_000 && Files.exists(run.plots().resolve(chart + ".svg")), chart);
            }
            String html = Files.readString(report);
            assertTrue(!html.contains("http://") && !html.contains("https://"), "self-contained: no network references");
            String table = html.substring(html.indexOf("<table id=\"ladder\">"), html.indexOf("</table>", html.indexOf("<table id=\"ladder\">")));
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("data-v=\"([^\"]+)\"").matcher(table);
            List<Double> cells = new java.util.ArrayList<>();
            while (m.find()) cells.add(Double.parseDouble(m.group(1)));
            int rungs = ladder.size();
            for (int k = 0; k < 10; k++) {
                // per row: clean, the rungs, the drop
                for (int r = 0; r < rungs; r++) assertEquals(ladder.get(r).perClass()[k], cells.get(k * (rungs + 2) + 1 + r), 0.0, "class " + k + " rung " + r);
            }
            assertTrue(html.contains("Robust = correct on the clean example and on its adversarial example"), "the report states the definition");
            assertTrue(html.contains("strongest: "), "the ladder caption names the strongest attack of this run");
            ReportRenderCheck.renderIfChromiumPresent(report, dir.resolve("screenshot.png"));
        }
    }
}
