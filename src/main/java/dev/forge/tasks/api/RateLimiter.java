package dev.forge.tasks.api;

import dev.forge.tasks.config.RateLimits;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.Map;
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
 * algorithm): one {@code AtomicLong} per tenant, taken with a compare-and-set, no lock. So that the
 * event loops of a busy node do not write that one cache line on every request, each HTTP verticle
 * instance takes tokens in small batches ({@link #handler()}): up to {@link Bucket#batch} at once
 * (N / 1000, from 1 to 64), spent by its later requests without touching the bucket. A batch is
 * never more than the bucket holds, so the node admits no more than the bucket allows except for
 * tokens that instances took earlier and have not spent yet: at most {@code batch - 1} per instance
 * (64 µs of a limit of 1,000,000 per second; none at all below 2,000 per second, where a batch is one token).
 * Likewise an instance may refuse while another still holds up to that many.
 * Counted in {@code /metrics} as {@code tasks_http_requests_rate_limited_total} by {@code tenant}.
 */
public final class RateLimiter {

  static final CharSequence LIMIT = HttpHeaders.createOptimized("x-ratelimit-limit-requests");
  static final CharSequence REMAINING = HttpHeaders.createOptimized("x-ratelimit-remaining-requests");
  static final CharSequence RESET = HttpHeaders.createOptimized("x-ratelimit-reset-requests");
  static final CharSequence RETRY_AFTER = HttpHeaders.createOptimized("Retry-After");
  static final CharSequence RETRY_AFTER_MS = HttpHeaders.createOptimized("retry-after-ms");

  private static final long SECOND = 1_000_000_000L;
  /** A batch is at most this many tokens, and at most a thousandth of the rate. */
  static final int MAX_BATCH = 64;
  /** {@code x-ratelimit-reset-requests} under a second, by whole milliseconds: "0ms" to "999ms". */
  private static final CharSequence[] RESET_MS = new CharSequence[1000];

  static {
    for (int ms = 0; ms < RESET_MS.length; ms++) {
      RESET_MS[ms] = HttpHeaders.createOptimized(ms + "ms");
    }
  }

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

  /**
   * The handler of one HTTP verticle instance, to run after authentication (the tenant in the
   * context): lets the request on or answers 429. It keeps that instance's batches, so each
   * instance needs its own, and must call it on its own event loop only.
   */
  public Handler<RoutingContext> handler() {
    Instance instance = new Instance();
    return instance::handle;
  }

  /** Requests answered 429 for {@code tenant} since start. */
  long limited(String tenant) {
    Bucket b = buckets.get(tenant);
    return b == null ? 0 : b.limited.sum();
  }

  /** The tenant's bucket, null when the tenant is not limited. */
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

  /** {@link #duration(long)} as a header value; those under a second are made once. */
  static CharSequence resetText(long nanos) {
    long ms = Math.max(0, (nanos + 999_999) / 1_000_000);
    return ms < RESET_MS.length ? RESET_MS[(int) ms] : duration(nanos);
  }

  /** One HTTP verticle instance's side: its share of each tenant, used on its event loop only. */
  final class Instance {

    private final Map<String, Share> shares = new HashMap<>();

    void handle(RoutingContext ctx) {
      Share share = share(ctx.get(TaskRoutes.TENANT));
      Bucket bucket = share.bucket;
      if (bucket == null) {
        ctx.next();
        return;
      }
      long debt = share.admit(nanoClock.getAsLong());
      HttpServerResponse response = ctx.response().putHeader(LIMIT, bucket.limitText);
      if (debt <= bucket.capacity) {
        response.putHeader(REMAINING, share.remainingText(debt)).putHeader(RESET, resetText(debt));
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

    /** This instance's share of {@code tenant} (of no bucket when the tenant is not limited). */
    Share share(String tenant) {
      Share share = shares.get(tenant);
      if (share == null) {
        share = new Share(bucket(tenant));
        shares.put(tenant, share);
      }
      return share;
    }
  }

  /**
   * What one instance holds of one tenant's bucket: the tokens it took and has not spent, and the
   * header values it made last (the remaining count moves little while a limit is far off).
   */
  static final class Share {

    private static final int TEXTS = 64;

    final Bucket bucket;
    /** Tokens taken from the bucket and not spent yet. */
    private long held;
    private final long[] counts = new long[TEXTS];
    private final CharSequence[] countTexts = new CharSequence[TEXTS];

    Share(Bucket bucket) {
      this.bucket = bucket;
    }

    /**
     * Spends a token at {@code now}: one held, else a new batch from the bucket. Returns the
     * bucket's debt (how long until it is full again), at most {@link Bucket#capacity} when a
     * token was there; when none was, the value exceeds it by the wait for the next token.
     */
    long admit(long now) {
      Bucket b = bucket;
      if (held > 0) {
        held--;
        long full = b.fullAt.get();
        return full - now > 0 ? full - now : 0;
      }
      long before = b.take(now);
      long room = (b.capacity - before) / b.interval;
      if (room < 1) {
        return before + b.interval;
      }
      long taken = Math.min(b.batch, room);
      held = taken - 1;
      return before + taken * b.interval;
    }

    /** Tokens held and not spent ({@link #admit} takes up to {@link Bucket#batch} at a time). */
    long held() {
      return held;
    }

    /** Whole tokens left after a request that left {@code debt}: the bucket's and those this instance holds. */
    long remaining(long debt) {
      return Math.min(bucket.perSecond, (bucket.capacity - debt) / bucket.interval + held);
    }

    CharSequence remainingText(long debt) {
      long n = remaining(debt);
      int slot = (int) (n & (TEXTS - 1));
      CharSequence text = countTexts[slot];
      if (text == null || counts[slot] != n) {
        text = HttpHeaders.createOptimized(Long.toString(n));
        countTexts[slot] = text;
        counts[slot] = n;
      }
      return text;
    }
  }

  /** One tenant's bucket, kept as the time at which it is full again. */
  static final class Bucket {

    final int perSecond;
    final CharSequence limitText;
    /** Nanoseconds per token. */
    final long interval;
    /** Nanoseconds of debt a full bucket absorbs: perSecond tokens. */
    final long capacity;
    /** Tokens an instance takes at once: a thousandth of the rate, from 1 to {@link #MAX_BATCH}. */
    final long batch;
    final LongAdder limited = new LongAdder();
    /** When the bucket is full again (the GCRA "theoretical arrival time"), on the nanosecond clock. */
    final AtomicLong fullAt;

    Bucket(String tenant, int perSecond, long now, MeterRegistry registry) {
      this.perSecond = perSecond;
      this.limitText = HttpHeaders.createOptimized(Integer.toString(perSecond));
      this.interval = SECOND / perSecond;
      this.capacity = interval * perSecond;
      this.batch = Math.max(1, Math.min(MAX_BATCH, perSecond / 1000));
      this.fullAt = new AtomicLong(now);
      if (registry != null) {
        FunctionCounter.builder("tasks.http.requests.rate.limited", limited, LongAdder::sum)
          .description("Requests answered 429 rate_limit_exceeded on this node").tag("tenant", tenant).register(registry);
      }
    }

    /**
     * Takes up to {@link #batch} tokens at {@code now}, as many as the bucket holds: returns the
     * debt before taking them. The tokens taken are {@code min(batch, (capacity - debt) / interval)};
     * when that is 0 the bucket is unchanged.
     */
    long take(long now) {
      while (true) {
        long full = fullAt.get();
        long before = full - now > 0 ? full - now : 0;
        long room = (capacity - before) / interval;
        if (room < 1 || fullAt.compareAndSet(full, now + before + Math.min(batch, room) * interval)) {
          return before;
        }
      }
    }
  }
}
