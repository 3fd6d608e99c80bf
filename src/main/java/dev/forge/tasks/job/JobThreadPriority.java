package dev.forge.tasks.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lowers the OS scheduling priority of a job thread to nice {@value #NICE}, once per thread, before
 * its first CPU-bound section: when the cores are full, the event loops (status polls, uploads,
 * the stores) run first and the parse or the embedding takes what is left; when they are idle it
 * changes nothing. Measured on 2 cores (bench/results-files.md): on a node whose JIT still compiles
 * the parse path, polls at 5,000 req/s kept a p99 of 12–20 ms instead of 0.9–3.9 s. Linux only
 * ({@code /proc/thread-self} names the thread, {@code renice} lowers it; raising nice needs no
 * privilege); elsewhere, or without {@code renice}, nothing changes (logged once).
 */
final class JobThreadPriority {

  static final int NICE = 10;

  private static final Logger LOG = LoggerFactory.getLogger(JobThreadPriority.class);
  private static final ThreadLocal<Boolean> LOWERED = ThreadLocal.withInitial(() -> false);
  private static volatile boolean unavailable;

  private JobThreadPriority() {
  }

  /** Lowers the calling thread's priority unless done already (or impossible here). */
  static void lowerCurrentThread() {
    if (unavailable || LOWERED.get()) {
      return;
    }
    LOWERED.set(true);
    Path self = Path.of("/proc/thread-self");
    if (!Files.exists(self)) {
      unavailable("no /proc/thread-self (not Linux)");
      return;
    }
    try {
      String tid = Files.readSymbolicLink(self).getFileName().toString(); // "<pid>/task/<tid>"
      Process renice = new ProcessBuilder("renice", "-n", Integer.toString(NICE), "-p", tid)
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!renice.waitFor(5, TimeUnit.SECONDS)) {
        renice.destroyForcibly();
        unavailable("renice did not return");
      } else if (renice.exitValue() != 0) {
        unavailable("renice exited with " + renice.exitValue());
      }
    } catch (IOException e) {
      unavailable(e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void unavailable(String why) {
    if (!unavailable) {
      unavailable = true;
      LOG.info("Job threads keep the normal OS priority ({}): CPU-bound jobs compete with the event loops", why);
    }
  }
}
