package dev.litecluster.ltx;

import java.io.IOException;

/** An LTX file (or a request to write one) violates the format; the message names the problem in one line. */
public class LtxException extends IOException {
    public LtxException(String message) {
        super(message);
    }

    public LtxException(String message, Throwable cause) {
        super(message, cause);
    }
}
