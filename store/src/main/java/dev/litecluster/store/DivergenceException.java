package dev.litecluster.store;

import java.io.IOException;

/** A replicated record does not fit this database's position: the replica needs a snapshot. */
public final class DivergenceException extends IOException {
    public DivergenceException(String message) {
        super(message);
    }
}
