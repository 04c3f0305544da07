package io.classwise.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.classwise.analysis.ClassCounts;
import io.classwise.api.CheckpointAttack;
import io.classwise.tensor.Backend;
import io.classwise.tensor.Backends;
import org.apache.spark.SparkFiles;

import java.nio.file.Path;

/** One shard of a distributed evaluation inside a Spark task: its counts as JSON. */
final class EvaluateTask {
    private EvaluateTask() {}

    static String run(String requestJson, String checkpointName, int from, int to) throws Exception {
        ObjectMapper json = new ObjectMapper();
        CheckpointAttack.Request r = json.readValue(requestJson, CheckpointAttack.Request.class)
                .withCheckpoint(Path.of(SparkFiles.get(checkpointName)));
        int cpus = SparkJobs.taskCpus();
        try (Backend b = Backends.create(SparkJobs.device("auto"), Math.max(cpus, 0))) {
            CheckpointAttack.Result res = CheckpointAttack.run(r, b, new CheckpointAttack.Shard(from, to));
            return json.writeValueAsString(ClassCounts.of(res.predictions()));
        }
    }
}
