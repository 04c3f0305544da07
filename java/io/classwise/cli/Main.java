package io.classwise.cli;

import io.classwise.util.CommittedState;
import picocli.CommandLine;

import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar engine.jar <command>}. Errors are one line with the fix and a non-zero exit code;
 * {@code --verbose} adds the stack trace.
 */
@Command(name = "engine.jar", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Classwise: adversarial training and class-wise robustness diagnosis.",
        subcommands = {DemoCommand.class, InfoCommand.class, DataCommand.class, TrainCommand.class, EvalCommand.class,
                AttackCommand.class, DiagnoseCommand.class, RemoveClassCommand.class, ReportCommand.class, ReproduceCommand.class, CompareCommand.class, ConvertCommand.class, PredictCommand.class, SweepCommand.class,
                BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @Option(names = "--verbose", description = "Print stack traces on errors.", scope = CommandLine.ScopeType.INHERIT)
    boolean verbose;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(System.out); }

    public static void main(String[] args) {
        int code;
        // SIGTERM / SIGINT run shutdown hooks: say what is committed and how to continue instead of a bare exit 143 / 130.
        AtomicBoolean finished = new AtomicBoolean();
        Thread onStop = new Thread(() -> {
            if (!finished.get()) {
                System.err.println(CommittedState.interruptedLine());
                System.err.flush();
            }
        }, "classwise-interrupted");
        Runtime.getRuntime().addShutdownHook(onStop);
        try {
            code = execute(args);
        } catch (OutOfMemoryError e) {
            // Picocli passes Errors through; this one has a plain cause and a plain fix.
            System.err.println("error: out of memory (" + e.getMessage()
                    + "); try a smaller --batch-size or --examples, or more memory (java -Xmx...)");
            code = 3;
        }
        finished.set(true);
        System.exit(code);
    }

    /**
     * Runs a command line and returns the exit code (for tests and embedding). With
     * {@code -Dclasswise.parseOnly=true} the line is only parsed and checked (flags, required options,
     * types), never run: scripts that ship command lines to other machines (benchmarks/gpu/check.sh
     * --dry-run) check them this way.
     */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        if (Boolean.getBoolean("classwise.parseOnly")) {
            try {
                cl.parseArgs(args);
                return 0;
            } catch (CommandLine.ParameterException e) {
                cl.getErr().println("error: " + e.getMessage());
                return 2;
            }
        }
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            boolean verbose = parsed.matchedOption("--verbose") != null
                    || parsed.subcommands().stream().anyMatch(p -> p.matchedOption("--verbose") != null);
            if (verbose) ex.printStackTrace(line.getErr());
            else line.getErr().println("error: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            return 2;
        });
        return cl.execute(args);
    }
}
