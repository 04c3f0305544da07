package io.classwise.nn.checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file that cannot be read as what it claims to be; the message names the file and the key or offset. */
public final class SafetensorsFormatException extends IOException {
    public SafetensorsFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }
}
