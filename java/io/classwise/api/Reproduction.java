package io.classwise.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.analysis.Diagnosis;
import io.classwise.data.DataDirs;
import io.classwise.data.DatasetId;
import io.classwise.data.Datasets;
import io.classwise.data.ImageDataset;
import io.classwise.data.Split;
import io.classwise.data.SubsetDataset;
import io.classwise.nn.Model;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.report.AnalysisFiles;
import io.classwise.report.AnalysisSeal;
import io.classwise.report.ReportWriter;
import io.classwise.report.Tables;
import io.classwise.tensor.Backend;
import io.classwise.train.Presets;
import io.classwise.train.RunDirectory;
import io.classwise.train.RunManifest;
import io.classwise.train.TrainConfig;
import io.classwise.train.Trainer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The study's recipe for a dataset ({@code reproduce}): PGD-AT with the preset, a naturally trained
 * surrogate, every analysis and the report; then each further method with the same preset and the
 * Temperature-PGD sweep on each (analysis/temperature_pgd_by_method.json|csv); last, all runs side by
 * side class by class ({@link CompareRuns}) in OUT/comparison/.
 */
public final class Reproduction {
    private Reproduction() {}

    /**
     * epochs / trainExamples null: the preset's; methods: trained besides PGD-AT (which always runs first);
     * overwrite: replace runs already in out; removal: run the class-removal experiment.
     */
    public record Request(DatasetId dataset, Path out, String dataDir, boolean embedded, Integer epochs, Integer trainExamples,
                          int evalExamples, List<String> methods, boolean autoAttack, long seed, boolean progress, boolean overwrite,
                          boolean removal) {}

    public static void run(Request r, Backend b, PrintStream out) throws Exception {
        DatasetId id = r.dataset();
        if (r.embedded() && id != DatasetId.FASHION_MNIST) throw new IllegalArgumentException("--embedded is only available for fashion-mnist");
        Path root = r.out();
        ImageDataset train = Datasets.load(id, Split.TRAIN, r.embedded(), DataDirs.resolve(r.dataDir()));
        ImageDataset test = Datasets.load(id, Split.TEST, r.embedded(), DataDirs.resolve(r.dataDir()));
        Map<String, Object> byMethod = new LinkedHashMap<>();
        List<List<Object>> rows = new ArrayList<>();
        RunDirectory main = new RunDirectory(root);
        train(r, b, "pgd-at", train, test, main, out);
        RunDirectory surrogate = new RunDirectory(root.resolve("surrogate-natural"));
        TrainConfig nat = config(r, "natural");
        nat.epochs = Math.max(1, nat.epochs / 4);
        new Trainer(nat, b, id, train, test, surrogate, new PrintStream(OutputStream.nullOutputStream()), false).overwrite(r.overwrite()).fit(false);
        RunDiagnosis.run(b, main, settings(r, main), r.evalExamples(),
                Checkpoint.load(b, surrogate.finalWeights()), r.dataDir(), r.removal() ? List.of() : null, out);
        collect(main.analysis().resolve("temperature_pgd.json"), "pgd-at", byMethod, rows);
        List<Path> compared = new ArrayList<>(List.of(main.root()));
        for (String m : r.methods()) {
            if (m.equals("pgd-at")) continue; // the first run
            compared.add(root.resolve(m));
            RunDirectory run = new RunDirectory(root.resolve(m));
            train(r, b, m, train, test, run, out);
            RunManifest.FinalModel fin = run.finalModel();
            Model model = Checkpoint.load(b, fin.file());
            ImageDataset sub = r.evalExamples() > 0 ? SubsetDataset.balanced(test, Math.max(1, r.evalExamples() / test.numClasses()),
                    r.seed(), "--eval-examples") : test;
            Diagnosis.Settings settings = settings(r, run);
            new Diagnosis(model, sub, id, settings, new AnalysisFiles(run.analysis()), out).temperatureSweep();
            AnalysisSeal.extend(run, new ObjectMapper().valueToTree(settings), fin);
            collect(run.analysis().resolve("temperature_pgd.json"), m, byMethod, rows);
        }
        Tables.json(main.analysis().resolve("temperature_pgd_by_method.json"), byMethod);
        Tables.csv(main.analysis().resolve("temperature_pgd_by_method.csv"), List.of("method", "temperature", "overall_robust_accuracy"), rows);
        AnalysisSeal.extend(main, new ObjectMapper().valueToTree(settings(r, main)), main.finalModel());
        // The report again, now with the comparison across methods.
        Path report = new ReportWriter(main).write();
        out.println("report: " + report.toAbsolutePath() + "; Temperature-PGD by method: " + main.analysis().resolve("temperature_pgd_by_method.csv"));
        if (compared.size() > 1) {
            Path cmp = root.resolve("comparison");
            CompareRuns.run(new CompareRuns.Request(compared, cmp, null, null, 20, r.evalExamples(), r.autoAttack(), 128, r.dataDir(), r.seed(), true),
                    b, out);
            out.println("comparison: " + cmp.resolve("report.html").toAbsolutePath());
        }
    }

    private static TrainConfig config(Request r, String method) throws IOException {
        Map<String, Object> flags = new LinkedHashMap<>();
        flags.put("method", method);
        if (r.embedded()) flags.put("source", "embedded");
        if (r.epochs() != null) flags.put("epochs", r.epochs());
        if (r.trainExamples() != null) flags.put("trainExamples", r.trainExamples());
        flags.put("evalExamples", r.evalExamples());
        flags.put("seed", r.seed());
        return Presets.resolve(r.dataset(), null, flags);
    }

    private static void train(Request r, Backend b, String method, ImageDataset train, ImageDataset test, RunDirectory run, PrintStream out)
            throws Exception {
        out.println("training " + method + " → " + run.root());
        new Trainer(config(r, method), b, r.dataset(), train, test, run, out, r.progress()).overwrite(r.overwrite()).fit(false);
    }

    private static Diagnosis.Settings settings(Request r, RunDirectory run) throws IOException {
        TrainConfig c = new ObjectMapper().readValue(run.config().toFile(), TrainConfig.class);
        Diagnosis.Settings s = new Diagnosis.Settings();
        s.eps = (float) c.eps;
        s.step = (float) c.evalStep;
        s.steps = c.evalSteps;
        s.seed = r.seed();
        return s;
    }

    private static void collect(Path json, String method, Map<String, Object> byMethod, List<List<Object>> rows) throws IOException {
        JsonNode d = new ObjectMapper().readTree(json.toFile());
        byMethod.put(method, d);
        for (int i = 0; i < d.path("temperatures").size(); i++) {
            rows.add(List.of(method, d.path("temperatures").get(i).asDouble(), d.path("rows").get(i).path("overall").asDouble()));
        }
    }
}
