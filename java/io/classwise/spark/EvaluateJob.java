package io.classwise.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.classwise.analysis.ClassCounts;
import io.classwise.analysis.FlipMatrix;
import io.classwise.analysis.RobustFairness;
import io.classwise.api.CheckpointAttack;
import io.classwise.api.ImportModel;
import io.classwise.util.OutputPaths;
import io.classwise.util.AtomicFiles;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code evaluate}: one checkpoint's attack evaluation with the test set cut into shards at batch boundaries,
 * one Spark task each. Each task returns integer counts per class and the flip matrix of its shard; the driver
 * adds them up. Every batch's attack draws from a generator derived from the seed and the batch's first example
 * (not from the task), so the result equals the single-machine {@code attack} on the same settings exactly.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Clean and robust accuracy per class and the flip matrix of a checkpoint, the test set sharded across Spark tasks.")
final class EvaluateJob implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "A Classwise checkpoint (or weights from elsewhere with --arch, --dataset); "
            + "shipped to the executors with the job.") Path checkpoint;
    @Option(names = "--shards", defaultValue = "0", description = "Tasks to cut the test set into (default: 0 = Spark's default parallelism).") int shards;
    @Option(names = "--attack", defaultValue = "pgd", description = "As attack's --attack (default: ${DEFAULT-VALUE}).") String attack;
    @Option(names = "--eps", description = "Budget (default: the checkpoint's training ε, else the dataset's preset).") Float eps;
    @Option(names = "--step", description = "Step size (default: ε/4).") Float step;
    @Option(names = "--steps", defaultValue = "20", description = "Iterations (default: ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--restarts", defaultValue = "1", description = "Random restarts (default: ${DEFAULT-VALUE}).") int restarts;
    @Option(names = "--queries", defaultValue = "1000", description = "Square attack's queries (default: ${DEFAULT-VALUE}).") int queries;
    @Option(names = "--examples", defaultValue = "0", description = "Balanced subset of the test set (default: 0 = all).") int examples;
    @Option(names = "--batch-size", defaultValue = "128", description = "Images per attacked batch (default: ${DEFAULT-VALUE}).") int batchSize;
    @Option(names = "--dataset", description = "The dataset (default: the checkpoint's).") String dataset;
    @Option(names = "--arch", description = "For weights without Classwise metadata: their architecture.") String arch;
    @Option(names = "--normalize", defaultValue = "auto", description = "With --arch: auto, none or dataset (default: ${DEFAULT-VALUE}).") String normalize;
    @Option(names = "--data-dir", description = "Data directory on the executors (default: $CLASSWISE_DATA, else ~/.cache/classwise/datasets).") String dataDir;
    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random starts and the test subset (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--out", description = "Also write the counts and the per-class table as JSON here.") Path out;
    @Option(names = "--master", description = "Spark master (default: spark-submit's, else local[*]).") String master;

    /** The request every shard runs (the checkpoint replaced by each executor's copy). */
    CheckpointAttack.Request request() {
        return new CheckpointAttack.Request(checkpoint.toAbsolutePath(), attack, eps, step, steps, restarts, 1f, 50f, queries, null, examples,
                batchSize, dataset, dataDir, seed, 0, null, arch, normalize);
    }

    /** [from, to) ranges over n examples: whole batches, as evenly as possible over at most `wanted` shards. */
    static List<int[]> shards(int n, int batch, int wanted) {
        int batches = (n + batch - 1) / batch, k = Math.max(1, Math.min(wanted, batches));
        List<int[]> out = new ArrayList<>();
        int start = 0;
        for (int s = 0; s < k; s++) {
            int take = batches / k + (s < batches % k ? 1 : 0);
            int end = Math.min(n, start + take * batch);
            out.add(new int[] {start, end});
            start = end;
        }
        return out;
    }

    @Option(names = "--overwrite", description = "Replace --out if it exists.") boolean overwrite;

    @Override
    public Integer call() throws Exception {
        if (shards < 0) throw new IllegalArgumentException("--shards must be >= 0, got " + shards);
        if (out != null) OutputPaths.checkFile(out, "--out", overwrite, checkpoint);
        // A run directory stands for its verified final model; the file itself travels to the executors.
        checkpoint = ImportModel.checkpointFile(checkpoint);
        CheckpointAttack.Request r = request();
        CheckpointAttack.Plan plan = CheckpointAttack.plan(r);
        ObjectMapper json = new ObjectMapper();
        String requestJson = json.writeValueAsString(r), fileName = checkpoint.getFileName().toString();
        ClassCounts total = null;
        List<int[]> ranges;
        try (JavaSparkContext sc = SparkJobs.context("classwise evaluate " + fileName, master)) {
            ranges = shards(plan.examples(), batchSize, shards > 0 ? shards : sc.defaultParallelism());
            System.out.println("evaluate: " + plan.examples() + " " + plan.dataset() + " test examples in " + ranges.size() + " shards of whole "
                    + batchSize + "-image batches");
            sc.addFile(checkpoint.toAbsolutePath().toString());
            List<String> parts = sc.parallelize(ranges, ranges.size()).map(range -> EvaluateTask.run(requestJson, fileName, range[0], range[1]))
                    .collect();
            for (String p : parts) {
                ClassCounts c = json.readValue(p, ClassCounts.class);
                total = total == null ? c : total.plus(c);
            }
        }
        print(total, plan.classNames(), attack);
        if (out != null) {
            ObjectNode o = json.createObjectNode();
            o.put("checkpoint", checkpoint.toString());
            o.put("attack", attack);
            o.put("shards", ranges.size());
            o.set("class_names", json.valueToTree(plan.classNames()));
            o.set("counts", json.valueToTree(total));
            o.set("clean_accuracy", json.valueToTree(total.cleanAccuracy()));
            o.set("robust_accuracy", json.valueToTree(total.robustAccuracy()));
            AtomicFiles.write(out, w -> w.write(json.writerWithDefaultPrettyPrinter().writeValueAsBytes(o)));
            System.out.println("written: " + out);
        }
        return 0;
    }

    static void print(ClassCounts c, List<String> names, String attack) {
        double[] clean = c.cleanAccuracy(), robust = c.robustAccuracy();
        long n = c.examples(), cleanAll = 0, robustAll = 0;
        for (int k = 0; k < c.classes(); k++) { cleanAll += c.clean()[k]; robustAll += c.robust()[k]; }
        System.out.printf(Locale.ROOT, "%s (%d test images): clean %.4f, robust %.4f%n", attack, n, (double) cleanAll / n, (double) robustAll / n);
        RobustFairness f = RobustFairness.ofCounts(c.total(), c.robust(), RobustFairness.RESAMPLES, 0);
        System.out.printf(Locale.ROOT, "robust fairness: average over classes %.4f [%.4f, %.4f], worst class %.4f (%s), gap %.4f%n", f.average(),
                f.interval()[0][0], f.interval()[0][1], f.worst(), names.get(f.worstClass()), f.gap());
        FlipMatrix flips = c.flipMatrix();
        System.out.printf(Locale.ROOT, "%-4s %-20s %6s %8s %8s %17s  %s%n", "id", "class", "n", "clean", "robust", "95% interval", "flipped most to");
        for (int k = 0; k < c.classes(); k++) {
            int top = -1;
            for (int j = 0; j < c.classes(); j++) if (j != k && flips.count(k, j) > 0 && (top < 0 || flips.count(k, j) > flips.count(k, top))) top = j;
            System.out.printf(Locale.ROOT, "%-4d %-20s %6d %8.4f %8.4f  [%.4f, %.4f]  %s%n", k, names.get(k), c.total()[k], clean[k], robust[k],
                    f.lower()[k], f.upper()[k], top < 0 ? "-" : names.get(top) + " (" + flips.count(k, top) + ")");
        }
    }
}
