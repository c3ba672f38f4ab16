package dev.litecluster.fuse.passthrough;

import java.time.Duration;

/**
 * How long the kernel may cache what the passthrough tells it. Safe to raise while every change
 * goes through the mount; a filesystem that changes the backing directory itself must then
 * invalidate through the {@link dev.litecluster.fuse.Notifier}.
 *
 * @param entry    name → node bindings
 * @param attr     attributes
 * @param negative "no such file" answers (0 = never cached; each DELETE-mode SQLite read
 *                 transaction then looks up its -journal)
 */
public record CacheTimeouts(Duration entry, Duration attr, Duration negative) {
    public static CacheTimeouts defaults() {
        return new CacheTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1));
    }

    public static CacheTimeouts none() {
        return new CacheTimeouts(Duration.ZERO, Duration.ZERO, Duration.ZERO);
    }
}
