package io.classwise.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.classwise.analysis.ClassRobustness;
import io.classwise.data.DatasetId;
import io.classwise.tensor.Backend;
import io.classwise.train.Presets;
import io.classwise.train.RunDirectory;
import io.classwise.train.TrainConfig;
import io.classwise.util.AtomicFiles;
import io.classwise.util.OutputPaths;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;

/**
 * A sweep: a grid of training runs (method × seed × ε × …), one run directory each under one output
 * directory, and a summary of all of them. Every run is idempotent and resumable, so whoever executes the
 * runs — {@link #runAll} one after the other here, or Spark tasks ({@code io.classwise.spark}) — may
 * repeat one: a finished run (its {@code sweep-result.json} written) is read back, a started one resumes
 * from its last committed epoch, a new one starts.
 *
 * <pre>
 * out: runs/sweep            # the output directory
 * dataset: fashion-mnist
 * embedded: true             # the data embedded in the jar (else dataDir or $CLASSWISE_DATA)
 * settings:                  # config.json fields every run shares
 *   architecture: small-cnn
 *   epochs: 10
 * grid:                      # one run per combination, in this order
 *   method: [pgd-at, trades, dafa]
 *   seed: [0, 1, 2]
 * compare:                   # optional: the compare report of all runs at the end
 *   examples: 1000
 *   steps: 20
 * </pre>
 */
public final class Sweep {
    private Sweep() {}

    /** Written into a run's directory when it has finished: what the summary reads, and the mark that it is done. */
    public static final String RESULT = "sweep-result.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A URI's scheme and "//" at the start of a location. */
    public static final String URI_SCHEME = "^[A-Za-z][A-Za-z0-9+.-]*://";

    /** Whether a location is a URI (hdfs://…, s3a://…, file://…: a Hadoop filesystem) rather than a local path. */
    public static boolean isUri(String location) { return location.matches(URI_SCHEME + ".*"); }

    /**
     * location: out as written (a path, or a URI such as hdfs://… that Spark jobs reach through Hadoop's
     * filesystems). compare null: no compare report.
     */
    public record Spec(Path file, String location, String dataset, boolean embedded, String dataDir, Map<String, Object> settings,
                       LinkedHashMap<String, List<Object>> grid, CompareSettings compare) {

        /** The output directory as a local path. */
        public Path out() { return Path.of(location); }

        /** The same sweep writing under another local output directory (a task's scratch copy, or the driver's absolute path). */
        public Spec withOut(Path dir) { return new Spec(file, dir.toString(), dataset, embedded, dataDir, settings, grid, compare); }
    }

    public record CompareSettings(int examples, int steps, boolean autoAttack, int batchSize) {}

    /** One grid point: its name ("method=trades,seed=1"), directory name and the settings it adds. */
    public record Run(String name, String directory, Map<String, Object> settings) {}

    /** A finished run as the summary shows it; clean/robust per class from its last epoch's test evaluation. */
    public record Result(String name, String directory, Map<String, Object> settings, int epochs, String attack, List<String> classNames,
                         double[] clean, double[] robust, double robustAverage, double worst, String worstClass, double gap) {}

    /** Reads and checks a spec: every run's configuration is resolved here, so a bad field fails before anything runs. */
    public static Spec read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + " does not exist");
        return parse(Files.readString(file, StandardCharsets.UTF_8), file);
    }

    /** As {@link #read}, from the spec's text (what a Spark task receives); file names it in messages. */
    public static Spec parse(String text, Path file) {
        YAMLMapper yaml = new YAMLMapper();
        yaml.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
        yaml.enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        JsonNode root;
        try {
            root = yaml.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not readable YAML (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException(file + ": expected a mapping with out, dataset, settings, grid");
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!List.of("out", "dataset", "embedded", "dataDir", "settings", "grid", "compare").contains(k)) {
                throw new IllegalArgumentException(file + ": unknown key '" + k + "'; expected out, dataset, embedded, dataDir, settings, grid, compare");
            }
        }
        String out = required(root, "out", file), dataset = required(root, "dataset", file);
        DatasetId.parse(dataset);
        Map<String, Object> settings = new LinkedHashMap<>();
        if (root.has("settings")) {
            if (!root.get("settings").isObject()) throw new IllegalArgumentException(file + ": settings must be a mapping of config.json fields");
            settings.putAll(JSON.convertValue(root.get("settings"), Map.class));
        }
        LinkedHashMap<String, List<Object>> grid = new LinkedHashMap<>();
        JsonNode g = root.path("grid");
        if (!g.isObject() || g.size() == 0) throw new IllegalArgumentException(file + ": grid must map at least one config.json field to a list of values");
        for (Iterator<Map.Entry<String, JsonNode>> it = g.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isArray() || e.getValue().size() == 0) {
                throw new IllegalArgumentException(file + ": grid." + e.getKey() + " must be a non-empty list, e.g. [0, 1, 2]");
            }
            if (settings.containsKey(e.getKey())) throw new IllegalArgumentException(file + ": '" + e.getKey() + "' is both in settings and in grid");
            List<Object> values = new ArrayList<>();
            for (JsonNode v : e.getValue()) values.add(JSON.convertValue(v, Object.class));
            grid.put(e.getKey(), values);
        }
        CompareSettings compare = null;
        if (root.has("compare")) {
            JsonNode c = root.get("compare");
            compare = new CompareSettings(c.path("examples").asInt(1000), c.path("steps").asInt(20), c.path("autoAttack").asBoolean(false),
                    c.path("batchSize").asInt(128));
        }
        Spec spec = new Spec(file, out, dataset, root.path("embedded").asBoolean(false),
                root.hasNonNull("dataDir") ? root.get("dataDir").asText() : null, settings, grid, compare);
        for (Run r : runs(spec)) {
            try {
                Presets.resolve(DatasetId.parse(dataset), null, settingsOf(spec, r));
            } catch (IllegalArgumentException | IOException e) {
                throw new IllegalArgumentException(file + ", run " + r.name() + ": " + e.getMessage());
            }
        }
        return spec;
    }

    private static String required(JsonNode root, String key, Path file) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull() || !n.isValueNode() || n.asText().isBlank()) throw new IllegalArgumentException(file + ": '" + key + "' is required");
        return n.asText();
    }

    /** A grid value in a directory name: a list as its items joined by '+' ("none" when empty), other values as written. */
    private static String dirValue(Object v) {
        if (v instanceof List<?> l) return l.isEmpty() ? "none" : String.join("+", l.stream().map(String::valueOf).toList());
        return String.valueOf(v).replaceAll("[^A-Za-z0-9.+-]", "_");
    }

    /** Every grid combination, the last grid key varying fastest. */
    public static List<Run> runs(Spec spec) {
        List<Run> out = new ArrayList<>();
        List<String> keys = new ArrayList<>(spec.grid().keySet());
        int[] at = new int[keys.size()];
        while (true) {
            Map<String, Object> s = new LinkedHashMap<>();
            StringBuilder name = new StringBuilder(), dir = new StringBuilder();
            for (int i = 0; i < keys.size(); i++) {
                Object v = spec.grid().get(keys.get(i)).get(at[i]);
                s.put(keys.get(i), v);
                if (i > 0) { name.append(','); dir.append('_'); }
                name.append(keys.get(i)).append('=').append(v);
                dir.append(keys.get(i)).append('-').append(dirValue(v));
            }
            out.add(new Run(name.toString(), dir.toString(), s));
            int i = keys.size() - 1;
            while (i >= 0 && ++at[i] == spec.grid().get(keys.get(i)).size()) at[i--] = 0;
            if (i < 0) return out;
        }
    }

    private static Map<String, Object> settingsOf(Spec spec, Run run) {
        Map<String, Object> s = new LinkedHashMap<>(spec.settings());
        s.putAll(run.settings());
        return s;
    }

    /** The run's directory under the sweep's output. */
    public static Path directory(Spec spec, Run run) { return spec.out().resolve(run.directory()); }

    /** As {@link #runOne(Spec, Run, Integer, Map, PrintStream)} on the device and threads the spec says. */
    public static Result runOne(Spec spec, Run run, Integer stopAfter, PrintStream log) throws Exception {
        return runOne(spec, run, stopAfter, Map.of(), log);
    }

    /**
     * Runs (or finishes, or reads back) one grid point. stopAfter: train only up to this epoch, and return null
     * without a result unless that finished the run (what an interrupted task leaves); null: to the end. machine: device / threads of the
     * executor running it (not part of the run's identity; a resumed run may change them). log receives the
     * training's lines.
     */
    public static Result runOne(Spec spec, Run run, Integer stopAfter, Map<String, Object> machine, PrintStream log) throws Exception {
        Path dir = directory(spec, run);
        Path result = dir.resolve(RESULT);
        if (Files.exists(result)) {
            log.println(run.name() + ": finished earlier, " + result + " read back");
            return JSON.readValue(result.toFile(), Result.class);
        }
        boolean resume = Files.exists(new RunDirectory(dir).config());
        Map<String, Object> settings = settingsOf(spec, run);
        Map<String, String> flagOf = new LinkedHashMap<>();
        for (String k : settings.keySet()) flagOf.put(k, (run.settings().containsKey(k) ? "grid." : "settings.") + k);
        for (Map.Entry<String, Object> m : machine.entrySet()) {
            if (!m.getKey().equals("device") && !m.getKey().equals("threads")) throw new IllegalArgumentException("machine settings are device "
                    + "and threads, not " + m.getKey());
            if (!settings.containsKey(m.getKey())) settings.put(m.getKey(), m.getValue());
        }
        log.println(run.name() + ": " + (resume ? "resuming in " : "starting in ") + dir);
        TrainConfig c = TrainRun.run(new TrainRun.Request(dir, spec.dataset(), null, spec.embedded(), null, resume, false, settings, flagOf,
                spec.dataDir(), stopAfter, false), log);
        if (stopAfter != null && stopAfter < c.epochs) return null;
        Result r = summarise(spec, run, dir);
        AtomicFiles.write(result, o -> o.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(r)));
        return r;
    }

    /** The run's last epoch from its metrics.jsonl. */
    private static Result summarise(Spec spec, Run run, Path dir) throws IOException {
        List<String> lines = Files.readAllLines(new RunDirectory(dir).metrics(), StandardCharsets.UTF_8);
        if (lines.isEmpty()) throw new IOException(dir + ": metrics.jsonl is empty after training");
        JsonNode last = JSON.readTree(lines.get(lines.size() - 1));
        List<String> names = new ArrayList<>();
        for (JsonNode n : last.path("class_names")) names.add(n.asText());
        double[] clean = doubles(last.path("test").path("clean").path("per_class"));
        double[] robust = doubles(last.path("test").path("robust").path("per_class"));
        ClassRobustness cr = ClassRobustness.of(robust);
        return new Result(run.name(), run.directory(), run.settings(), last.path("epoch").asInt(), last.path("test").path("attack").asText(),
                names, clean, robust, cr.mean(), cr.min(), names.get(cr.worstClass()), cr.gap());
    }

    private static double[] doubles(JsonNode a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).asDouble();
        return v;
    }

    /**
     * A local output directory must be new, empty, or a sweep's own (its runs, summary.csv/json, comparison/,
     * logs/): a sweep resumes into its own directory but never writes among another directory's files.
     */
    public static void checkOut(Spec spec) throws IOException {
        if (isUri(spec.location())) return;
        Set<String> names = new HashSet<>(List.of("summary.csv", "summary.json", "comparison", "logs"));
        for (Run r : runs(spec)) names.add(r.directory());
        OutputPaths.checkDirectory(spec.out(), "the sweep's out", true, dir -> {
            try (var entries = Files.list(dir)) {
                return entries.allMatch(e -> names.contains(e.getFileName().toString()) || RunDirectory.holdsRun(e)
                        || (e.getFileName().toString().startsWith(".") && e.getFileName().toString().endsWith(".tmp")));
            } catch (IOException unreadable) {
                return false;
            }
        }, "a sweep's output (its runs, summary, comparison, logs)", List.of());
    }

    /** Every run in order on this machine, then the summary (and the compare report). */
    public static List<Result> runAll(Spec spec, Backend compareBackend, PrintStream log) throws Exception {
        checkOut(spec);
        List<Result> results = new ArrayList<>();
        for (Run r : runs(spec)) results.add(runOne(spec, r, null, log));
        finish(spec, results, compareBackend, log);
        return results;
    }

    /** Writes summary.csv and summary.json under the output directory, prints the table, then the compare report if asked. */
    public static void finish(Spec spec, List<Result> results, Backend compareBackend, PrintStream log) throws IOException {
        finish(spec, results, compareBackend, log, spec.out().toString());
    }

    /** As above; shownAs: where the outputs end up, for the printed lines (a Hadoop URI the local copy is uploaded to). */
    public static void finish(Spec spec, List<Result> results, Backend compareBackend, PrintStream log, String shownAs) throws IOException {
        Files.createDirectories(spec.out());
        StringBuilder csv = new StringBuilder("run,epochs,attack,robust_average,worst,worst_class,gap");
        List<String> classes = results.get(0).classNames();
        for (String c : classes) csv.append(",robust:").append(c.replace(',', ' '));
        csv.append('\n');
        for (Result r : results) {
            csv.append('"').append(r.name()).append('"').append(String.format(Locale.ROOT, ",%d,%s,%.4f,%.4f,%s,%.4f", r.epochs(), r.attack(),
                    r.robustAverage(), r.worst(), r.worstClass().replace(',', ' '), r.gap()));
            for (double v : r.robust()) csv.append(String.format(Locale.ROOT, ",%.4f", v));
            csv.append('\n');
        }
        AtomicFiles.write(spec.out().resolve("summary.csv"), o -> o.write(csv.toString().getBytes(StandardCharsets.UTF_8)));
        AtomicFiles.write(spec.out().resolve("summary.json"), o -> o.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(results)));
        log.printf(Locale.ROOT, "%-40s %8s %8s %-14s %8s%n", "run", "robust", "worst", "worst class", "gap");
        for (Result r : results) {
            log.printf(Locale.ROOT, "%-40s %8.4f %8.4f %-14s %8.4f%n", r.name(), r.robustAverage(), r.worst(), r.worstClass(), r.gap());
        }
        log.println("summary: " + shownAs + "/summary.csv, " + shownAs + "/summary.json");
        if (spec.compare() != null && results.size() >= 2) {
            List<Path> dirs = new ArrayList<>();
            for (Result r : results) dirs.add(spec.out().resolve(r.directory()));
            CompareSettings c = spec.compare();
            try {
                CompareRuns.run(new CompareRuns.Request(dirs, spec.out().resolve("comparison"), null, null, c.steps(), c.examples(),
                        c.autoAttack(), c.batchSize(), spec.dataDir(), 0, true), compareBackend, log);
            } catch (CompareRuns.DifferentClassSets e) {
                log.println("compare report skipped: " + e.getMessage());
                return;
            }
            log.println("compare report: " + shownAs + "/comparison/report.html");
        }
    }
}
