package dev.forge.tasks.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The configuration: file, then environment; every bad value named with its source at start-up. */
class ConfigLoaderTest {

  @Test
  void defaultsMatchTheContract() {
    TasksConfig c = ConfigLoader.load(new JsonObject(), Map.of());
    assertEquals("0.0.0.0", c.httpHost());
    assertEquals(10000, c.httpPort());
    assertTrue(c.embeddedDatabase());
    assertEquals("./data", c.dataDir());
    assertTrue(c.apiKeys().isEmpty());
    assertFalse(c.cluster());
    assertEquals("127.0.0.1", c.clusterHost());
    assertEquals(5701, c.clusterPort());
    assertEquals(1048576, c.bodyLimitBytes());
  }

  /**
   * The README's configuration table lists every setting of config/settings.json, in its order, with
   * its environment variable and its default (a setting without one says so in words).
   */
  @Test
  void readmeTableIsTheSettingsFile() throws IOException {
    JsonObject settings;
    try (var in = ConfigLoader.class.getResourceAsStream("/config/settings.json")) {
      settings = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    Matcher row = Pattern.compile("^\\| `(\\w+)` \\| `(\\w+)` \\| ([^|]*) \\|", Pattern.MULTILINE)
      .matcher(Files.readString(Path.of("README.md"), StandardCharsets.UTF_8));
    List<String> listed = new ArrayList<>();
    while (row.find()) {
      String key = row.group(1);
      listed.add(key);
      JsonObject setting = settings.getJsonObject(key);
      assertNotNull(setting, "README lists " + key + ", which is no setting");
      assertEquals(setting.getString("env"), row.group(2), key + "'s environment variable");
      Object value = setting.getValue("default");
      String shown = value instanceof JsonArray a ? String.join(",", a.stream().map(String::valueOf).toList()) : String.valueOf(value);
      if (value == null) {
        assertFalse(row.group(3).startsWith("`"), key + " has no default, but README shows one: " + row.group(3));
      } else {
        assertTrue(row.group(3).startsWith("`" + shown + "`"), key + "'s default is " + shown + ", README says " + row.group(3));
      }
    }
    assertEquals(List.copyOf(settings.fieldNames()), listed, "README's configuration table, row by row");
  }

  /**
   * config/settings.json is the one source of defaults: a key of the shipped conf/config.json that
   * repeats its default would silently keep the old value when that default changes.
   */
  @Test
  void shippedConfigFileSetsNoKeyToItsDefault() throws IOException {
    JsonObject shipped = new JsonObject(Files.readString(Path.of("conf/config.json"), StandardCharsets.UTF_8));
    TasksConfig defaults = ConfigLoader.load(new JsonObject(), Map.of());
    assertDoesNotThrow(() -> ConfigLoader.load(shipped, Map.of()), "the shipped file is valid");
    for (String key : shipped.fieldNames()) {
      JsonObject alone = new JsonObject().put(key, shipped.getValue(key));
      assertFalse(defaults.equals(ConfigLoader.load(alone, Map.of())),
        "conf/config.json sets " + key + " to its default: remove it, config/settings.json holds the defaults");
    }
  }

  /** The check above compares whole configurations: a repeated default must compare equal. */
  @Test
  void aKeySetToItsDefaultGivesTheDefaultConfiguration() {
    TasksConfig defaults = ConfigLoader.load(new JsonObject(), Map.of());
    assertEquals(defaults, ConfigLoader.load(new JsonObject().put("leaseMs", 30000), Map.of()));
    assertEquals(defaults, ConfigLoader.load(new JsonObject().put("jobTypes", new JsonArray(defaults.jobTypes())), Map.of()));
    assertNotEquals(defaults, ConfigLoader.load(new JsonObject().put("leaseMs", 30001), Map.of()));
  }

  @Test
  void cacheEntriesExpireOnlyInAClusterUnlessTold() {
    assertEquals(TasksConfig.NO_EXPIRY, ConfigLoader.load(new JsonObject(), Map.of()).cacheTtlMs(),
      "alone, every change passes through the node's own store: no expiry");
    assertEquals(10_000, ConfigLoader.load(new JsonObject(), Map.of("TASKS_CLUSTER", "true")).cacheTtlMs());
    assertEquals(2_500, ConfigLoader.load(new JsonObject(), Map.of("TASKS_CACHE_TTL_MS", "2500")).cacheTtlMs());
    assertEquals(0, ConfigLoader.load(new JsonObject().put("cacheTtlMs", 0), Map.of("TASKS_CLUSTER", "true")).cacheTtlMs(),
      "0 turns the cache off");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
      () -> ConfigLoader.load(new JsonObject(), Map.of("TASKS_CACHE_TTL_MS", "-5")));
    assertEquals("Invalid cacheTtlMs = '-5' from environment variable TASKS_CACHE_TTL_MS: must be from 0 to 86400000",
      e.getMessage());
  }

  @Test
  void environmentOverridesTheFile() {
    JsonObject file = new JsonObject().put("httpPort", 9000).put("jobTypes", new JsonArray().add("document_analysis"));
    assertEquals(9000, ConfigLoader.load(file, Map.of()).httpPort());
    TasksConfig c = ConfigLoader.load(file, Map.of("HTTP_PORT", "9100", "TASKS_JOB_TYPES", "",
      "PGHOST", "db.internal", "TASKS_CLUSTER_MEMBERS", "10.0.0.2:5701, 10.0.0.3:5701"));
    assertEquals(9100, c.httpPort());
    assertEquals(List.of(), c.jobTypes());
    assertEquals("db.internal", c.pgHost());
    assertFalse(c.embeddedDatabase());
    assertEquals(List.of("10.0.0.2:5701", "10.0.0.3:5701"), c.clusterMembers());
    assertNull(ConfigLoader.load(file, Map.of("PGHOST", "")).pgHost(), "an empty PGHOST means embedded");
  }

  @Test
  void apiKeysMapKeysToTenants() {
    TasksConfig c = ConfigLoader.load(new JsonObject(), Map.of("TASKS_API_KEYS", "acme=sk-1, globex=sk-2"));
    assertEquals(Map.of("sk-1", "acme", "sk-2", "globex"), c.apiKeys());
  }

  @Test
  void badValuesNameTheKeyTheSourceAndTheProblem() {
    assertMessage(Map.of("HTTP_PORT", "abc"), "httpPort", "environment variable HTTP_PORT", "whole number");
    assertMessage(Map.of("HTTP_PORT", "70000"), "httpPort", "HTTP_PORT", "from 0 to 65535");
    assertMessage(Map.of("TASKS_CLUSTER", "yes"), "cluster", "TASKS_CLUSTER", "true or false");
    assertMessage(Map.of("TASKS_STORE_THREADING", "virtual"), "storeThreading", "TASKS_STORE_THREADING", "event-loop");
    IllegalArgumentException file = assertThrows(IllegalArgumentException.class,
      () -> ConfigLoader.load(new JsonObject().put("leaseMs", 5), Map.of()));
    assertTrue(file.getMessage().contains("leaseMs") && file.getMessage().contains("config key 'leaseMs'"), file.getMessage());
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
      () -> ConfigLoader.load(new JsonObject().put("httpPrt", 1), Map.of()));
    assertTrue(unknown.getMessage().contains("httpPrt"), unknown.getMessage());
  }

  @Test
  void secretsNeverAppearInMessages() {
    IllegalArgumentException keys = assertThrows(IllegalArgumentException.class,
      () -> ConfigLoader.load(new JsonObject(), Map.of("TASKS_API_KEYS", "acme=sk-secret-1,broken")));
    assertFalse(keys.getMessage().contains("sk-secret-1"), keys.getMessage());
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
      () -> ConfigLoader.load(new JsonObject(), Map.of("TASKS_API_KEYS", "a=sk-same,b=sk-same")));
    assertFalse(twice.getMessage().contains("sk-same"), twice.getMessage());
  }

  private static void assertMessage(Map<String, String> env, String... parts) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
      () -> ConfigLoader.load(new JsonObject(), env));
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), e.getMessage() + " should name " + part);
    }
  }
}
