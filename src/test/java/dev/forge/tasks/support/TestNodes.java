package dev.forge.tasks.support;

import dev.forge.tasks.config.ConfigLoader;
import dev.forge.tasks.config.TasksConfig;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;

/** Configurations for nodes started inside tests: a free port, a fresh database, fast timers. */
public final class TestNodes {

  private TestNodes() {
  }

  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A node on {@code db}, listening on a free loopback port, with short poll and flush intervals
   * so that tests run fast; {@code overrides} are environment-variable style (e.g. TASKS_LEASE_MS).
   */
  public static TasksConfig config(PgConnectOptions db, Map<String, String> overrides) {
    Map<String, String> env = new HashMap<>();
    env.put("HTTP_HOST", "127.0.0.1");
    env.put("HTTP_PORT", Integer.toString(freePort()));
    env.put("PGHOST", db.getHost());
    env.put("PGPORT", Integer.toString(db.getPort()));
    env.put("PGDATABASE", db.getDatabase());
    env.put("PGUSER", db.getUser());
    if (db.getPassword() != null) {
      env.put("PGPASSWORD", db.getPassword());
    }
    env.put("TASKS_JOB_POLL_MS", "200");
    env.put("TASKS_PROGRESS_FLUSH_MS", "20");
    env.put("TASKS_RETRY_BASE_MS", "50");
    env.putAll(overrides);
    return ConfigLoader.load(new JsonObject(), env);
  }

  public static TasksConfig config(PgConnectOptions db) {
    return config(db, Map.of());
  }
}
