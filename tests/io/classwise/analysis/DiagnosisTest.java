package io.classwise.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.data.DatasetId;
import io.classwise.data.DemoData;
import io.classwise.data.ImageDataset;
import io.classwise.data.Split;
import io.classwise.data.SubsetDataset;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.report.AnalysisFiles;
import io.classwise.report.AnalysisSeal;
import io.classwise.report.ReportWriter;
import io.classwise.tensor.cpu.CpuBackend;
import io.classwise.train.Recipes;
import io.classwise.train.RunDirectory;
import io.classwise.train.TrainConfig;
import io.classwise.train.Trainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The analyses on a briefly trained model, run once; one test per analysis, so a failure says which
 * analysis broke: every file is written and the numbers agree with each other.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DiagnosisTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Path dir;
    private CpuBackend b;
    private RunDirectory run;
    private FlipMatrix flips;
    private Reachability reach;
    private List<ClassRemoval.Result> removal;
    private List<Diagnosis.Rung> ladder, sweep;

    @BeforeAll
    void trainAndDiagnose(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        dir = tmp;
        b = new CpuBackend(2);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        TrainConfig c = Recipes.smallCnn("pgd-at", 2, 50, "constant", 0.03, 3, 0.03, 3, 1000, 100, 0);
        run = new RunDirectory(dir.resolve("run"));
        new Trainer(c, b, DatasetId.FASHION_MNIST, DemoData.fashionMnist(Split.TRAIN), DemoData.fashionMnist(Split.TEST), run,
                quiet, false).fit(false);
        ImageDataset test = SubsetDataset.balanced(DemoData.fashionMnist(Split.TEST), 10, 0);
        Diagnosis.Settings s = new Diagnosis.Settings();
        s.eps = 0.1f; s.step = 0.025f; s.steps = 20; s.reachableExamples = 20; s.squareQueries = 20; s.ladderPgd100 = false;
        s.temperatures = new float[] {1, 5};
        s.removalMinExamples = 1; // 20 reachability examples: any source with an example keeps the experiment exercised
        Diagnosis d = new Diagnosis(Checkpoint.load(b, run.lastWeights()), test, DatasetId.FASHION_MNIST, s,
                new AnalysisFiles(run.analysis()), quiet);
        d.robustnessOverEpochs(run.metrics());
        flips = d.flipMatrix();
        reach = d.reachableClasses();
        c.epochs = 1;
        removal = d.classRemoval(reach, DemoData.fashionMnist(Split.TRAIN), c, List.of(), dir.resolve("removal"));
        ladder = d.attackLadder(null);
        sweep = d.temperatureSweep();
        d.weightNorms(Diagnosis.rung(ladder, Diagnosis.REFERENCE_RUNG).perClass(), run.checkpoints(), run.metrics());
        // Written by hand here rather than by RunDiagnosis's staging: sealed as one diagnosis, as diagnose does.
        AnalysisSeal.write(run, JSON.valueToTree(s), run.finalModel());
    }

    @AfterAll
    void close() { b.close(); }

    private JsonNode json(String name) throws IOException { return JSON.readTree(run.analysis().resolve(name + ".json").toFile()); }

    @Test
    void everyAnalysisIsWrittenAsJsonAndCsv() {
        for (String f : List.of("robustness_over_epochs", "flip_matrix", "reachable_classes", "class_removal", "attack_ladder",
                "temperature_pgd", "weight_norms")) {
            assertTrue(Files.exists(run.analysis().resolve(f + ".json")) && Files.exists(run.analysis().resolve(f + ".csv")), f);
        }
    }

    @Test
    void robustnessOverEpochs() throws IOException {
        JsonNode epochs = json("robustness_over_epochs").path("epochs");
        assertEquals(2, epochs.size());
        JsonNode last = epochs.get(1).path("test_robust");
        assertEquals(10, last.path("intervalCounts").size());
        int total = 0;
        for (JsonNode v : last.path("intervalCounts")) total += v.asInt();
        assertEquals(10, total, "every class falls in one interval");
    }

    /**
     * The flip matrix comes from the same PGD-20 run (same seed) as the ladder's PGD-20 rung: its diagonal
     * (robust among the correctly classified) over all of the class's examples is the rung's robust accuracy.
     */
    @Test
    void flipMatrixAgreesWithTheLadder() throws IOException {
        Diagnosis.Rung pgd20 = Diagnosis.rung(ladder, Diagnosis.REFERENCE_RUNG);
        for (int k = 0; k < 10; k++) {
            double all = flips.correctBeforeAttack(k) + flips.cleanErrors(k);
            assertEquals(pgd20.perClass()[k], flips.count(k, k) / all, 1e-12, "class " + k);
        }
        assertTrue(Arrays.stream(flips.cleanErrors()).sum() > 0, "a briefly trained model makes clean errors");
        assertEquals(FlipMatrix.POPULATION, json("flip_matrix").path("population").asText());
    }

    @Test
    void reachableClassesCountEveryExampleOnce() {
        long errors = 0;
        for (int k = 0; k < 10; k++) errors += reach.cleanErrors(k);
        assertEquals(20, reach.examples() + errors, "every example is either in the sets or a clean error");
    }

    @Test
    void classRemoval() throws IOException {
        assertEquals(removal.size(), json("class_removal").path("results").size());
        for (ClassRemoval.Result r : removal) {
            assertTrue(r.examples() > 0 && !r.removed().isEmpty() && r.controlRemoved().size() == r.removed().size(), r.toString());
            assertTrue(r.robustShareAfterRemoval() >= 0 && r.robustShareAfterRemoval() <= 1 && r.robustShareControl() >= 0
                    && r.robustShareControl() <= 1);
            assertTrue(Collections.disjoint(r.removed(), r.controlRemoved()) && !r.removed().contains(r.sourceClass()));
        }
    }

    /** T = 1 Temperature-PGD is the same attack as PGD-20 with the same seed. */
    @Test
    void temperatureOneIsPgd() {
        assertEquals(Diagnosis.rung(ladder, Diagnosis.REFERENCE_RUNG).overall(), sweep.get(0).overall(), 1e-12);
    }

    @Test
    void weightNormsPerEpoch() throws IOException {
        JsonNode wn = json("weight_norms");
        assertEquals(2, wn.path("per_epoch").size());
        assertTrue(wn.path("final").path("pearson").isNumber());
    }

    /** The report: every chart as PNG and SVG, the ladder table's numbers are the JSON's, definitions stated, rendered in Chromium. */
    @Test
    void report() throws Exception {
        Path report = new ReportWriter(run).write();
        for (String chart : List.of("over_epochs_test_robust", "intervals", "flip_matrix", "weight_norms", "attack_ladder",
                "temperature_pgd")) {
            assertTrue(Files.size(run.plots().resolve(chart + ".png")) > 5_000 && Files.exists(run.plots().resolve(chart + ".svg")), chart);
        }
        String html = Files.readString(report);
        assertTrue(!html.contains("http://") && !html.contains("https://"), "self-contained: no network references");
        String table = html.substring(html.indexOf("<table id=\"ladder\">"), html.indexOf("</table>",
                html.indexOf("<table id=\"ladder\">")));
        Matcher m = Pattern.compile("data-v=\"([^\"]+)\"").matcher(table);
        List<Double> cells = new ArrayList<>();
        while (m.find()) cells.add(Double.parseDouble(m.group(1)));
        int rungs = ladder.size();
        for (int k = 0; k < 10; k++) {
            // per row: clean, the rungs, the drop
            for (int r = 0; r < rungs; r++) assertEquals(ladder.get(r).perClass()[k], cells.get(k * (rungs + 2) + 1 + r), 0.0,
                    "class " + k + " rung " + r);
        }
        assertTrue(html.contains("Robust = correct on the clean example and on its adversarial example"),
                "the report states the definition");
        assertTrue(html.contains("strongest: "), "the ladder caption names the strongest attack of this run");
        ReportRenderCheck.renderIfChromiumPresent(report, dir.resolve("screenshot.png"));
    }
}
