package dev.litecluster.fs;

import dev.litecluster.ltx.Checksums;
import dev.litecluster.ltx.LtxDecoder;
import dev.litecluster.ltx.LtxHeader;
import dev.litecluster.store.TxLog;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** The replay oracle: applies a database's log from empty and checks it against the database file. */
final class LogReplay {
    private LogReplay() {
    }

    /** Replays every record (which must chain pre → post checksums) and returns the database bytes. */
    static byte[] replay(Path logDir) throws IOException {
        byte[] db = new byte[0];
        long checksum = 0;
        try (TxLog log = TxLog.open(logDir)) {
            assertThat(log.firstTxid()).as("log starts with the first transaction").isEqualTo(1);
            for (long t = 1; t <= log.lastTxid(); t++) {
                LtxDecoder decoder = new LtxDecoder(log.read(t));
                LtxHeader header = decoder.header();
                assertThat(header.minTxid()).isEqualTo(t);
                assertThat(header.preApplyChecksum()).as("pre-apply checksum of txid %d", t).isEqualTo(checksum);
                int pageSize = header.pageSize();
                db = Arrays.copyOf(db, Math.multiplyExact(header.commit(), pageSize));
                byte[] page = new byte[pageSize];
                for (int p = decoder.nextPage(page); p != 0; p = decoder.nextPage(page)) {
                    System.arraycopy(page, 0, db, (p - 1) * pageSize, pageSize);
                }
                checksum = decoder.trailer().postApplyChecksum();
                assertThat(Checksums.database(db, pageSize)).as("post-apply checksum of txid %d", t).isEqualTo(checksum);
            }
        }
        return db;
    }
}
