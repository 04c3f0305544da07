package io.classwise.cli;

import io.classwise.api.RunClassRemoval;
import io.classwise.tensor.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

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
    @Mixin DataDirOption data = new DataDirOption();
    @Option(names = "--seed", defaultValue = "0", description = "Seed of subsets, retraining and attack starts (default: ${DEFAULT-VALUE}).") long seed;
    @Mixin BackendOptions backend;

    @Override
    public Integer call() throws Exception {
        try (Backend b = backend.create()) {
            Path results = RunClassRemoval.run(new RunClassRemoval.Request(runDir, source, remove, control, examples, reachable,
                    data.dataDir, seed), b, System.out);
            System.out.println("results: " + results);
        }
        return 0;
    }
}
