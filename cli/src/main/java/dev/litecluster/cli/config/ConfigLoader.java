package dev.litecluster.cli.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Reads a config file strictly: environment variables expanded, unknown keys and bad values refused. */
public final class ConfigLoader {
    private static final String OPERAND = "([A-Za-z_][A-Za-z0-9_]*|\"[^\"]*\"|'[^']*')";
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}|\\$([A-Za-z_][A-Za-z0-9_]*)"
            + "|\\$\\{\\s*" + OPERAND + "\\s*(==|!=)\\s*" + OPERAND + "\\s*}");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private final Map<String, String> environment;

    public ConfigLoader(Map<String, String> environment) {
        this.environment = environment;
    }

    public Config load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the config file (" + e.getMessage() + ")");
        }
        return parse(file.toString(), text);
    }

    public Config parse(String source, String text) throws ConfigException {
        Config config;
        try {
            config = YAML.readValue(expand(text), Config.class);
        } catch (UnrecognizedPropertyException e) {
            throw new ConfigException("%s line %d: unknown key '%s'%s".formatted(source, e.getLocation().getLineNr(),
                    e.getPropertyName(), where(e)));
        } catch (JsonMappingException e) {
            throw new ConfigException("%s line %d: bad value%s: %s".formatted(source,
                    e.getLocation() == null ? 0 : e.getLocation().getLineNr(), where(e), e.getOriginalMessage()));
        } catch (JacksonException e) {
            throw new ConfigException("%s line %d: not valid YAML: %s".formatted(source,
                    e.getLocation() == null ? 0 : e.getLocation().getLineNr(), e.getOriginalMessage()));
        }
        if (config == null) {
            throw new ConfigException(source + ": the config file is empty");
        }
        validate(source, config);
        if (config.http.secret == null) {
            config.http.secret = environment.get("LITECLUSTER_SECRET");
        }
        return config;
    }

    private static String where(JsonMappingException e) {
        String path = e.getPath().stream().limit(Math.max(0, e.getPath().size() - 1))
                .map(JsonMappingException.Reference::getFieldName).collect(Collectors.joining("."));
        return path.isEmpty() ? "" : " in '" + path + "'";
    }

    private static void validate(String source, Config config) throws ConfigException {
        try {
            checkValues(config);
        } catch (ConfigException e) {
            throw new ConfigException(source + ": " + e.getMessage());
        }
    }

    private static void checkValues(Config config) throws ConfigException {
        if (config.fuse.dir == null || config.fuse.dir.isBlank()) {
            throw new ConfigException("'fuse.dir' is required (the directory apps open databases in)");
        }
        if (config.data.dir == null || config.data.dir.isBlank()) {
            throw new ConfigException("'data.dir' is required (where the node keeps databases and logs)");
        }
        GoDuration.parse("data.retention", config.data.retention);
        GoDuration.parse("data.retention-monitor-interval", config.data.retentionMonitorInterval);
        GoDuration.parse("data.segment-age", config.data.segmentAge);
        GoDuration.parse("lease.catch-up-wait", config.lease.catchUpWait);
        if (config.lease.promote && (config.lease.type.equals("static") || !config.lease.candidate)) {
            throw new ConfigException("lease.promote needs lease.candidate: true and an etcd or consul lease"
                    + " (a static lease cannot move)");
        }
        switch (config.lease.type) {
            case "static" -> {
                if (!config.lease.candidate && (config.lease.advertiseUrl == null || config.lease.advertiseUrl.isBlank())) {
                    throw new ConfigException("a replica (lease.candidate: false) needs lease.advertise-url, the primary's node API URL");
                }
            }
            case "etcd" -> {
                if (config.lease.etcd.endpoints.isEmpty()) {
                    throw new ConfigException("lease.type etcd needs lease.etcd.endpoints (a list of http://host:2379 URLs)");
                }
                GoDuration.parse("lease.etcd.ttl", config.lease.etcd.ttl);
            }
            case "consul" -> {
                if (config.lease.consul.url == null || config.lease.consul.key == null) {
                    throw new ConfigException("lease.type consul needs lease.consul.url and lease.consul.key");
                }
                GoDuration.parse("lease.consul.ttl", config.lease.consul.ttl);
                GoDuration.parse("lease.consul.lock-delay", config.lease.consul.lockDelay);
            }
            default -> throw new ConfigException("lease.type '" + config.lease.type + "' is not supported (use static, etcd or consul)");
        }
    }

    /**
     * Replaces {@code $VAR} and {@code ${VAR}} with the environment's value (empty when unset), and
     * {@code ${A == B}} / {@code ${A != B}} with {@code true} or {@code false}, each side a variable
     * name or a quoted string, as LiteFS does ({@code candidate: ${FLY_REGION == PRIMARY_REGION}}).
     */
    String expand(String text) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value;
            if (m.group(3) != null) {
                boolean equal = operand(m.group(3)).equals(operand(m.group(5)));
                value = Boolean.toString(m.group(4).equals("==") == equal);
            } else {
                value = environment.getOrDefault(m.group(1) != null ? m.group(1) : m.group(2), "");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        return m.appendTail(out).toString();
    }

    private String operand(String token) {
        return token.startsWith("\"") || token.startsWith("'") ? token.substring(1, token.length() - 1)
                : environment.getOrDefault(token, "");
    }
}
