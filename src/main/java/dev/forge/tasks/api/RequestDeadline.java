package dev.forge.tasks.api;

import dev.forge.tasks.api.ConnectionLimit.Phase;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections of one HTTP verticle instance and how long each may keep the server waiting.
 * Everything here runs on the instance's event loop, which is also where its connections live.
 *
 * <ul>
 *   <li>A new connection must deliver its request line and headers within the request timeout
 *       (the half-sent request of a slow-loris client).</li>
 *   <li>A request body may arrive slowly, but may not stall: each time no body byte arrived for the
 *       request timeout, the connection is closed (a 64 MiB upload at modem speed is fine; one that
 *       stops is not).</li>
 *   <li>While the server is answering, nothing is timed: a long poll ({@code wait} up to 60 s), an
 *       SSE stream or a slow store are the server's business.</li>
 *   <li>Once the reply is complete, a keep-alive connection may stay idle for the idle timeout.</li>
 * </ul>
 *
 * <p>Nothing is scheduled per request: the request handler only notes the connection's current
 * request, and a sweep every tenth of the request timeout (50 to 500 ms) reads each connection's
 * progress ({@link HttpServerRequest#isEnded()}, {@link HttpServerRequest#bytesRead()}, the
 * response's {@code ended()}). A deadline is thus kept to within one sweep. Connections beyond the
 * node's {@link ConnectionLimit} are closed as soon as they are accepted.
 *
 * <p>This needs Vert.x to hand every connection to the connection handler when it is accepted,
 * which it does for HTTP/1.x when cleartext HTTP/2 (h2c) is off: with h2c on, a connection is only
 * created once a whole request head has arrived, so a half-sent request would never be seen.
 */
final class RequestDeadline {

  private static final Logger LOG = LoggerFactory.getLogger(RequestDeadline.class);

  private final Vertx vertx;
  private final ConnectionLimit limit;
  private final long requestTimeout;
  private final long idleTimeout;
  private final long sweepMs;
  private final Map<HttpConnection, Tracked> connections = new HashMap<>();

  RequestDeadline(Vertx vertx, HttpLimits limits) {
    this.vertx = vertx;
    this.limit = limits.connections();
    this.requestTimeout = TimeUnit.MILLISECONDS.toNanos(limits.requestTimeoutMs());
    this.idleTimeout = TimeUnit.MILLISECONDS.toNanos(limits.idleTimeoutMs());
    this.sweepMs = Math.max(50, Math.min(500, limits.requestTimeoutMs() / 10));
  }

  /** Starts the sweep, on the calling verticle's context (so that it stops with the verticle). */
  void start() {
    vertx.setPeriodic(sweepMs, t -> sweep());
  }

  /**
   * The server's connection handler: counts the connection in, or closes it when the node is full.
   * It sets the connection's close handler; nothing else should (a sweep repairs the count if
   * something does, once the connection's current request sees it closed).
   */
  void connected(HttpConnection connection) {
    if (!limit.tryOpen()) {
      LOG.debug("Refused a connection from {}: the node holds its maximum of {}", connection.remoteAddress(), limit.max());
      connection.close();
      return;
    }
    connections.put(connection, new Tracked(System.nanoTime()));
    connection.closeHandler(v -> forget(connection));
  }

  /** Counts a connection out, once, whichever of its close handler and the sweep sees it go first. */
  private void forget(HttpConnection connection) {
    if (connections.remove(connection) != null) {
      limit.closed();
    }
  }

  /** Wraps the server's request handler so that each connection's current request is known. */
  Handler<HttpServerRequest> around(Handler<HttpServerRequest> requests) {
    return request -> {
      Tracked tracked = connections.get(request.connection());
      if (tracked != null) {
        tracked.request = request;
      }
      requests.handle(request);
    };
  }

  private void sweep() {
    long now = System.nanoTime();
    List<HttpConnection> expired = null;
    List<HttpConnection> gone = null;
    for (Map.Entry<HttpConnection, Tracked> e : connections.entrySet()) {
      Tracked tracked = e.getValue();
      if (tracked.request != null && tracked.request.response().closed()) {
        // Closed, though the close handler did not say so (code elsewhere may have replaced it).
        gone = add(gone, e.getKey());
        continue;
      }
      Phase phase = tracked.expired(now, requestTimeout, idleTimeout);
      if (phase != null) {
        expired = add(expired, e.getKey());
        limit.timedOut(phase);
        LOG.debug("Closing the connection from {}: timed out in {}", e.getKey().remoteAddress(), phase.tag());
      }
    }
    // After the loop: a close handler may run at once and would change the map under it.
    if (gone != null) {
      gone.forEach(this::forget);
    }
    if (expired != null) {
      for (HttpConnection connection : expired) {
        forget(connection);
        connection.close();
      }
    }
  }

  private static List<HttpConnection> add(List<HttpConnection> list, HttpConnection connection) {
    List<HttpConnection> to = list != null ? list : new ArrayList<>();
    to.add(connection);
    return to;
  }

  /** What one connection is doing, as of the last sweep. */
  private static final class Tracked {

    private final long opened;
    /** The request the server handles now; null before the first and once its reply is complete. */
    HttpServerRequest request;
    /** The request the last sweep saw, and since when it (or its body) has not progressed, or since when idle. */
    private HttpServerRequest seen;
    private long since;
    private long bodyBytes;
    private boolean idle;

    Tracked(long opened) {
      this.opened = opened;
    }

    /** The phase whose deadline has passed at {@code now}, or null. */
    Phase expired(long now, long requestTimeout, long idleTimeout) {
      HttpServerRequest r = request;
      if (r == null) {
        if (idle) {
          return now - since > idleTimeout ? Phase.KEEP_ALIVE_IDLE : null;
        }
        return now - opened > requestTimeout ? Phase.REQUEST_HEAD : null;
      }
      if (r != seen) {
        seen = r;
        since = now;
        bodyBytes = r.bytesRead();
        idle = false;
      }
      if (!r.isEnded()) {
        long read = r.bytesRead();
        if (read != bodyBytes) {
          bodyBytes = read;
          since = now;
          return null;
        }
        return now - since > requestTimeout ? Phase.REQUEST_BODY : null;
      }
      if (!r.response().ended()) {
        return null;
      }
      // The reply is complete: idle from now on, and the request need not be kept.
      request = null;
      seen = null;
      idle = true;
      since = now;
      return null;
    }
  }
}
