package dev.forge.tasks.config;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code conf/config.json} (or the file named by {@code TASKS_CONFIG}), then lets environment
 * variables override it, and validates every value once. A bad value stops start-up with a message
 * that names the key, where it came from, and what was wrong.
 */
public final class ConfigLoader {

  /** Every setting: JSON key, environment variable, default (null = unset). */
  private static final String[][] SETTINGS = {
    {"httpHost", "HTTP_HOST", "0.0.0.0"},
    {"httpPort", "HTTP_PORT", "10000"},
    {"httpInstances", "TASKS_HTTP_INSTANCES", "2"},
    {"bodyLimitBytes", "TASKS_BODY_LIMIT_BYTES", "1048576"},
    {"maxWaiters", "TASKS_MAX_WAITERS", "50000"},
    {"sseKeepAliveMs", "TASKS_SSE_KEEPALIVE_MS", "15000"},
    {"pgHost", "PGHOST", null},
    {"pgPort", "PGPORT", "5432"},
    {"pgDatabase", "PGDATABASE", "postgres"},
    {"pgUser", "PGUSER", "postgres"},
    {"pgPassword", "PGPASSWORD", null},
    {"pgPoolSize", "TASKS_PG_POOL_SIZE", "16"},
    {"dataDir", "TASKS_DATA_DIR", "./data"},
    {"apiKeys", "TASKS_API_KEYS", null},
    {"cluster", "TASKS_CLUSTER", "false"},
    {"clusterHost", "TASKS_CLUSTER_HOST", "127.0.0.1"},
    {"clusterPort", "TASKS_CLUSTER_PORT", "5701"},
    {"clusterMembers", "TASKS_CLUSTER_MEMBERS", null},
    {"busTimeoutMs", "TASKS_BUS_TIMEOUT_MS", "5000"},
    {"storeInstances", "TASKS_STORE_INSTANCES", "2"},
    {"storeThreading", "TASKS_STORE_THREADING", "event-loop"},
    {"taskTypes", "TASKS_TYPES", "document_analysis,file_processing,vector_store_creation,vectorization"},
    {"jobTypes", "TASKS_JOB_TYPES", "document_analysis,file_processing,vector_store_creation,vectorization"},
    {"jobConcurrency", "TASKS_JOB_CONCURRENCY", "4"},
    {"jobTimeoutMs", "TASKS_JOB_TIMEOUT_MS", "600000"},
    {"jobPollMs", "TASKS_JOB_POLL_MS", "1000"},
    {"progressFlushMs", "TASKS_PROGRESS_FLUSH_MS", "200"},
    {"leaseMs", "TASKS_LEASE_MS", "30000"},
    {"retryBaseMs", "TASKS_RETRY_BASE_MS", "1000"},
    {"defaultMaxAttempts", "TASKS_MAX_ATTEMPTS", "3"},
    {"retentionCompletedS", "TASKS_RETENTION_COMPLETED_S", "604800"},
    {"retentionCancelledS", "TASKS_RETENTION_CANCELLED_S", "604800"},
    {"retentionFailedS", "TASKS_RETENTION_FAILED_S", "2592000"},
    {"retentionIntervalMs", "TASKS_RETENTION_INTERVAL_MS", "60000"},
    {"cacheMaxEntries", "TASKS_CACHE_MAX_ENTRIES", "1000000"},
    // No default: entries never expire on a node alone, and after 10 s in a cluster (see cacheTtl()).
    {"cacheTtlMs", "TASKS_CACHE_TTL_MS", null},
    {"benchRoutes", "TASKS_BENCH_ROUTES", "false"},
    // No default: the machine's cores less one (CpuBudget.defaultPermits()).
    {"jobCpuBudget", "TASKS_JOB_CPU_BUDGET", null},
    {"clusterName", "TASKS_CLUSTER_NAME", "tasks"},
    {"fileMaxBytes", "TASKS_FILE_MAX_BYTES", "67108864"},
    {"httpRequestTimeoutMs", "TASKS_HTTP_REQUEST_TIMEOUT_MS", "10000"},
    {"httpIdleTimeoutMs", "TASKS_HTTP_IDLE_TIMEOUT_MS", "75000"},
    {"httpMaxConnections", "TASKS_HTTP_MAX_CONNECTIONS", "20000"},
    {"rateLimit", "TASKS_RATE_LIMIT", null},
    {"webhookAllowedHosts", "TASKS_WEBHOOK_ALLOWED_HOSTS", null},
    {"clusterBusPort", "TASKS_CLUSTER_BUS_PORT", "0"},
    {"webhookRetryForMs", "TASKS_WEBHOOK_RETRY_FOR_MS", "86400000"},
    {"webhookTimeoutMs", "TASKS_WEBHOOK_TIMEOUT_MS", "10000"},
    {"webhookRetryBaseMs", "TASKS_WEBHOOK_RETRY_BASE_MS", "5000"},
    // No default: webhook calls trust the JVM's authorities alone.
    {"webhookTrustPem", "TASKS_WEBHOOK_TRUST_PEM", null},
  };

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
  public static TasksConfig load(JsonObject json, Map<String, String> env) {
    ConfigLoader c = new ConfigLoader();
    Set<String> known = new HashSet<>();
    for (String[] s : SETTINGS) {
      known.add(s[0]);
      String value = s[2];
      String source = "default";
      if (json.containsKey(s[0]) && json.getValue(s[0]) != null) {
        Object v = json.getValue(s[0]);
        value = v instanceof JsonArray a ? String.join(",", a.stream().map(String::valueOf).toList())
          : String.valueOf(v);
        source = "config key '" + s[0] + "'";
      }
      String fromEnv = env.get(s[1]);
      if (fromEnv != null) {
        // Set but empty means "none" (TASKS_JOB_TYPES= runs no job; PGHOST= uses the embedded database).
        value = fromEnv.isEmpty() ? null : fromEnv;
        source = "environment variable " + s[1];
      }
      c.values.put(s[0], value);
      c.sources.put(s[0], source);
    }
    for (String key : json.fieldNames()) {
      if (!known.contains(key)) {
        throw new IllegalArgumentException("Unknown config key '" + key + "' in the config file");
      }
    }
    return c.build();
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
      values.get("webhookTrustPem"));
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
