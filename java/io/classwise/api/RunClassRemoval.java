package io.classwise.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.analysis.Diagnosis;
import io.classwise.analysis.Reachability;
import io.classwise.data.DataDirs;
import io.classwise.data.DatasetId;
import io.classwise.data.Datasets;
import io.classwise.data.ImageDataset;
import io.classwise.data.Split;
import io.classwise.data.SubsetDataset;
import io.classwise.nn.checkpoint.Checkpoint;
import io.classwise.nn.checkpoint.Safetensors;
import io.classwise.report.AnalysisFiles;
import io.classwise.tensor.Backend;
import io.classwise.train.RunDirectory;
import io.classwise.train.RunLock;
import io.classwise.train.RunManifest;
import io.classwise.report.AnalysisSeal;
import io.classwise.train.TrainConfig;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The class-removal experiment for chosen classes of a trained run, as {@code remove-class} runs it: finds
 * the source's examples attackable only into the removed classes, retrains the run's recipe without them and
 * without a control set, and writes RUN/analysis/class_removal.json|csv.
 */
public final class RunClassRemoval {
    private RunClassRemoval() {}

    /**
     * Classes by id or name. remove/control null: the source's dominant flip targets / the classes it reaches
     * least. examples: the balanced test subset searched (0 = all); reachableExamples: the subset attacked
     * towards every class. dataDir null: the default data directory.
     */
    public record Request(Path run, String source, List<String> remove, List<String> control, int examples, int reachableExamples,
                          String dataDir, long seed) {}

    /** Runs the experiment; returns the results file. */
    public static Path run(Request r, Backend b, PrintStream out) throws Exception {
        RunDirectory run = new RunDirectory(r.run());
        if (!RunDirectory.holdsRun(r.run())) throw new IllegalArgumentException("--run: " + r.run() + " is not a run directory (no config.json "
                + "of a run)");
        try (RunLock lock = RunLock.acquire(run.root(), "remove-class")) {
            return runLocked(r, run, b, out);
        }
    }

    private static Path runLocked(Request r, RunDirectory run, Backend b, PrintStream out) throws Exception {
        RunManifest.FinalModel model = run.finalModel();
        Map<String, String> meta = Safetensors.read(model.file()).metadata();
        TrainConfig recipe = new ObjectMapper().readValue(run.config().toFile(), TrainConfig.class);
        DatasetId id = DatasetId.parse(recipe.dataset);
        boolean embedded = "embedded".equals(recipe.source);
        ImageDataset test = Datasets.load(id, Split.TEST, embedded, DataDirs.resolve(r.dataDir()));
        ImageDataset train = Datasets.load(id, Split.TRAIN, embedded, DataDirs.resolve(r.dataDir()));
        if (r.examples() > 0) test = SubsetDataset.balanced(test, Math.max(1, r.examples() / test.numClasses()), r.seed(), "--examples");
        List<String> names = test.classNames();
        int src = classId(r.source(), names);
        if (r.remove() != null && r.control() != null && r.remove().size() != r.control().size()) {
            throw new IllegalArgumentException("--control names " + r.control().size() + " classes but --remove names " + r.remove().size()
                    + "; the control must remove as many classes as the experiment does");
        }
        Diagnosis.Settings s = new Diagnosis.Settings();
        s.eps = Float.parseFloat(meta.getOrDefault("classwise.eps", Double.toString(recipe.eps)));
        s.step = s.eps / 4;
        s.reachableExamples = r.reachableExamples();
        s.seed = r.seed();
        Diagnosis d = new Diagnosis(Checkpoint.load(b, model.file()), test, id, s, new AnalysisFiles(run.analysis()), out);
        out.println("finding the classes each example can be attacked into ...");
        Reachability reach = d.reachableClasses();
        d.classRemoval(reach, train, recipe, List.of(src), ids(r.remove(), names), ids(r.control(), names), run.root().resolve("class-removal"));
        AnalysisSeal.extend(run, new ObjectMapper().valueToTree(s), model);
        return run.analysis().resolve("class_removal.json");
    }

    /** A class given by id or by name (case-insensitive). */
    public static int classId(String s, List<String> names) {
        try {
            int id = Integer.parseInt(s.trim());
            if (id < 0 || id >= names.size()) throw new IllegalArgumentException("class id " + id + " is outside 0.." + (names.size() - 1));
            return id;
        } catch (NumberFormatException notNumber) {
            for (int c = 0; c < names.size(); c++) if (names.get(c).equalsIgnoreCase(s.trim())) return c;
            throw new IllegalArgumentException("unknown class '" + s + "'; classes: " + names);
        }
    }

    private static Set<Integer> ids(List<String> l, List<String> names) {
        if (l == null) return null;
        Set<Integer> s = new TreeSet<>();
        for (String x : l) s.add(classId(x, names));
        return s;
    }
}
