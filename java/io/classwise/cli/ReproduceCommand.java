package io.classwise.cli;

import io.classwise.analysis.Diagnosis;
import io.classwise.data.DataDirs;
import io.classwise.data.DatasetId;
import io.classwise.data.Datasets;
import io.classwise.data.ImageDataset;
import io.classwise.data.Split;
import io.classwise.nn.Model;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.nn.checkpoint.Safetensors;
import io.classwise.report.Tables;
import io.classwise.tensor.Backend;
import io.classwise.train.Presets;
import io.classwise.train.RunDirectory;
import io.classwise.train.TrainConfig;
import io.classwise.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.api.CompareRuns;
import io.classwise.api.RunDiagnosis;
import io.classwise.data.SubsetDataset;
import io.classwise.report.AnalysisFiles;
import io.classwise.report.ReportWriter;
import java.io.IOException;
import java.io.OutputStream;

/**
 * {@code reproduce <dataset>}: the study's recipe for a dataset. PGD-AT with the preset, a naturally
 * trained surrogate, every analysis and the report; then TRADES, MART and HE with the same preset and
 * the Temperature-PGD sweep on each, compared in analysis/temperature_pgd_by_method.json|csv; last, every run
 * side by side class by class ({@code compare}) in OUT/comparison/.
 */
@Command(name = "reproduce", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run the study on a dataset with its preset: PGD-AT + every analysis + report, then the --methods (TRADES, MART, HE; "
                + "or e.g. trades,frl,cfa,dafa) with the Temperature-PGD sweep, and a class-wise comparison of all runs in OUT/comparison/.")
final class ReproduceCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "mnist, fashion-mnist, cifar10, cifar100, svhn, stl10, imagenet.") String dataset;
    @Option(names = "--out", description = "Run directory (default: runs/reproduce-DATASET).") Path out;
    @picocli.CommandLine.Mixin DataDirOption data = new DataDirOption();
    @Option(names = "--embedded", description = "fashion-mnist only: the subset inside the jar.") boolean embedded;
    @Option(names = "--epochs", description = "Override the preset's epochs (e.g. for a quick look).") Integer epochs;
    @Option(names = "--train-examples", description = "Balanced training subset (default: all).") Integer trainExamples;
    @Option(names = "--eval-examples", defaultValue = "1000", description = "Balanced test subset for evaluation and analyses (default: ${DEFAULT-VALUE}).") int evalExamples;
    @Option(names = "--methods", split = ",", defaultValue = "trades,mart,he", description = "Methods trained and compared besides PGD-AT "
            + "(which always runs first), e.g. trades,frl,cfa,dafa (default: ${DEFAULT-VALUE}).") List<String> methods;
    @Option(names = "--autoattack", description = "The final comparison also under the standard AutoAttack (slow on a CPU).") boolean autoAttack;
    @Option(names = "--seed", defaultValue = "0", description = "One seed for data order, initialisation and attack starts (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--no-progress", description = "No progress bar.") boolean noProgress;
    @Option(names = "--overwrite", description = "Replace the runs already in the output directory (default: refuse to mix two runs).") boolean overwrite;
    @Option(names = "--no-removal", description = "Skip the class-removal experiment (it retrains the model twice per source class).") boolean noRemoval;
    @Mixin BackendOptions backend;

    @Override
    public Integer call() throws Exception {
        DatasetId id = DatasetId.parse(dataset);
        if (embedded && id != DatasetId.FASHION_MNIST) throw new IllegalArgumentException("--embedded is only available for fashion-mnist");
        Path root = out != null ? out : Path.of("runs", "reproduce-" + id.cliName);
        ImageDataset train = Datasets.load(id, Split.TRAIN, embedded, DataDirs.resolve(data.dataDir));
        ImageDataset test = Datasets.load(id, Split.TEST, embedded, DataDirs.resolve(data.dataDir));
        try (Backend b = backend.create()) {
            Map<String, Object> byMethod = new LinkedHashMap<>();
            List<List<Object>> rows = new ArrayList<>();
            RunDirectory main = new RunDirectory(root);
            train(b, id, "pgd-at", train, test, main);
            RunDirectory surrogate = new RunDirectory(root.resolve("surrogate-natural"));
            TrainConfig nat = config(id, "natural");
            nat.epochs = Math.max(1, nat.epochs / 4);
            new Trainer(nat, b, id, train, test, surrogate, quiet(), false).overwrite(overwrite).fit(false);
            Diagnosis.Settings s = settings(main);
            RunDiagnosis.run(b, main, Safetensors.read(main.lastWeights()).metadata(), s, evalExamples,
                    Checkpoint.load(b, surrogate.lastWeights()), data.dataDir, noRemoval ? null : List.of(), System.out);
            collect(main.analysis().resolve("temperature_pgd.json"), "pgd-at", byMethod, rows);
            List<Path> compared = new ArrayList<>(List.of(main.root()));
            for (String m : methods) {
                if (m.equals("pgd-at")) continue; // the first run
                compared.add(root.resolve(m));
                RunDirectory r = new RunDirectory(root.resolve(m));
                train(b, id, m, train, test, r);
                Model model = Checkpoint.load(b, r.lastWeights());
                ImageDataset sub = evalExamples > 0 ? SubsetDataset.balanced(test, Math.max(1, evalExamples / test.numClasses()),
                        seed, "--eval-examples") : test;
                new Diagnosis(model, sub, id, settings(r), new AnalysisFiles(r.analysis()), System.out).temperatureSweep();
                collect(r.analysis().resolve("temperature_pgd.json"), m, byMethod, rows);
            }
            Tables.json(main.analysis().resolve("temperature_pgd_by_method.json"), byMethod);
            Tables.csv(main.analysis().resolve("temperature_pgd_by_method.csv"), List.of("method", "temperature",
                    "overall_robust_accuracy"), rows);
            // The report again, now with the comparison across methods.
            Path report = new ReportWriter(main).write();
            System.out.println("report: " + report.toAbsolutePath() + "; Temperature-PGD by method: "
                    + main.analysis().resolve("temperature_pgd_by_method.csv"));
            if (compared.size() > 1) {
                Path cmp = root.resolve("comparison");
                CompareRuns.run(new CompareRuns.Request(compared, cmp, null, null, 20, evalExamples, autoAttack, 128, data.dataDir, seed), b,
                        System.out);
                System.out.println("comparison: " + cmp.resolve("report.html").toAbsolutePath());
            }
        }
        return 0;
    }

    private static PrintStream quiet() { return new PrintStream(OutputStream.nullOutputStream()); }

    private TrainConfig config(DatasetId id, String method) throws IOException {
        Map<String, Object> flags = new LinkedHashMap<>();
        flags.put("method", method);
        if (embedded) flags.put("source", "embedded");
        if (epochs != null) flags.put("epochs", epochs);
        if (trainExamples != null) flags.put("trainExamples", trainExamples);
        flags.put("evalExamples", evalExamples);
        flags.put("seed", seed);
        return Presets.resolve(id, null, flags);
    }

    private void train(Backend b, DatasetId id, String method, ImageDataset train, ImageDataset test, RunDirectory run) throws Exception {
        System.out.println("training " + method + " → " + run.root());
        new Trainer(config(id, method), b, id, train, test, run, System.out, !noProgress).overwrite(overwrite).fit(false);
    }

    private Diagnosis.Settings settings(RunDirectory run) throws Exception {
        TrainConfig c = new ObjectMapper().readValue(run.config().toFile(), TrainConfig.class);
        Diagnosis.Settings s = new Diagnosis.Settings();
        s.eps = (float) c.eps;
        s.step = (float) c.evalStep;
        s.steps = c.evalSteps;
        s.seed = seed;
        return s;
    }

    private static void collect(Path json, String method, Map<String, Object> byMethod, List<List<Object>> rows) throws Exception {
        JsonNode d = new ObjectMapper().readTree(json.toFile());
        byMethod.put(method, d);
        for (int i = 0; i < d.path("temperatures").size(); i++) {
            rows.add(List.of(method, d.path("temperatures").get(i).asDouble(), d.path("rows").get(i).path("overall").asDouble()));
        }
    }
}
