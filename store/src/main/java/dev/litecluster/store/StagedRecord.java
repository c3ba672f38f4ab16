package dev.litecluster.store;

import java.io.IOException;
import java.io.InputStream;

/**
 * An LTX record (or snapshot) received from the primary and kept until it is applied; a replica
 * reads it several times: to verify it, to append it to its own log, and to write its pages.
 */
@FunctionalInterface
public interface StagedRecord {

    /** A new stream over the whole record. */
    InputStream open() throws IOException;
}
