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
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}|\\$([A-Za-z_][A-Za-z0-9_]*)");
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
        if (!"static".equals(config.lease.type)) {
            throw new ConfigException("lease.type '" + config.lease.type + "' is not supported by this build (use 'static')");
        }
        if (!config.lease.candidate && (config.lease.advertiseUrl == null || config.lease.advertiseUrl.isBlank())) {
            throw new ConfigException("a replica (lease.candidate: false) needs lease.advertise-url, the primary's node API URL");
        }
    }

    /** Replaces {@code $VAR} and {@code ${VAR}} with the environment's value (empty when unset), as LiteFS does. */
    String expand(String text) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            m.appendReplacement(out, Matcher.quoteReplacement(environment.getOrDefault(name, "")));
        }
        return m.appendTail(out).toString();
    }
}
