package io.classwise.data;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where datasets live: {@code --data-dir} if given, else $CLASSWISE_DATA, else
 * $XDG_CACHE_HOME/classwise/datasets, else ~/.cache/classwise/datasets. Each dataset has its own
 * subfolder named as on the command line (cifar10/, svhn/, ...).
 */
public final class DataDirs {
    private DataDirs() {}

    public static final String ENV = "CLASSWISE_DATA";

    public static Path resolve(String flag) { return resolve(flag, System.getenv()); }

    static Path resolve(String flag, Map<String, String> env) {
        if (flag != null && !flag.isBlank()) return Path.of(flag);
        String e = env.get(ENV);
        if (e != null && !e.isBlank()) return Path.of(e);
        String xdg = env.get("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return cache.resolve("classwise").resolve("datasets");
    }
}
