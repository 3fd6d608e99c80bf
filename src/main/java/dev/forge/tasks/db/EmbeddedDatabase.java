package dev.forge.tasks.db;

import io.vertx.pgclient.PgConnectOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Postgres a node starts for itself when none is configured. Its data directory survives
 * restarts; a postmaster left running by a node that was killed ({@code kill -9}) is stopped first,
 * since it would otherwise hold the directory. Blocking: call it off the event loop.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedDatabase.class);

  private final EmbeddedPostgres postgres;

  private EmbeddedDatabase(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  public static EmbeddedDatabase start(Path dataDir) throws IOException {
    Path dir = dataDir.toAbsolutePath().normalize();
    Files.createDirectories(dir);
    stopOrphan(dir);
    long started = System.nanoTime();
    EmbeddedPostgres pg = EmbeddedPostgres.builder()
      .setDataDirectory(dir.toFile())
      .setCleanDataDirectory(false)
      .setPGStartupWait(Duration.ofSeconds(60))
      // zonky turns durability off for test databases (fsync=off, synchronous_commit=off); this one
      // holds real tasks: a 202 must survive a crash of Postgres or of the machine.
      .setServerConfig("fsync", "on")
      .setServerConfig("synchronous_commit", "on")
      .start();
    LOG.info("Embedded Postgres ready on 127.0.0.1:{} with data in {} ({} ms)", pg.getPort(), dir,
      (System.nanoTime() - started) / 1_000_000);
    return new EmbeddedDatabase(pg);
  }

  public PgConnectOptions connectOptions() {
    return new PgConnectOptions().setHost("127.0.0.1").setPort(postgres.getPort())
      .setDatabase("postgres").setUser("postgres");
  }

  @Override
  public void close() throws IOException {
    postgres.close();
  }

  /** Stops a postmaster that a killed node left running on {@code dir}. */
  private static void stopOrphan(Path dir) throws IOException {
    Path pidFile = dir.resolve("postmaster.pid");
    if (!Files.isRegularFile(pidFile)) {
      return;
    }
    String first = Files.readAllLines(pidFile, StandardCharsets.UTF_8).stream().findFirst().orElse("").trim();
    long pid;
    try {
      pid = Long.parseLong(first);
    } catch (NumberFormatException e) {
      return;
    }
    Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
      .filter(p -> p.info().command().map(c -> c.contains("postgres")).orElse(false));
    if (process.isEmpty()) {
      return;
    }
    LOG.warn("A Postgres (pid {}) left by an earlier run still holds {}; stopping it", pid, dir);
    ProcessHandle p = process.get();
    p.destroy(); // SIGTERM: Postgres' smart shutdown; it has no clients left.
    try {
      p.onExit().get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      p.destroyForcibly();
      try {
        p.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception again) {
        throw new IOException("Could not stop the Postgres (pid " + pid + ") that holds " + dir);
      }
    }
  }
}
