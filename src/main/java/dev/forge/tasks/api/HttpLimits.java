package dev.forge.tasks.api;

import dev.forge.tasks.config.RateLimits;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What a node's HTTP verticle instances share to protect it from slow and greedy clients: the
 * request and keep-alive timeouts ({@link RequestDeadline}), one connection count and cap
 * ({@link ConnectionLimit}) and one set of per-tenant token buckets ({@link RateLimiter}). Create
 * it once per node and hand the same object to every instance.
 *
 * @param requestTimeoutMs a request's line and headers must arrive within this from the moment the
 *                         connection opens, and its body may not stall longer than this
 * @param idleTimeoutMs    a keep-alive connection that sends no new request for this long is closed
 * @param connections      the node's connection count and cap
 * @param rateLimiter      the node's per-tenant rate limits; null when none is configured
 */
public record HttpLimits(long requestTimeoutMs, long idleTimeoutMs, ConnectionLimit connections, RateLimiter rateLimiter) {

  /** The defaults of the README (10 s, 75 s, 20,000 connections, no rate limit), without meters. */
  public static HttpLimits defaults() {
    return new HttpLimits(10_000, 75_000, new ConnectionLimit(20_000, null), null);
  }

  /**
   * A node's limits from its settings, with meters in {@code registry} (may be null); warns at
   * start-up when the process' file limit is below {@code maxConnections}.
   */
  public static HttpLimits create(long requestTimeoutMs, long idleTimeoutMs, int maxConnections, RateLimits rates,
                                  MeterRegistry registry) {
    ConnectionLimit connections = new ConnectionLimit(maxConnections, registry);
    connections.warnIfFileLimitBelowMax();
    return new HttpLimits(requestTimeoutMs, idleTimeoutMs, connections, rates.any() ? new RateLimiter(rates, registry) : null);
  }
}
