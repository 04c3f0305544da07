package io.classwise.spark;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The Spark entry point of engine.jar, for many runs on a cluster:
 * <pre>
 * spark-submit --class io.classwise.spark.SparkMain engine.jar sweep SPEC.yaml
 * spark-submit --class io.classwise.spark.SparkMain engine.jar evaluate --checkpoint CKPT --shards 16 ...
 * </pre>
 * Spark itself comes from the cluster (it is a provided dependency); without a master from spark-submit the
 * jobs run in local mode on this machine.
 */
@Command(name = "classwise-spark", mixinStandardHelpOptions = true, subcommands = {SweepJob.class, EvaluateJob.class},
        description = "Classwise on Apache Spark: a sweep of training runs, or one checkpoint's evaluation sharded across tasks.")
public final class SparkMain implements Runnable {
    public static void main(String[] args) { System.exit(execute(args)); }

    /** Runs a command line and returns its exit code (what tests call). */
    public static int execute(String... args) {
        return new CommandLine(new SparkMain()).setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("error: " + e.getMessage());
            return 1;
        }).execute(args);
    }

    @Override
    public void run() { new CommandLine(this).usage(System.out); }
}
