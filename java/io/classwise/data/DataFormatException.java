package io.classwise.data;

import java.io.IOException;
import java.nio.file.Path;

/** A data file that is not what its format promises; the message names the file and what was expected. */
public final class DataFormatException extends IOException {
    public DataFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public DataFormatException(String source, String problem) {
        super(source + ": " + problem);
    }
}
