package dev.litecluster.cluster;

import dev.litecluster.ltx.Position;
import dev.litecluster.store.Database;

import java.io.IOException;
import java.nio.file.Path;

/** Makes a snapshot LTX file of a live database (on the primary, through the mount). */
@FunctionalInterface
public interface Snapshots {
    Position write(Database database, Path target) throws IOException;
}
