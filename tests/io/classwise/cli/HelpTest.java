package io.classwise.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every flag of every command has a one-line description in --help, and a default it has is shown. */
class HelpTest {
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
