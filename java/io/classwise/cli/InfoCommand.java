package io.classwise.cli;

import io.classwise.api.ImportModel;
import io.classwise.tensor.Backends;
import io.classwise.tensor.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** What this build and machine offer: version, Java, backends (with reasons), BLAS, threads, CUDA. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Print version, Java, backends, BLAS and CUDA status; with --arch, the names and shapes an architecture expects.")
final class InfoCommand implements Callable<Integer> {
    @Option(names = "--arch", description = "Instead: list the parameter and buffer names and shapes this architecture expects (with --dataset).")
    String arch;
    @Option(names = "--dataset", defaultValue = "cifar10", description = "With --arch: the dataset giving input shape and classes (default: "
            + "${DEFAULT-VALUE}).") String dataset;

    @Override
    public Integer call() {
        if (arch != null) {
            try (Backend b = Backends.create("reference", 0)) {
                System.out.println(arch + " for " + dataset + " expects (PyTorch state_dict names):");
                for (String line : ImportModel.expectedNames(b, arch, dataset)) System.out.println("  " + line);
            }
            return 0;
        }
        System.out.println("Classwise " + Version.get());
        System.out.println("Java:       " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ", "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ")");
        System.out.println("Cores:      " + Runtime.getRuntime().availableProcessors());
        Backends.Description d = Backends.describe();
        String label = "Backends:   ";
        for (Backends.Choice c : d.choices()) {
            System.out.println(label + c.device() + (c.available() ? " (" + c.detail() + ")" : ": unavailable: "
                    + c.unavailabilityCause()));
            label = "            ";
        }
        for (String note : d.notes()) System.out.println(note);
        System.out.println("Default:    --device auto → " + d.autoDevice() + (d.autoSkipped().isEmpty() ? "" : " (passed over: "
                + String.join("; ", d.autoSkipped()) + ")"));
        return 0;
    }
}
