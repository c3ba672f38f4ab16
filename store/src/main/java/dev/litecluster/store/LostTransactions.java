package dev.litecluster.store;

import dev.litecluster.ltx.LtxDecoder;
import dev.litecluster.ltx.LtxHeader;
import dev.litecluster.ltx.LtxMerger;
import dev.litecluster.ltx.PageCompression;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * Transactions a node is about to lose — it diverged from the primary (an old primary rejoining
 * with commits the new one never had) and a snapshot will replace its copy — kept for the operator
 * as one merged LTX file, {@code <data>/lost/<db>/<utc time>.ltx}, instead of being dropped
 * silently (LiteFS drops them, its issue #282). {@code litecluster ltx dump} reads the file.
 */
public final class LostTransactions {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

    private LostTransactions() {
    }

    /** The oldest TXID in this database's log that node {@code nodeId} wrote itself, or {@link Long#MAX_VALUE}. */
    public static long firstOwnTxid(Database database, long nodeId) throws IOException {
        TxLog log = database.log();
        for (long txid = log.firstTxid(); txid <= log.lastTxid(); txid++) {
            if (log.contains(txid) && header(log, txid).nodeId() == nodeId) {
                return txid;
            }
        }
        return Long.MAX_VALUE;
    }

    private static LtxHeader header(TxLog log, long txid) throws IOException {
        try (InputStream in = log.read(txid)) {
            return new LtxDecoder(in).header();
        }
    }

    /**
     * Writes the log's records from {@code firstTxid} to the database's position, merged, to a new
     * file under {@code lostRoot}; returns it, or null when the log holds none of them.
     */
    public static Path save(Database database, long firstTxid, Path lostRoot) throws IOException {
        TxLog log = database.log();
        List<InputStream> records = new ArrayList<>();
        Path dir = Files.createDirectories(lostRoot.resolve(database.name()));
        Path file = dir.resolve(TIME.format(Instant.now()) + ".ltx");
        Path temp = dir.resolve(file.getFileName() + ".tmp");
        try {
            for (long txid = Math.max(firstTxid, log.firstTxid()); txid <= database.position().txid(); txid++) {
                if (log.contains(txid)) {
                    records.add(log.read(txid));
                }
            }
            if (records.isEmpty()) {
                return null;
            }
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16)) {
                LtxMerger.merge(records, out, PageCompression.LZ4);
            }
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } finally {
            for (InputStream record : records) {
                record.close();
            }
            Files.deleteIfExists(temp);
        }
    }
}
