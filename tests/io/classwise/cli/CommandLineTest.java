package io.classwise.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Tests that run commands through Main.execute and read what they print (System.out and System.err captured per test). */
abstract class CommandLineTest {
    protected final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    private PrintStream oldOut, oldErr;

    @BeforeEach
    void capture() {
        oldOut = System.out; oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() { System.setOut(oldOut); System.setErr(oldErr); }

    protected String stdout() { return out.toString(StandardCharsets.UTF_8); }

    protected String stderr() { return err.toString(StandardCharsets.UTF_8); }
}
