package dev.forge.tasks.support;

import io.vertx.pgclient.PgConnectOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The Postgres that tests run against: the server named by the standard {@code PGHOST},
 * {@code PGPORT}, {@code PGUSER}, {@code PGPASSWORD} variables when {@code PGHOST} is set, or else
 * one embedded Postgres per test JVM. Every call of {@link #freshDatabase()} creates a new, empty
 * database, so tests never see each other's rows.
 */
public final class TestDatabase {

  private static EmbeddedPostgres embedded;
  private static PgConnectOptions server;
  private static final List<String> CREATED = new CopyOnWriteArrayList<>();

  private TestDatabase() {
  }

  /** Connection options of the server itself (its {@code postgres} database). */
  public static synchronized PgConnectOptions server() {
    if (server != null) {
      return server;
    }
    String host = System.getenv("PGHOST");
    if (host != null && !host.isBlank()) {
      server = new PgConnectOptions().setHost(host)
        .setPort(Integer.parseInt(System.getenv().getOrDefault("PGPORT", "5432")))
        .setUser(System.getenv().getOrDefault("PGUSER", "postgres"))
        .setDatabase("postgres");
      if (System.getenv("PGPASSWORD") != null) {
        server.setPassword(System.getenv("PGPASSWORD"));
      }
      PgConnectOptions admin = server;
      // An external server outlives the tests: drop what they created.
      Runtime.getRuntime().addShutdownHook(new Thread(() -> CREATED.forEach(name -> {
        try {
          sql(admin, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (RuntimeException ignored) {
          // Best effort at exit.
        }
      })));
    } else {
      try {
        embedded = EmbeddedPostgres.builder().start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          embedded.close();
        } catch (IOException ignored) {
          // The JVM is exiting.
        }
      }));
      server = new PgConnectOptions().setHost("127.0.0.1").setPort(embedded.getPort())
        .setUser("postgres").setDatabase("postgres");
    }
    return server;
  }

  /** True when tests run against an external server rather than the embedded one. */
  public static boolean external() {
    server();
    return embedded == null;
  }

  /**
   * Drops every database created since the last call ({@link DropDatabases} calls it once a test
   * class is done): a test JVM creates hundreds, and leaving them all to the end made the embedded
   * Postgres' exit (its data directory deleted in a shutdown hook) outlast surefire's 30 s.
   */
  static void dropCreated() {
    if (CREATED.isEmpty()) {
      return;
    }
    PgConnectOptions s = server();
    for (String name : List.copyOf(CREATED)) {
      sql(s, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      CREATED.remove(name);
    }
  }

  /** Creates an empty database and returns options to connect to it. */
  public static PgConnectOptions freshDatabase() {
    PgConnectOptions s = server();
    String name = "tasks_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
    sql(s, "CREATE DATABASE " + name);
    CREATED.add(name);
    return new PgConnectOptions(s).setDatabase(name);
  }

  /**
   * Runs {@code statements} over JDBC in one transaction that is rolled back, and returns the first
   * column of the last one's first row (for EXPLAIN ANALYZE of writes, which runs them). Blocking.
   */
  public static String inRolledBackTransaction(PgConnectOptions db, String... statements) {
    String url = "jdbc:postgresql://" + db.getHost() + ":" + db.getPort() + "/" + db.getDatabase();
    try (Connection c = DriverManager.getConnection(url, db.getUser(), db.getPassword());
         Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      String last = null;
      for (String statement : statements) {
        if (st.execute(statement)) {
          try (var rows = st.getResultSet()) {
            last = rows.next() ? rows.getString(1) : null;
          }
        }
      }
      c.rollback();
      return last;
    } catch (SQLException e) {
      throw new IllegalStateException("SQL failed on " + db.getDatabase() + ": " + String.join("; ", statements), e);
    }
  }

  /** Runs one statement over JDBC (test set-up only; the server itself never uses JDBC). */
  public static void sql(PgConnectOptions db, String statement) {
    String url = "jdbc:postgresql://" + db.getHost() + ":" + db.getPort() + "/" + db.getDatabase();
    try (Connection c = DriverManager.getConnection(url, db.getUser(), db.getPassword());
         Statement st = c.createStatement()) {
      st.execute(statement);
    } catch (SQLException e) {
      throw new IllegalStateException("SQL failed on " + db.getDatabase() + ": " + statement, e);
    }
  }
}
