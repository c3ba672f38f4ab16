package dev.litecluster.cli.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations written the way litefs.yml writes them (Go syntax): {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h30m}. */
public final class GoDuration {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");
    private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h))+");

    private GoDuration() {
    }

    public static Duration parse(String key, String text) throws ConfigException {
        String value = text == null ? "" : text.strip();
        if (!WHOLE.matcher(value).matches()) {
            throw new ConfigException("'" + key + "': '" + text + "' is not a duration (like 30s, 10m, 1h)");
        }
        Duration total = Duration.ZERO;
        Matcher m = PART.matcher(value);
        while (m.find()) {
            long unitMillis = switch (m.group(2)) {
                case "ms" -> 1;
                case "s" -> 1_000;
                case "m" -> 60_000;
                default -> 3_600_000;
            };
            total = total.plusMillis(Math.round(Double.parseDouble(m.group(1)) * unitMillis));
        }
        return total;
    }
}
