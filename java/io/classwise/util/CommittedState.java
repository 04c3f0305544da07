package io.classwise.util;

/**
 * What the running command has committed so far, in one line, for the moment it is stopped from outside
 * (SIGTERM, SIGINT): the engine's main registers a shutdown hook that prints {@link #interruptedLine()} unless
 * the command finished. Training updates it after each committed epoch, diagnose when it starts and when its
 * diagnosis is swapped in; a library caller that never installs the hook is not affected.
 */
public final class CommittedState {
    private CommittedState() {}

    private static volatile String line;

    /** Replaces the description of what is committed and how to continue ("epoch 3 of 10 of RUN committed; continue with ..."). */
    public static void set(String description) { line = description; }

    /** Clears it (the activity ended normally). */
    public static void clear() { line = null; }

    /** The line printed when the process is stopped: what is committed and how to continue, or a general one. */
    public static String interruptedLine() {
        String l = line;
        return "interrupted: " + (l != null ? l : "nothing was being committed; files Classwise writes are replaced whole or not at all");
    }
}
