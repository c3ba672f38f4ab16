package dev.litecluster.fs;

import dev.litecluster.fuse.Attributes;
import dev.litecluster.fuse.Entry;
import dev.litecluster.fuse.FuseFileSystem;
import dev.litecluster.fuse.Request;
import dev.litecluster.store.Store;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel may cache what describes real files and the mount's root: with default_permissions
 * every path walk checks the root's attributes, so an uncached root costs a GETATTR round trip per
 * open or hot-journal check (that made DELETE-mode point reads 4x slower than a passthrough mount).
 */
class AttributeCachingTest {
    private static final long ROOT = 1;

    @TempDir
    Path dir;

    @Test
    void rootAttributesAreCacheable() throws Exception {
        try (Store store = Store.open(dir)) {
            Attributes attr = new Attributes();
            assertEquals(0, new LiteclusterFileSystem(store, ClusterView.PRIMARY).getattr(new Request(), ROOT, FuseFileSystem.NO_FH, attr));
            assertEquals(ROOT, attr.ino);
            assertTrue(attr.timeoutNanos > 0, "root attributes must carry a cache timeout");
        }
    }

    @Test
    void databaseAndMissingJournalAreCacheable() throws Exception {
        try (Store store = Store.open(dir)) {
            store.open("app.db");
            LiteclusterFileSystem fs = new LiteclusterFileSystem(store, ClusterView.PRIMARY);
            Entry db = new Entry();
            assertEquals(0, fs.lookup(new Request(), ROOT, "app.db", db));
            assertTrue(db.nodeid != 0 && db.entryTimeoutNanos > 0 && db.attributes.timeoutNanos > 0);
            Entry journal = new Entry();
            assertEquals(0, fs.lookup(new Request(), ROOT, "app.db-journal", journal));
            assertTrue(journal.nodeid == 0 && journal.entryTimeoutNanos > 0, "a missing journal is a cacheable negative entry");
        }
    }
}
