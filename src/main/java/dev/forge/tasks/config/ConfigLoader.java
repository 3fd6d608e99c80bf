package dev.forge.tasks.config;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code conf/config.json} (or the file named by {@code TASKS_CONFIG}), then lets environment
 * variables override it, and validates every value once. A bad value stops start-up with a message
 * that names the key, where it came from, and what was wrong.
 */
public final class ConfigLoader {

  /**
   * Every setting, in the order of the README's table: its JSON key, its environment variable
   * ({@code env}) and its {@code default} (null: unset), written as in {@code conf/config.json}.
   * Read once from the classpath: the one place a default is written ({@code ConfigLoaderTest}
   * holds the README's table and the shipped {@code conf/config.json} to it).
   */
  private static final JsonObject SETTINGS = readSettings();

  private final Map<String, String> values = new LinkedHashMap<>();
  private final Map<String, String> sources = new LinkedHashMap<>();

  private ConfigLoader() {
  }

  /** The configuration of a node started from the command line. */
  public static TasksConfig load() {
    Map<String, String> env = System.getenv();
    Path file = Path.of(env.getOrDefault("TASKS_CONFIG", "conf/config.json"));
    JsonObject json = new JsonObject();
    if (Files.isRegularFile(file)) {
      try {
        json = new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
      } catch (IOException | DecodeException e) {
        throw new IllegalArgumentException("Cannot read config file " + file + ": not a JSON object");
      }
    } else if (env.containsKey("TASKS_CONFIG")) {
      throw new IllegalArgumentException("TASKS_CONFIG names " + file + ", which does not exist");
    }
    return load(json, env);
  }

  /** The configuration from a JSON object and an environment; the environment wins. */
  public static TasksConfig load(JsonObject json, Map<String, String> environment) {
    ConfigLoader c = new ConfigLoader();
    for (String key : SETTINGS.fieldNames()) {
      JsonObject setting = SETTINGS.getJsonObject(key);
      String value = text(setting.getValue("default"));
      String source = "default";
      if (json.getValue(key) != null) {
        value = text(json.getValue(key));
        source = "config key '" + key + "'";
      }
      String env = setting.getString("env");
      String fromEnv = environment.get(env);
      if (fromEnv != null) {
        // Set but empty means "none" (TASKS_JOB_TYPES= runs no job; PGHOST= uses the embedded database).
        value = fromEnv.isEmpty() ? null : fromEnv;
        source = "environment variable " + env;
      }
      c.values.put(key, value);
      c.sources.put(key, source);
    }
    for (String key : json.fieldNames()) {
      if (!SETTINGS.containsKey(key)) {
        throw new IllegalArgumentException("Unknown config key '" + key + "' in the config file");
      }
    }
    return c.build();
  }

  private static JsonObject readSettings() {
    try (InputStream in = ConfigLoader.class.getResourceAsStream("/config/settings.json")) {
      if (in == null) {
        throw new IllegalStateException("config/settings.json is not on the classpath");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read config/settings.json from the classpath", e);
    }
  }

  /** A value of the file or a default as text, as an environment variable would give it: a list comma-separated. */
  private static String text(Object v) {
    if (v == null) {
      return null;
    }
    return v instanceof JsonArray a ? String.join(",", a.stream().map(String::valueOf).toList()) : String.valueOf(v);
  }

  private TasksConfig build() {
    List<String> jobTypes = list("jobTypes");
    List<String> taskTypes = new ArrayList<>(list("taskTypes"));
    for (String t : jobTypes) {
      if (!taskTypes.contains(t)) {
        taskTypes.add(t);
      }
    }
    return new TasksConfig(
      string("httpHost"), integer("httpPort", 0, 65535), integer("httpInstances", 1, 64),
      integer("bodyLimitBytes", 1024, 64 * 1024 * 1024), integer("maxWaiters", 1, 10_000_000),
      integer("sseKeepAliveMs", 100, 3_600_000),
      values.get("pgHost"), integer("pgPort", 1, 65535), string("pgDatabase"), string("pgUser"),
      values.get("pgPassword"), integer("pgPoolSize", 1, 200),
      string("dataDir"),
      apiKeys(),
      bool("cluster"), string("clusterHost"), integer("clusterPort", 1, 65535), list("clusterMembers"),
      integer("busTimeoutMs", 100, 600_000), integer("storeInstances", 1, 64), oneOf("storeThreading", "event-loop", "worker"),
      taskTypes, jobTypes, integer("jobConcurrency", 1, 1000), integer("jobTimeoutMs", 100, 86_400_000),
      integer("jobPollMs", 10, 600_000), integer("progressFlushMs", 0, 60_000),
      integer("leaseMs", 1000, 3_600_000), integer("retryBaseMs", 0, 3_600_000),
      integer("defaultMaxAttempts", 1, 100),
      integer("retentionCompletedS", 0, Integer.MAX_VALUE), integer("retentionCancelledS", 0, Integer.MAX_VALUE),
      integer("retentionFailedS", 0, Integer.MAX_VALUE), integer("retentionIntervalMs", 100, 86_400_000),
      integer("cacheMaxEntries", 1, 100_000_000), cacheTtl(),
      bool("benchRoutes"),
      values.get("jobCpuBudget") == null ? Math.max(1, Runtime.getRuntime().availableProcessors() - 1) : integer("jobCpuBudget", 1, 1024),
      string("clusterName"),
      longInteger("fileMaxBytes", 1, 1L << 40),
      integer("httpRequestTimeoutMs", 100, 3_600_000), integer("httpIdleTimeoutMs", 1000, 86_400_000),
      integer("httpMaxConnections", 1, 10_000_000),
      rateLimit(),
      list("webhookAllowedHosts"),
      integer("clusterBusPort", 0, 65535),
      longInteger("webhookRetryForMs", 1000, 30L * 86_400_000), integer("webhookTimeoutMs", 100, 600_000),
      integer("webhookRetryBaseMs", 10, 3_600_000),
      values.get("webhookTrustPem"),
      integer("webhookRetentionS", 0, Integer.MAX_VALUE));
  }

  /**
   * {@link TasksConfig#NO_EXPIRY} on a node that is not clustered (every change passes through its
   * own store, which keeps the cache current), 10 s in a cluster (an update lost between nodes is
   * then repaired within that time); 0 turns the cache off.
   */
  private long cacheTtl() {
    if (values.get("cacheTtlMs") == null) {
      return bool("cluster") ? 10_000 : TasksConfig.NO_EXPIRY;
    }
    return integer("cacheTtlMs", 0, 86_400_000);
  }

  /** The raw setting, checked here so that a bad entry stops start-up with its key and source. */
  private String rateLimit() {
    try {
      RateLimits.parse(values.get("rateLimit"));
    } catch (IllegalArgumentException e) {
      throw bad("rateLimit", e.getMessage());
    }
    return values.get("rateLimit");
  }

  private String string(String key) {
    String v = values.get(key);
    if (v == null || v.isBlank()) {
      throw bad(key, "must not be empty");
    }
    return v;
  }

  private int integer(String key, int min, int max) {
    return (int) longInteger(key, min, max);
  }

  private long longInteger(String key, long min, long max) {
    String v = string(key);
    try {
      long n = Long.parseLong(v.trim());
      if (n < min || n > max) {
        throw bad(key, "must be from " + min + " to " + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw bad(key, "must be a whole number");
    }
  }

  private String oneOf(String key, String... allowed) {
    String v = string(key).trim();
    if (!List.of(allowed).contains(v)) {
      throw bad(key, "must be one of " + String.join(", ", allowed));
    }
    return v;
  }

  private boolean bool(String key) {
    String v = string(key).trim();
    if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(v);
    }
    throw bad(key, "must be true or false");
  }

  private List<String> list(String key) {
    String v = values.get(key);
    if (v == null || v.isBlank()) {
      return List.of();
    }
    return Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /** {@code tenant=key,tenant=key}; the keys themselves never appear in a message. */
  private Map<String, String> apiKeys() {
    Map<String, String> byKey = new LinkedHashMap<>();
    for (String pair : list("apiKeys")) {
      int eq = pair.indexOf('=');
      if (eq <= 0 || eq == pair.length() - 1) {
        throw new IllegalArgumentException("Invalid apiKeys from " + sources.get("apiKeys")
          + ": each entry must be tenant=key (entry " + (byKey.size() + 1) + " is not)");
      }
      String tenant = pair.substring(0, eq).trim();
      String key = pair.substring(eq + 1).trim();
      if (byKey.put(key, tenant) != null) {
        throw new IllegalArgumentException("Invalid apiKeys from " + sources.get("apiKeys")
          + ": the same key is given twice");
      }
    }
    return Map.copyOf(byKey);
  }

  private IllegalArgumentException bad(String key, String why) {
    String shown = key.equals("pgPassword") ? "<hidden>" : values.get(key);
    return new IllegalArgumentException(
      "Invalid " + key + " = '" + shown + "' from " + sources.get(key) + ": " + why);
  }
}
