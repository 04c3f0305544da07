package io.classwise.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every flag of every command has a one-line description in --help, and a default it has is shown; picocli warns of nothing. */
class HelpTest extends CommandLineTest {
    /** A '%' in a description that is not a format (e.g. "5 % of the epochs") makes picocli print a warning on every --help and usage error. */
    @Test
    void noCommandMakesPicocliWarn() {
        List<String> commands = new ArrayList<>();
        commands.add("");
        commands.addAll(new CommandLine(new Main()).getSubcommands().keySet());
        for (String c : commands) {
            String[] help = c.isEmpty() ? new String[] {"--help"} : new String[] {c, "--help"};
            String[] wrong = c.isEmpty() ? new String[] {"--no-such-flag"} : new String[] {c, "--no-such-flag"};
            Main.execute(help);
            Main.execute(wrong);
        }
        String all = stdout() + stderr();
        assertFalse(all.contains("picocli WARN"), all.lines().filter(l -> l.contains("picocli WARN")).findFirst().orElse(""));
        assertTrue(stdout().contains("Usage: engine.jar train"), "the help was rendered");
    }

    @Test
    void everyOptionIsDescribedWithItsDefault() {
        List<String> missing = new ArrayList<>();
        check(new CommandLine(new Main()), missing);
        assertEquals(List.of(), missing, "options without a description, or with a default the description does not show");
    }

    private static void check(CommandLine cl, List<String> missing) {
        for (OptionSpec o : cl.getCommandSpec().options()) {
            if (o.usageHelp() || o.versionHelp()) continue;
            String d = String.join(" ", o.description()).trim();
            String where = cl.getCommandName() + " " + o.longestName();
            if (d.isEmpty()) missing.add(where);
            else if (o.defaultValue() != null && !o.type().equals(boolean.class) && !d.contains("${DEFAULT-VALUE}")
                    && !d.toLowerCase().contains("default")) {
                missing.add(where + " (default " + o.defaultValue() + " not shown)");
            }
        }
        for (CommandLine sub : cl.getSubcommands().values()) check(sub, missing);
    }
}
