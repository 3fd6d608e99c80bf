package dev.forge.tasks.api;

import dev.forge.tasks.config.RateLimits;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Per-tenant rate limits of one node ({@code TASKS_RATE_LIMIT}): a token bucket per tenant, shared
 * by every HTTP verticle instance of the node. A tenant limited to N requests per second may send N
 * at once (a full bucket), and then N per second as tokens come back.
 *
 * <p>Every reply to a limited tenant carries {@code x-ratelimit-limit-requests} (N),
 * {@code x-ratelimit-remaining-requests} (whole tokens left after this request) and
 * {@code x-ratelimit-reset-requests} (until the bucket is full again, e.g. {@code 120ms}), as
 * OpenAI names them. A request without a token is answered 429 {@code rate_limit_exceeded} with
 * {@code Retry-After} (whole seconds, at least 1) and {@code retry-after-ms}; it never reaches the store.
 *
 * <p>The bucket is kept as the time at which it will be full again (GCRA, the generic cell rate
 * algorithm): one {@code AtomicLong} per tenant and one compare-and-set per request, no lock.
 * Counted in {@code /metrics} as {@code tasks_http_requests_rate_limited_total} by {@code tenant}.
 */
public final class RateLimiter implements Handler<RoutingContext> {

  static final CharSequence LIMIT = HttpHeaders.createOptimized("x-ratelimit-limit-requests");
  static final CharSequence REMAINING = HttpHeaders.createOptimized("x-ratelimit-remaining-requests");
  static final CharSequence RESET = HttpHeaders.createOptimized("x-ratelimit-reset-requests");
  static final CharSequence RETRY_AFTER = HttpHeaders.createOptimized("Retry-After");
  static final CharSequence RETRY_AFTER_MS = HttpHeaders.createOptimized("retry-after-ms");

  private static final long SECOND = 1_000_000_000L;

  private final RateLimits limits;
  private final MeterRegistry registry;
  private final LongSupplier nanoClock;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  /** A limiter on the system clock; meters go to {@code registry} when not null. */
  public RateLimiter(RateLimits limits, MeterRegistry registry) {
    this(limits, registry, System::nanoTime);
  }

  /** A limiter on {@code nanoClock} (tests move it by hand). */
  RateLimiter(RateLimits limits, MeterRegistry registry, LongSupplier nanoClock) {
    this.limits = limits;
    this.registry = registry;
    this.nanoClock = nanoClock;
  }

  /** Runs after authentication, with the tenant in the context: lets the request on or answers 429. */
  @Override
  public void handle(RoutingContext ctx) {
    Bucket bucket = bucket(ctx.get(TaskRoutes.TENANT));
    if (bucket == null) {
      ctx.next();
      return;
    }
    long debt = bucket.take(nanoClock.getAsLong());
    HttpServerResponse response = ctx.response().putHeader(LIMIT, bucket.limitText);
    if (debt <= bucket.capacity) {
      response.putHeader(REMAINING, Long.toString((bucket.capacity - debt) / bucket.interval))
        .putHeader(RESET, duration(debt));
      ctx.next();
      return;
    }
    bucket.limited.increment();
    long retry = debt - bucket.capacity;
    long retryMs = Math.max(1, (retry + 999_999) / 1_000_000);
    response.putHeader(REMAINING, "0").putHeader(RESET, duration(debt - bucket.interval))
      .putHeader(RETRY_AFTER, Long.toString(Math.max(1, (retry + SECOND - 1) / SECOND)))
      .putHeader(RETRY_AFTER_MS, Long.toString(retryMs));
    HttpErrors.send(ctx, HttpErrors.rateLimited(bucket.perSecond, retryMs));
  }

  /** Requests answered 429 for {@code tenant} since start. */
  long limited(String tenant) {
    Bucket b = buckets.get(tenant);
    return b == null ? 0 : b.limited.sum();
  }

  private Bucket bucket(String tenant) {
    Bucket b = buckets.get(tenant);
    if (b != null || limits.perSecond(tenant) == RateLimits.UNLIMITED) {
      return b;
    }
    // Tenants come from the configured API keys (or are the one default tenant): the map stays small.
    return buckets.computeIfAbsent(tenant, t -> new Bucket(t, limits.perSecond(t), nanoClock.getAsLong(), registry));
  }

  /**
   * {@code x-ratelimit-reset-requests}: {@code 17ms} under a second, else seconds such as {@code 1.25s}
   * (rounded up to the millisecond, so that a client waiting that long finds the tokens there).
   */
  static String duration(long nanos) {
    long ms = Math.max(0, (nanos + 999_999) / 1_000_000);
    if (ms < 1000) {
      return ms + "ms";
    }
    long whole = ms / 1000;
    long millis = ms % 1000;
    if (millis == 0) {
      return whole + "s";
    }
    String fraction = Long.toString(1000 + millis).substring(1);
    while (fraction.endsWith("0")) {
      fraction = fraction.substring(0, fraction.length() - 1);
    }
    return whole + "." + fraction + "s";
  }

  /** One tenant's bucket, kept as the time at which it is full again. */
  private static final class Bucket {

    final int perSecond;
    final String limitText;
    /** Nanoseconds per token. */
    final long interval;
    /** Nanoseconds of debt a full bucket absorbs: perSecond tokens. */
    final long capacity;
    final LongAdder limited = new LongAdder();
    /** When the bucket is full again (the GCRA "theoretical arrival time"), on the nanosecond clock. */
    private final AtomicLong fullAt;

    Bucket(String tenant, int perSecond, long now, MeterRegistry registry) {
      this.perSecond = perSecond;
      this.limitText = Integer.toString(perSecond);
      this.interval = SECOND / perSecond;
      this.capacity = interval * perSecond;
      this.fullAt = new AtomicLong(now);
      if (registry != null) {
        FunctionCounter.builder("tasks.http.requests.rate.limited", limited, LongAdder::sum)
          .description("Requests answered 429 rate_limit_exceeded on this node").tag("tenant", tenant).register(registry);
      }
    }

    /**
     * Takes a token at {@code now}: returns the bucket's debt after taking it (how long until it is
     * full again), at most {@link #capacity} when a token was there. When none was, the bucket is
     * unchanged and the value returned exceeds {@link #capacity} by the wait for the next token.
     */
    long take(long now) {
      while (true) {
        long full = fullAt.get();
        long debt = (full - now > 0 ? full - now : 0) + interval;
        if (debt > capacity || fullAt.compareAndSet(full, now + debt)) {
          return debt;
        }
      }
    }
  }
}
