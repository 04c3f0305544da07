package io.classwise.util;

/**
 * A test hook for crash safety: with {@code -Dclasswise.crashAt=E:N} the JVM halts (exit code
 * {@value #EXIT_CODE}, no shutdown hooks, like {@code kill -9}) right before the N-th file operation of
 * epoch E's commit. Every write, fsync, rename and delete of a commit calls {@link #step}, so a test can
 * walk N = 1, 2, … and check that {@code --resume} recovers from each point. Without the property
 * every call is a no-op.
 */
public final class CrashPoints {
    private CrashPoints() {}

    public static final int EXIT_CODE = 86;
    private static final String SPEC = System.getProperty("classwise.crashAt");
    private static int armedEpoch = -1, count;

    /** The file operations from here until {@link #endEpochCommit} belong to epoch {@code epoch}'s commit. */
    public static synchronized void beginEpochCommit(int epoch) {
        armedEpoch = epoch;
        count = 0;
    }

    /** Ends the window; "after the commit, before anything else" is itself a crash point. */
    public static synchronized void endEpochCommit() {
        step("commit done");
        armedEpoch = -1;
    }

    /** Called right before a file operation (described for the log line of the crash). */
    public static synchronized void step(String what) {
        if (SPEC == null || armedEpoch < 0) return;
        count++;
        if (SPEC.equals(armedEpoch + ":" + count)) {
            System.err.println("classwise.crashAt=" + SPEC + ": halting before " + what);
            System.err.flush();
            Runtime.getRuntime().halt(EXIT_CODE);
        }
    }
}
