package io.classwise.cli;

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
import io.classwise.tensor.Backend;
import io.classwise.train.RunDirectory;
import io.classwise.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import io.classwise.report.AnalysisFiles;

/** {@code remove-class}: the class-removal experiment for chosen classes of a trained run. */
@Command(name = "remove-class", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The class-removal experiment: examples of SOURCE attackable only into the REMOVE classes; retrain RUN's recipe without them "
                + "and count how many have no adversarial example left (PGD-20, 5 restarts), against a control removing other classes.",
                "Classes are given by id or name. Results: RUN/analysis/class_removal.json|csv."})
final class RemoveClassCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, description = "Run directory written by train (its recipe is retrained).") Path runDir;
    @Option(names = "--source", required = true, description = "Source class (id or name).") String source;
    @Option(names = "--remove", split = ",", description = "Classes to remove (default: the source's dominant flip targets).") List<String> remove;
    @Option(names = "--control", split = ",", description = "Control classes to remove instead (default: those the source reaches least).") List<String> control;
    @Option(names = "--examples", defaultValue = "1000", description = "Balanced test subset searched for examples (default: ${DEFAULT-VALUE}).") int examples;
    @Option(names = "--reachable-examples", defaultValue = "400", description = "Balanced test subset searched with targeted attacks (default: ${DEFAULT-VALUE}).") int reachable;
    @picocli.CommandLine.Mixin DataDirOption data = new DataDirOption();
    @Option(names = "--seed", defaultValue = "0", description = "Seed of subsets, retraining and attack starts (default: ${DEFAULT-VALUE}).") long seed;
    @Mixin BackendOptions backend;

    static int classId(String s, List<String> names) {
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

    @Override
    public Integer call() throws Exception {
        RunDirectory run = new RunDirectory(runDir);
        if (!Files.exists(run.lastWeights()) || !Files.exists(run.config())) throw new IllegalArgumentException("--run: " + runDir
                + " has no trained model (checkpoints/last.safetensors and config.json)");
        Map<String, String> meta = Safetensors.read(run.lastWeights()).metadata();
        TrainConfig recipe = new ObjectMapper().readValue(run.config().toFile(), TrainConfig.class);
        DatasetId id = DatasetId.parse(recipe.dataset);
        boolean embedded = "embedded".equals(recipe.source);
        ImageDataset test = Datasets.load(id, Split.TEST, embedded, DataDirs.resolve(data.dataDir));
        ImageDataset train = Datasets.load(id, Split.TRAIN, embedded, DataDirs.resolve(data.dataDir));
        if (examples > 0) test = SubsetDataset.balanced(test, Math.max(1, examples / test.numClasses()), seed, "--examples");
        List<String> names = test.classNames();
        int src = classId(source, names);
        if (remove != null && control != null && remove.size() != control.size()) {
            throw new IllegalArgumentException("--control names " + control.size() + " classes but --remove names " + remove.size()
                    + "; the control must remove as many classes as the experiment does");
        }
        Diagnosis.Settings s = new Diagnosis.Settings();
        s.eps = Float.parseFloat(meta.getOrDefault("classwise.eps", Double.toString(recipe.eps)));
        s.step = s.eps / 4;
        s.reachableExamples = reachable;
        s.seed = seed;
        try (Backend b = backend.create()) {
            Diagnosis d = new Diagnosis(Checkpoint.load(b, run.lastWeights()), test, id, s, new AnalysisFiles(run.analysis()), System.out);
            System.out.println("finding the classes each example can be attacked into ...");
            Reachability reach = d.reachableClasses();
            d.classRemoval(reach, train, recipe, List.of(src), ids(remove, names), ids(control, names),
                    run.root().resolve("class-removal"));
        }
        System.out.println(String.format(Locale.ROOT, "results: %s", run.analysis().resolve("class_removal.json")));
        return 0;
    }
}
