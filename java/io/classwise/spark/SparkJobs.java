package io.classwise.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.resource.ResourceInformation;

/** What the Spark jobs share: the context, and the GPU Spark assigned to a task. */
final class SparkJobs {
    private SparkJobs() {}

    /** A context from spark-submit's configuration; master: overrides it (local[N] etc.), else local[*] when none is set. */
    static JavaSparkContext context(String appName, String master) {
        SparkConf conf = new SparkConf().setAppName(appName);
        if (master != null) conf.setMaster(master);
        else if (!conf.contains("spark.master")) conf.setMaster("local[*]");
        return new JavaSparkContext(conf);
    }

    /**
     * The device a task computes on: "cuda:N" for the GPU Spark assigned it (spark.task.resource.gpu.amount
     * set on a cluster with GPUs), else the given default.
     */
    static String device(String otherwise) {
        TaskContext tc = TaskContext.get();
        if (tc == null) return otherwise;
        ResourceInformation gpu = tc.resourcesJMap().get("gpu");
        if (gpu == null || gpu.addresses().length == 0) return otherwise;
        return "cuda:" + gpu.addresses()[0];
    }

    /** Which attempt of its task this is (0 the first), or 0 outside Spark. */
    static int attempt() {
        TaskContext tc = TaskContext.get();
        return tc == null ? 0 : tc.attemptNumber();
    }

    /** The CPU threads a task may use: spark.task.cpus (default 1), so parallel tasks do not oversubscribe the cores; 0 outside Spark. */
    static int taskCpus() {
        return TaskContext.get() == null ? 0 : SparkEnv.get().conf().getInt("spark.task.cpus", 1);
    }
}
