package io.classwise.cli;

import io.classwise.tensor.Backends;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** What this build and machine offer: version, Java, backends (with reasons), BLAS, threads, CUDA. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Print version, Java, backends, BLAS and CUDA status.")
final class InfoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
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
