package dev.litecluster.fs;

import dev.litecluster.fuse.Attributes;
import dev.litecluster.fuse.DirectoryBuffer;
import dev.litecluster.fuse.Entry;
import dev.litecluster.fuse.FsStats;
import dev.litecluster.fuse.FuseFileSystem;
import dev.litecluster.fuse.OpenResult;
import dev.litecluster.fuse.Request;
import dev.litecluster.fuse.SetattrRequest;
import dev.litecluster.fuse.sys.Errno;
import dev.litecluster.fuse.sys.LibC;
import dev.litecluster.fuse.sys.Statx;
import dev.litecluster.store.Database;
import dev.litecluster.store.Store;
import dev.litecluster.store.TxLog;
import dev.litecluster.store.sqlite.DatabaseHeader;
import dev.litecluster.store.sqlite.WalFollower;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The SQLite-aware filesystem: a flat directory of databases and their side files, passed through
 * to the data directory. On the primary every write, truncate, unlink and fsync of a database's
 * files is reported to its {@link Database} so commits are captured inside the request that
 * completes them (DESIGN.md decision 4). On a replica the mount is read-only for every process but
 * this one (decision 8): apps get EROFS, except for the {@code -shm} that WAL readers write.
 * Locks are left to the kernel (decision 3).
 */
public final class LiteclusterFileSystem implements FuseFileSystem {
    private static final Logger LOG = LoggerFactory.getLogger(LiteclusterFileSystem.class);
    private static final long ROOT = 1;
    /**
     * How long the kernel may cache names and attributes of real files. Safe because every change
     * to them passes through this mount (apps, and on a replica our own apply); virtual files are
     * never cached, their content changes by itself.
     */
    private static final long CACHE_NANOS = 1_000_000_000L;
    /** File handle of an open position file: its content is produced on each read. */
    private static final long VIRTUAL_FH = Long.MAX_VALUE;

    private final Store store;
    private final ClusterView cluster;
    private final Path dbsDir;
    private final Map<String, Node> byName = new HashMap<>();
    private final Map<Long, Node> byId = new HashMap<>();
    private long nextId = ROOT + 1;
    private final ThreadLocal<Statx> statx = ThreadLocal.withInitial(Statx::new);
    private final ChangedDirectories changedDirectories = new ChangedDirectories();
    /** A super-journal exists: a transaction over several databases runs (their writes are not held). */
    private volatile boolean superJournalExists;
    private final Object superJournalLock = new Object();

    /** One file of the mount, known to the kernel by its nodeid until the kernel forgets it. */
    private static final class Node {
        final long id;
        final String name;
        final FileName file;
        final Path backing;
        long lookups;
        /** The database the file belongs to, once known. */
        volatile Database database;

        Node(long id, String name, FileName file, Path backing) {
            this.id = id;
            this.name = name;
            this.file = file;
            this.backing = backing;
        }
    }

    public LiteclusterFileSystem(Store store, ClusterView cluster) {
        this.store = store;
        this.cluster = cluster;
        this.dbsDir = store.dir().resolve("dbs");
        refreshSuperJournals();
    }

    // ---- names ----------------------------------------------------------------------------------

    private Path backing(String name, FileName file) {
        return switch (file.kind()) {
            case DATABASE -> dbsDir.resolve(file.database()).resolve("database");
            case JOURNAL -> dbsDir.resolve(file.database()).resolve("journal");
            case WAL -> dbsDir.resolve(file.database()).resolve("wal");
            case SHM -> dbsDir.resolve(file.database()).resolve("shm");
            case SUPER_JOURNAL -> store.superJournals().resolve(name);
            case POSITION, PRIMARY, LAG, INVALID -> null;
        };
    }

    private synchronized Node node(String name) {
        Node node = byName.get(name);
        if (node == null) {
            FileName file = FileName.parse(name);
            node = new Node(nextId++, name, file, backing(name, file));
            byName.put(name, node);
            byId.put(node.id, node);
        }
        return node;
    }

    private synchronized Node node(long id) {
        return byId.get(id);
    }

    /** The nodeid under which the kernel knows the file {@code name}, or 0 when it holds no inode (nothing cached). */
    synchronized long cachedNodeid(String name) {
        Node node = byName.get(name);
        return node == null || node.lookups <= 0 ? 0 : node.id;
    }

    private synchronized void forgetName(Node node) {
        byName.remove(node.name, node);
        if (node.lookups <= 0) {
            byId.remove(node.id);
        }
    }

    private Database database(Node node) {
        Database database = node.database;
        if (database == null && node.file.database() != null) {
            database = node.database = store.get(node.file.database());
        }
        return database;
    }

    /** After a super-journal was created or deleted (one at a time, so that the last answer stands). */
    private void refreshSuperJournals() {
        synchronized (superJournalLock) {
            try (Stream<Path> list = Files.list(store.superJournals())) {
                superJournalExists = list.findAny().isPresent();
            } catch (IOException e) {
                superJournalExists = true; // unknown: the safe answer, transactions then write their files as SQLite does
            }
        }
    }

    private static boolean exists(Database database) {
        return database != null && Files.exists(database.files().database());
    }

    /** The content of a read-only virtual file, or null when the file does not exist now. */
    private byte[] virtualContent(FileName file) {
        String text = switch (file.kind()) {
            case POSITION -> {
                Database database = store.get(file.database());
                yield exists(database) ? database.position() + "\n" : null;
            }
            case PRIMARY -> cluster.isPrimary() || cluster.primaryHostname() == null ? null : cluster.primaryHostname() + "\n";
            case LAG -> cluster.lagMillis() + "\n";
            default -> null;
        };
        return text == null ? null : text.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * A replica refuses changes from apps with EROFS (SQLite then says "attempt to write a
     * readonly database"); WAL readers may still write {@code -shm}, and this process (replica
     * apply) may do anything. FUSE gives the caller's thread id: ours are in /proc/self/task.
     */
    private boolean refusedOnReplica(Request req, FileName file) {
        return refusedOnReplica(req, file, cluster.isPrimary());
    }

    /** {@link #refusedOnReplica(Request, FileName)} with the role already asked (it reads the clock). */
    private static boolean refusedOnReplica(Request req, FileName file, boolean primary) {
        return !primary && file.kind() != FileName.Kind.SHM && !ownThread(req.pid());
    }

    /**
     * True when the lease ran out while a commit was being captured (this process was paused, or
     * could not renew): the commit is not acknowledged — the app gets EIO — because the next
     * primary may not have it (fencing, DESIGN.md decision 11). Asked after the commit reached the
     * files, as the last step before the reply, so that the database and the log agree either way
     * and the gap between this check and the app seeing success is as short as it can be.
     */
    private boolean fenced() {
        return !cluster.isPrimary();
    }

    private static boolean ownThread(int tid) {
        return tid > 0 && Files.exists(Path.of("/proc/self/task/" + tid));
    }

    // ---- attributes -----------------------------------------------------------------------------

    private int fill(Node node, long fh, Attributes attr) {
        if (node.file.backingless()) {
            byte[] content = virtualContent(node.file);
            if (content == null) {
                return -Errno.ENOENT;
            }
            attr.clear();
            attr.ino = node.id | (1L << 62);
            attr.mode = LibC.S_IFREG | 0444;
            attr.nlink = 1;
            attr.size = content.length;
            long now = System.currentTimeMillis();
            attr.mtimeSec = attr.ctimeSec = attr.atimeSec = now / 1000;
            return 0;
        }
        FileName.Kind kind = node.file.kind();
        Database database = kind == FileName.Kind.DATABASE || kind == FileName.Kind.WAL ? database(node) : null;
        boolean wal = kind == FileName.Kind.WAL;
        long heldChanges = database == null ? 0 : wal ? database.heldWalChanges() : database.heldChanges();
        Statx st = statx.get();
        int r = fh >= 0 && fh != VIRTUAL_FH && fh != NO_FH ? LibC.fstatx((int) fh, st) : LibC.statx(node.backing.toString(), st);
        if (r < 0) {
            return r;
        }
        attr.set(st);
        attr.timeoutNanos = CACHE_NANOS;
        if (database != null && wal) {
            long held = database.walSize();
            if (held >= 0) {
                attr.size = held;
            } else if (database.heldWalChanges() != heldChanges) {
                return fill(node, fh, attr); // it stopped being held during the statx: its file holds it now
            }
        } else if (database != null && (database.holding() || database.heldChanges() != heldChanges)) {
            // The file is not (or was not, during the statx) what the app wrote: a size smaller than
            // the kernel's would make it drop the pages past it.
            try {
                attr.size = database.databaseSize();
            } catch (IOException e) {
                return failure("getattr " + node.name, e);
            }
        }
        return 0;
    }

    /** Fills a directory entry; the kernel now holds one more lookup of the node. */
    private int entry(Node node, Entry entry) {
        int r = fill(node, NO_FH, entry.attributes);
        if (r == 0) {
            entry.nodeid = node.id;
            entry.generation = 1;
            entry.entryTimeoutNanos = node.file.backingless() ? 0 : CACHE_NANOS;
            synchronized (this) {
                node.lookups++;
            }
        }
        return r;
    }

    @Override
    public int lookup(Request req, long parent, String name, Entry entry) {
        if (parent != ROOT) {
            return -Errno.ENOENT;
        }
        FileName file = FileName.parse(name);
        if (file.kind() == FileName.Kind.INVALID) {
            return -Errno.ENOENT;
        }
        if (file.backingless()) {
            return virtualContent(file) == null ? -Errno.ENOENT : entry(node(name), entry);
        }
        if (!Files.exists(backing(name, file))) {
            entry.nodeid = 0; // a negative entry the kernel may cache: hot-journal checks ask often
            entry.entryTimeoutNanos = CACHE_NANOS;
            return 0;
        }
        return entry(node(name), entry);
    }

    @Override
    public int getattr(Request req, long nodeid, long fh, Attributes attr) {
        if (nodeid == ROOT) {
            Statx st = statx.get();
            int r = LibC.statx(dbsDir.toString(), st);
            if (r == 0) {
                attr.set(st);
                attr.ino = ROOT;
                attr.timeoutNanos = CACHE_NANOS; // uncached, every path walk (each hot-journal check) would ask
            }
            return r;
        }
        Node node = node(nodeid);
        return node == null ? -Errno.ENOENT : fill(node, fh, attr);
    }

    @Override
    public int setattr(Request req, long nodeid, SetattrRequest changes, Attributes attr) {
        Node node = node(nodeid);
        if (node == null || node.backing == null) {
            return node == null ? -Errno.ENOENT : -Errno.EACCES;
        }
        if (refusedOnReplica(req, node.file)) {
            return -Errno.EROFS;
        }
        try {
            if (changes.hasSize()) {
                int r = truncate(node, changes);
                if (r < 0) {
                    return r;
                }
            }
            if (changes.hasMode()) {
                Files.setPosixFilePermissions(node.backing, PosixFilePermissions.fromString(permissions(changes.mode())));
            }
            if (changes.hasMtime()) {
                FileTime time = changes.mtimeNow() ? FileTime.fromMillis(System.currentTimeMillis())
                        : FileTime.from(changes.mtimeSec() * 1_000_000_000L + changes.mtimeNsec(), TimeUnit.NANOSECONDS);
                Files.setLastModifiedTime(node.backing, time);
            }
        } catch (IOException e) {
            return failure("setattr " + node.name, e);
        }
        return fill(node, changes.hasFh() ? changes.fh() : NO_FH, attr);
    }

    private int truncate(Node node, SetattrRequest changes) throws IOException {
        Database database = cluster.isPrimary() ? database(node) : null;
        long size = changes.size();
        if (database != null && node.file.kind() == FileName.Kind.DATABASE && database.holdDatabaseResize(size)) {
            return 0;
        }
        boolean commit = database != null && node.file.kind() == FileName.Kind.JOURNAL && size == 0;
        if (commit) {
            database.journalFinalized(); // TRUNCATE mode's commit point: capture before it completes
        }
        int r = changes.hasFh() ? LibC.ftruncate((int) changes.fh(), size) : LibC.truncate(node.backing.toString(), size);
        if (r == 0 && database != null && node.file.kind() == FileName.Kind.WAL) {
            database.walTruncated(size);
        }
        return commit && fenced() ? -Errno.EIO : r;
    }

    private static String permissions(int mode) {
        String all = "rwxrwxrwx";
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 9; i++) {
            s.append((mode & (1 << (8 - i))) != 0 ? all.charAt(i) : '-');
        }
        return s.toString();
    }

    // ---- open, create, read, write --------------------------------------------------------------

    @Override
    public int open(Request req, long nodeid, int flags, OpenResult result) {
        Node node = node(nodeid);
        if (node == null) {
            return -Errno.ENOENT;
        }
        boolean writing = (flags & LibC.O_ACCMODE) != LibC.O_RDONLY || (flags & LibC.O_TRUNC) != 0;
        if (node.file.backingless()) {
            if (writing) {
                return -Errno.EACCES;
            }
            result.fh = VIRTUAL_FH;
            result.directIo = true;
            return 0;
        }
        if (writing && refusedOnReplica(req, node.file)) {
            return -Errno.EROFS;
        }
        return openBacking(node, flags & ~(LibC.O_CREAT | LibC.O_EXCL), 0, result);
    }

    private int openBacking(Node node, int flags, int mode, OpenResult result) {
        // The database whose WAL this open truncates (on the primary), else null.
        Database truncatesWal = (flags & LibC.O_TRUNC) != 0 && node.file.kind() == FileName.Kind.WAL
                && cluster.isPrimary() ? database(node) : null;
        int fd = LibC.open(node.backing.toString(), flags | LibC.O_CLOEXEC, mode);
        if (fd < 0) {
            return fd;
        }
        result.fh = fd;
        result.keepCache = true;
        // Journal and WAL bypass the page cache: each write reaches us at once (measured faster too).
        result.directIo = node.file.kind() == FileName.Kind.JOURNAL || node.file.kind() == FileName.Kind.WAL;
        if (truncatesWal != null) {
            try {
                truncatesWal.walTruncated(0); // the WAL follower keeps bytes of the file: they are gone
            } catch (IOException e) {
                LibC.close(fd);
                return failure("open " + node.name, e);
            }
        }
        return 0;
    }

    @Override
    public int create(Request req, long parent, String name, int mode, int flags, Entry entry, OpenResult result) {
        FileName file = FileName.parse(name);
        if (parent != ROOT || file.kind() == FileName.Kind.INVALID) {
            LOG.warn("refused to create '{}': the mount holds only SQLite databases and their side files", name);
            return -Errno.EACCES;
        }
        if (file.backingless()) {
            return -Errno.EACCES;
        }
        if (refusedOnReplica(req, file)) {
            return -Errno.EROFS;
        }
        try {
            if (file.database() != null && store.get(file.database()) == null) {
                store.open(file.database());
                changedDirectories.add(dbsDir);
            }
        } catch (IOException e) {
            return failure("create " + name, e);
        }
        Node node = node(name);
        int r = openBacking(node, flags | LibC.O_CREAT, mode, result);
        if (r < 0) {
            return r;
        }
        if (file.kind() == FileName.Kind.SUPER_JOURNAL) {
            refreshSuperJournals();
            try {
                for (Database database : store.databases()) {
                    database.superJournalCreated();
                }
            } catch (IOException e) {
                LibC.close((int) result.fh);
                return failure("create " + name, e);
            }
        }
        if (file.kind() != FileName.Kind.JOURNAL) {
            // A journal's name need not survive a power loss: see Database.deferSync.
            changedDirectories.add(node.backing.getParent());
        }
        r = entry(node, entry);
        if (r < 0) {
            LibC.close((int) result.fh);
        }
        return r;
    }

    @Override
    public int read(Request req, long nodeid, long fh, long offset, int size, MemorySegment dst) {
        if (fh == VIRTUAL_FH) {
            Node node = node(nodeid);
            byte[] text = node == null ? null : virtualContent(node.file);
            if (text == null) {
                return -Errno.ENOENT;
            }
            int n = (int) Math.max(0, Math.min(size, text.length - offset));
            MemorySegment.copy(text, (int) Math.min(offset, text.length), dst, ValueLayout.JAVA_BYTE, 0, n);
            return n;
        }
        Node node = node(nodeid);
        FileName.Kind kind = node == null ? null : node.file.kind();
        Database database = kind == FileName.Kind.DATABASE || kind == FileName.Kind.WAL ? database(node) : null;
        if (database != null && kind == FileName.Kind.DATABASE && database.holding()) {
            try {
                return database.readDatabase(offset, dst, size);
            } catch (IOException e) {
                return failure("read " + node.name, e);
            }
        }
        int held = database != null && kind == FileName.Kind.WAL ? database.readWal(offset, dst, size) : -1;
        return held >= 0 ? held : (int) LibC.pread((int) fh, dst, size, offset);
    }

    @Override
    public int write(Request req, long nodeid, long fh, long offset, MemorySegment data, int writeFlags) {
        Node node = node(nodeid);
        if (node == null) {
            return -Errno.ENOENT;
        }
        boolean primary = cluster.isPrimary();
        if (refusedOnReplica(req, node.file, primary)) {
            return -Errno.EROFS;
        }
        Database database = primary ? database(node) : null;
        if (database == null) {
            return (int) LibC.pwrite((int) fh, data, data.byteSize(), offset); // replica apply, super-journals
        }
        try {
            switch (node.file.kind()) {
                case DATABASE -> {
                    if (offset == 0 && database.position().txid() == 0 && !startsLikeSqlite(data)) {
                        LOG.warn("refused a write to '{}': it is not a SQLite database (the mount holds only databases)", node.name);
                        return -Errno.EINVAL;
                    }
                    if (database.holdDatabaseWrite(offset, data, superJournalExists)) {
                        return (int) data.byteSize();
                    }
                    int n = (int) LibC.pwrite((int) fh, data, data.byteSize(), offset);
                    if (n > 0) {
                        database.databaseWritten(offset, n);
                    }
                    return n;
                }
                case JOURNAL -> {
                    boolean commit = offset == 0 && zeroHeader(data);
                    if (commit) {
                        database.journalFinalized(); // PERSIST mode's commit point
                    } else {
                        database.journalWritten();
                    }
                    int n = (int) LibC.pwrite((int) fh, data, data.byteSize(), offset);
                    return commit && fenced() ? -Errno.EIO : n;
                }
                case WAL -> {
                    int n = database.holdWalWrite(offset, data) ? (int) data.byteSize()
                            : (int) LibC.pwrite((int) fh, data, data.byteSize(), offset);
                    boolean commit = n > 0 && database.walWritten(offset, data.asSlice(0, n));
                    return commit && fenced() ? -Errno.EIO : n;
                }
                default -> {
                    return (int) LibC.pwrite((int) fh, data, data.byteSize(), offset);
                }
            }
        } catch (IOException e) {
            return failure("write " + node.name, e);
        }
    }

    private static boolean startsLikeSqlite(MemorySegment data) {
        byte[] head = new byte[(int) Math.min(DatabaseHeader.SIZE, data.byteSize())];
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, 0, head, 0, head.length);
        return DatabaseHeader.hasMagic(head);
    }

    /** PERSIST mode finalizes a journal by zeroing its 28-byte header. */
    private static boolean zeroHeader(MemorySegment data) {
        if (data.byteSize() < 28) {
            return false;
        }
        for (int i = 0; i < 28; i++) {
            if (data.get(ValueLayout.JAVA_BYTE, i) != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int release(Request req, long nodeid, long fh, int flags) {
        return fh == VIRTUAL_FH ? 0 : LibC.close((int) fh);
    }

    @Override
    public int fsync(Request req, long nodeid, long fh, boolean dataOnly) {
        Node node = node(nodeid);
        Database database = node == null || !cluster.isPrimary() ? null : database(node);
        boolean journalOrDatabase = node != null
                && (node.file.kind() == FileName.Kind.JOURNAL || node.file.kind() == FileName.Kind.DATABASE);
        if (database != null && journalOrDatabase && database.deferSync()) {
            return 0; // a held transaction: its commit syncs the log
        }
        TxLog.PendingSync logSync = database == null ? null : database.appSyncing();
        int r = fh == VIRTUAL_FH ? 0 : LibC.fsync((int) fh, dataOnly);
        try {
            if (logSync != null) {
                logSync.await(); // the log is durable before the app's fsync returns, as the app's file is
            }
        } catch (IOException e) {
            return failure("fsync of the log for " + node.name, e);
        }
        return r;
    }

    @Override
    public int fsyncdir(Request req, long nodeid, long fh, boolean dataOnly) {
        return changedDirectories.sync(dataOnly);
    }

    // ---- directory operations -------------------------------------------------------------------

    @Override
    public int unlink(Request req, long parent, String name) {
        FileName file = FileName.parse(name);
        if (parent != ROOT || file.kind() == FileName.Kind.INVALID) {
            return -Errno.ENOENT;
        }
        if (file.kind() == FileName.Kind.DATABASE || file.backingless()) {
            LOG.warn("refused to delete '{}': databases are not deleted through the mount", name);
            return -Errno.EPERM;
        }
        if (refusedOnReplica(req, file)) {
            return -Errno.EROFS;
        }
        Node node = node(name);
        Database database = cluster.isPrimary() ? database(node) : null;
        try {
            boolean commit = database != null && file.kind() == FileName.Kind.JOURNAL;
            if (commit) {
                database.journalFinalized(); // DELETE mode's commit point: capture before the unlink completes
            }
            Files.delete(node.backing);
            if (file.kind() == FileName.Kind.SUPER_JOURNAL) {
                refreshSuperJournals();
            }
            if (file.kind() != FileName.Kind.JOURNAL) {
                changedDirectories.add(node.backing.getParent());
            }
            forgetName(node);
            if (database != null && file.kind() == FileName.Kind.WAL) {
                database.walRemoved();
            }
            return commit && fenced() ? -Errno.EIO : 0;
        } catch (NoSuchFileException e) {
            return -Errno.ENOENT;
        } catch (IOException e) {
            return failure("unlink " + name, e);
        }
    }

    @Override
    public int rename(Request req, long parent, String name, long newParent, String newName, int flags) {
        return -Errno.EPERM;
    }

    @Override
    public int mkdir(Request req, long parent, String name, int mode, Entry entry) {
        return -Errno.EPERM;
    }

    @Override
    public int rmdir(Request req, long parent, String name) {
        return -Errno.EPERM;
    }

    @Override
    public int opendir(Request req, long nodeid, int flags, OpenResult result) {
        return nodeid == ROOT ? 0 : -Errno.ENOTDIR;
    }

    @Override
    public int readdir(Request req, long nodeid, long fh, long offset, DirectoryBuffer buffer) {
        List<String> names = listNames();
        for (int i = (int) offset; i < names.size(); i++) {
            Node node = node(names.get(i));
            boolean added;
            if (buffer.isPlus()) {
                Entry entry = new Entry();
                if (entry(node, entry) < 0) {
                    continue;
                }
                added = buffer.addPlus(node.name, entry, i + 1);
                if (!added) {
                    forget(node.id, 1); // the kernel never saw this entry
                }
            } else {
                added = buffer.add(node.name, node.id, LibC.S_IFREG, i + 1);
            }
            if (!added) {
                break;
            }
        }
        return 0;
    }

    private List<String> listNames() {
        List<String> names = new ArrayList<>();
        for (Database database : store.databases()) {
            String db = database.name();
            if (!Files.exists(database.files().database())) {
                continue;
            }
            names.add(db);
            if (Files.exists(database.files().journal())) {
                names.add(db + "-journal");
            }
            if (Files.exists(database.files().wal())) {
                names.add(db + "-wal");
            }
            if (Files.exists(database.files().shm())) {
                names.add(db + "-shm");
            }
            names.add(db + "-pos");
        }
        for (String cluster : List.of(".primary", ".lag")) {
            if (virtualContent(FileName.parse(cluster)) != null) {
                names.add(cluster);
            }
        }
        try (Stream<Path> list = Files.list(store.superJournals())) {
            list.map(p -> p.getFileName().toString()).sorted().forEach(names::add);
        } catch (IOException e) {
            LOG.warn("cannot list super-journals: {}", e.getMessage());
        }
        return names;
    }

    @Override
    public int statfs(Request req, long nodeid, FsStats stats) {
        return stats.load(dbsDir.toString());
    }

    @Override
    public int access(Request req, long nodeid, int mask) {
        return 0;
    }

    @Override
    public synchronized void forget(long nodeid, long count) {
        Node node = byId.get(nodeid);
        if (node != null && (node.lookups -= count) <= 0 && byName.get(node.name) != node) {
            byId.remove(nodeid); // unlinked and forgotten: a journal of a finished transaction
        }
    }

    private static int failure(String what, IOException e) {
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        LOG.error("{} failed: {}", what, reason);
        return reason.contains("No space left") ? -Errno.ENOSPC : -Errno.EIO;
    }
}
