package dev.forge.tasks.api;

import com.sun.management.UnixOperatingSystemMXBean;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP connections a node holds, counted across all its HTTP verticle instances (each on its
 * own event loop), and the cap on them ({@code TASKS_HTTP_MAX_CONNECTIONS}). Thread-safe without a
 * lock: one compare-and-set per accepted connection, one decrement per closed one.
 *
 * <p>In {@code /metrics}: {@code tasks_http_connections_open}, {@code tasks_http_connections_max},
 * {@code tasks_http_connections_accepted_total}, {@code tasks_http_connections_refused_total} and
 * {@code tasks_http_connections_timed_out_total} by {@code phase} ({@code request_head},
 * {@code request_body}, {@code keep_alive_idle}).
 */
public final class ConnectionLimit {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimit.class);

  /** Why a connection was closed by the server for taking too long ({@link RequestDeadline}). */
  enum Phase {
    /** The request line and headers did not arrive in time. */
    REQUEST_HEAD,
    /** The body stopped arriving. */
    REQUEST_BODY,
    /** A keep-alive connection sent no new request. */
    KEEP_ALIVE_IDLE;

    String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final int max;
  private final AtomicInteger open = new AtomicInteger();
  private final LongAdder accepted = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder[] timedOut = new LongAdder[Phase.values().length];

  /** A cap of {@code max} open connections; meters go to {@code registry} when not null. */
  public ConnectionLimit(int max, MeterRegistry registry) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1, not " + max);
    }
    this.max = max;
    for (Phase p : Phase.values()) {
      timedOut[p.ordinal()] = new LongAdder();
    }
    if (registry != null) {
      Gauge.builder("tasks.http.connections.open", open, AtomicInteger::get)
        .description("HTTP connections this node holds open").register(registry);
      Gauge.builder("tasks.http.connections.max", () -> this.max)
        .description("HTTP connections this node holds at most (TASKS_HTTP_MAX_CONNECTIONS)").register(registry);
      FunctionCounter.builder("tasks.http.connections.accepted", accepted, LongAdder::sum)
        .description("HTTP connections this node accepted and counted in").register(registry);
      FunctionCounter.builder("tasks.http.connections.refused", refused, LongAdder::sum)
        .description("HTTP connections closed at once because the node held its maximum").register(registry);
      for (Phase p : Phase.values()) {
        FunctionCounter.builder("tasks.http.connections.timed.out", timedOut[p.ordinal()], LongAdder::sum)
          .description("HTTP connections closed by the server because the client took too long").tag("phase", p.tag())
          .register(registry);
      }
    }
  }

  /** Counts a new connection in and returns true, or returns false (and counts a refusal) when full. */
  boolean tryOpen() {
    int n;
    do {
      n = open.get();
      if (n >= max) {
        refused.increment();
        return false;
      }
    } while (!open.compareAndSet(n, n + 1));
    accepted.increment();
    return true;
  }

  /** A connection that {@link #tryOpen()} let in has closed. */
  void closed() {
    open.decrementAndGet();
  }

  void timedOut(Phase phase) {
    timedOut[phase.ordinal()].increment();
  }

  public int max() {
    return max;
  }

  /** The counters at one moment: connections open now, and accepted (counted in) and refused since start. */
  public record Counts(int open, long accepted, long refused) {
  }

  public Counts counts() {
    return new Counts(open.get(), accepted.sum(), refused.sum());
  }

  /** Connections closed since start because the client was too slow in {@code phase}. */
  long timedOutCount(Phase phase) {
    return timedOut[phase.ordinal()].sum();
  }

  /**
   * Warns when the process may open fewer files than the connections it is configured to hold:
   * the kernel would then refuse connections first, with "Too many open files" in the log instead
   * of a clean refusal. The README says how to raise the limit.
   */
  void warnIfFileLimitBelowMax() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof UnixOperatingSystemMXBean unix) {
      long files = unix.getMaxFileDescriptorCount();
      // Postgres connections, jars, the cluster and the log need descriptors too.
      long needed = (long) max + 1024;
      if (files < needed) {
        LOG.warn("The process may open {} files, fewer than the {} that TASKS_HTTP_MAX_CONNECTIONS={} needs: raise it "
          + "(ulimit -n, systemd LimitNOFILE, docker --ulimit nofile) or lower TASKS_HTTP_MAX_CONNECTIONS", files, needed, max);
      }
    }
  }
}
