package dev.litecluster.cluster;

/** An expected API failure: the HTTP status and a one-line message for the caller. */
public final class ApiException extends Exception {
    private final int status;

    public ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
