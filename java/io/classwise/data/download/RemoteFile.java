package io.classwise.data.download;

import java.util.List;

/** A file of an official dataset release: its name, mirrors (tried in order) and MD5 checksum. */
public record RemoteFile(String fileName, List<String> urls, String md5) {
    public RemoteFile {
        if (urls.isEmpty()) throw new IllegalArgumentException("no URL for " + fileName);
        if (!md5.matches("[0-9a-f]{32}")) throw new IllegalArgumentException("bad MD5 for " + fileName + ": " + md5);
    }
}
