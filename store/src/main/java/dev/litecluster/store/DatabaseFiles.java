package dev.litecluster.store;

import java.nio.file.Path;

/** Where one database's files live in the data directory (DESIGN.md §4). */
public record DatabaseFiles(String name, Path dir) {

    public Path database() {
        return dir.resolve("database");
    }

    public Path journal() {
        return dir.resolve("journal");
    }

    public Path wal() {
        return dir.resolve("wal");
    }

    public Path shm() {
        return dir.resolve("shm");
    }

    public Path log() {
        return dir.resolve("log");
    }

    /**
     * Where the filesystem keeps a super-journal that an app created through the mount under
     * {@code appPath} (SQLite records the app's path in the child journals): {@code <data>/superjournals/}.
     */
    public Path superJournal(String appPath) {
        return dir.getParent().getParent().resolve("superjournals").resolve(Path.of(appPath).getFileName());
    }

    /** Names the first TXID whose pages may not be durable in the database file ({@code ApplyMarker}). */
    public Path applying() {
        return dir.resolve("applying");
    }

    /** Set while an uncommitted transaction's pages are in the database file ({@code SpillMarker}). */
    public Path spilled() {
        return dir.resolve("spilled");
    }

    public Path state() {
        return log().resolve("state");
    }
}
