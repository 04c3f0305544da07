package io.classwise.cli;

import io.classwise.tensor.Backends;
import io.classwise.tensor.cpu.Blas;
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
        String cpuWhy = Backends.cpuUnavailabilityCause();
        System.out.println("Backends:   reference (plain Java, always available)");
        if (cpuWhy == null) {
            System.out.println("            cpu (OpenBLAS sgemm + " + io.classwise.tensor.cpu.CpuBackend.kernelDescription() + ", " + Runtime.getRuntime().availableProcessors() + " threads)");
            System.out.println("BLAS:       " + Blas.description() + ", BLAS threads " + Blas.threads()
                    + " (Classwise parallelises over the batch and runs BLAS single-threaded)");
            System.out.println("BLAS cores: " + Blas.coreTypeNote());
        } else {
            System.out.println("            cpu: unavailable: " + cpuWhy);
        }
        String cudaWhy = Backends.cudaUnavailabilityCause();
        System.out.println("CUDA:       " + (cudaWhy == null ? "usable with --device cuda (backend not yet verified on a GPU)" : "not usable: " + cudaWhy));
        System.out.println("Default:    --device auto → " + (cpuWhy == null ? "cpu" : "reference"));
        return 0;
    }
}
