package dev.forge.tasks.task;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code db/migration/V<n>__<what>.sql} from the classpath in version order, each in its
 * own transaction, recording them in {@code schema_history}. An advisory lock serialises nodes that
 * start at the same moment: the second waits, then finds nothing left to do.
 */
public final class Migrations {

  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);
  private static final Pattern NAME = Pattern.compile("V(\\d+)__([A-Za-z0-9_]+)\\.sql");
  private static final long LOCK_KEY = 0x7461736b73L; // "tasks"

  record Migration(int version, String description, String sql) {
  }

  private Migrations() {
  }

  /** Brings the schema up to date; completes with the number of migrations applied. */
  public static Future<Integer> migrate(Vertx vertx, PgConnectOptions options) {
    return vertx.executeBlocking(Migrations::load, false)
      .compose(migrations -> PgConnection.connect(vertx, options)
        .compose(conn -> conn.query("SELECT pg_advisory_lock(" + LOCK_KEY + ")").execute()
          .compose(locked -> applyAll(conn, migrations))
          .eventually(() -> conn.query("SELECT pg_advisory_unlock(" + LOCK_KEY + ")").execute()
            .eventually(conn::close))));
  }

  private static Future<Integer> applyAll(SqlConnection conn, List<Migration> migrations) {
    return conn.query("SELECT to_regclass('schema_history') IS NOT NULL").execute()
      .compose(exists -> exists.iterator().next().getBoolean(0) ? Future.succeededFuture() : conn.query("""
        CREATE TABLE schema_history (
          version     integer     PRIMARY KEY,
          description text        NOT NULL,
          applied_at  timestamptz NOT NULL DEFAULT now())""").execute().mapEmpty())
      .compose(created -> conn.query("SELECT version FROM schema_history").execute())
      .compose(rows -> {
        Set<Integer> applied = new HashSet<>();
        for (Row row : rows) {
          applied.add(row.getInteger(0));
        }
        Future<Integer> chain = Future.succeededFuture(0);
        for (Migration m : migrations) {
          if (!applied.contains(m.version())) {
            chain = chain.compose(n -> apply(conn, m).map(n + 1));
          }
        }
        return chain;
      });
  }

  private static Future<Void> apply(SqlConnection conn, Migration m) {
    LOG.info("Applying migration V{}__{}", m.version(), m.description());
    return conn.begin().compose(tx -> conn.query(m.sql()).execute()
      .compose(done -> conn.preparedQuery("INSERT INTO schema_history (version, description) VALUES ($1, $2)")
        .execute(Tuple.of(m.version(), m.description())))
      .compose(done -> tx.commit())
      .recover(err -> tx.rollback().transform(ignored -> Future.failedFuture(err))));
  }

  static List<Migration> load() throws IOException, URISyntaxException {
    URL url = Migrations.class.getClassLoader().getResource("db/migration");
    if (url == null) {
      throw new IOException("No db/migration folder on the classpath");
    }
    URI uri = url.toURI();
    if ("jar".equals(uri.getScheme())) {
      try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of())) {
        return read(fs.getPath("db/migration"));
      }
    }
    return read(Path.of(uri));
  }

  private static List<Migration> read(Path dir) throws IOException {
    List<Migration> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.toList()) {
        Matcher m = NAME.matcher(file.getFileName().toString());
        if (m.matches()) {
          try (InputStream in = Files.newInputStream(file)) {
            out.add(new Migration(Integer.parseInt(m.group(1)), m.group(2),
              new String(in.readAllBytes(), StandardCharsets.UTF_8)));
          }
        }
      }
    }
    out.sort(Comparator.comparingInt(Migration::version));
    return out;
  }
}
