package dev.forge.tasks.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.config.RateLimits;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The batches each HTTP instance takes from a tenant's bucket (no server: two instances of one
 * limiter on a clock moved by hand): how far they let a tenant past its bucket, and that small
 * limits stay exact.
 */
class RateLimiterBatchTest {

  private static final long SECOND = 1_000_000_000L;

  private final AtomicLong clock = new AtomicLong(5 * SECOND);

  private RateLimiter.Share share(RateLimiter limiter, String tenant) {
    return limiter.new Instance().share(tenant);
  }

  private static boolean admitted(RateLimiter.Share share, long now) {
    return share.admit(now) <= share.bucket.capacity;
  }

  @Test
  void batchSizeIsAThousandthOfTheRateFromOneTo64() {
    RateLimiter limiter = new RateLimiter(RateLimits.parse("a=1,b=1999,c=2000,d=40000,e=1000000"), null, clock::get);
    assertEquals(1, share(limiter, "a").bucket.batch);
    assertEquals(1, share(limiter, "b").bucket.batch);
    assertEquals(2, share(limiter, "c").bucket.batch);
    assertEquals(40, share(limiter, "d").bucket.batch);
    assertEquals(RateLimiter.MAX_BATCH, share(limiter, "e").bucket.batch);
    assertNull(share(limiter, "other").bucket, "a tenant without a limit has no bucket");
  }

  @Test
  void twoInstancesDrainingAFullBucketAdmitExactlyItsTokens() {
    RateLimiter limiter = new RateLimiter(RateLimits.parse("1000000"), null, clock::get);
    RateLimiter.Share a = share(limiter, "t");
    RateLimiter.Share b = share(limiter, "t");
    long now = clock.get();
    // The clock stands still: no token comes back, so every token each instance took is spent.
    long admitted = drainTogether(a, b, now);
    assertEquals(1_000_000, admitted);
    assertEquals(0, a.held());
    assertEquals(0, b.held());
  }

  @Test
  void tokensHeldByAnIdleInstanceLetABurstPastTheBucketByLessThanABatch() {
    RateLimiter limiter = new RateLimiter(RateLimits.parse("1000000"), null, clock::get);
    RateLimiter.Share a = share(limiter, "t");
    RateLimiter.Share b = share(limiter, "t");
    assertTrue(admitted(a, clock.get()));
    assertEquals(RateLimiter.MAX_BATCH - 1, a.held(), "a took a batch and spent one token of it");
    clock.addAndGet(10 * SECOND); // the bucket fills again while a holds the rest of its batch
    long now = clock.get();
    long admitted = drainTogether(a, b, now);
    assertEquals(1_000_000 + RateLimiter.MAX_BATCH - 1, admitted, "a full bucket and what a still held");
  }

  @Test
  void aFloodFromTwoInstancesIsHeldToTheRateWithinABatchPerInstance() {
    int perSecond = 100_000;
    RateLimiter limiter = new RateLimiter(RateLimits.parse(Integer.toString(perSecond)), null, clock::get);
    RateLimiter.Share[] instances = {share(limiter, "t"), share(limiter, "t")};
    long batch = instances[0].bucket.batch;
    Random random = new Random(15);
    long start = clock.get();
    long admitted = 0;
    // Three times the rate for three seconds, the two instances in random turns.
    for (int i = 0; i < 3 * 3 * perSecond; i++) {
      long now = clock.addAndGet(SECOND / (3L * perSecond));
      if (admitted(instances[random.nextInt(2)], now)) {
        admitted++;
      }
      if (i % 1000 == 0) {
        long elapsed = now - start;
        long exact = perSecond + elapsed * perSecond / SECOND;  // a full bucket, then the rate
        assertTrue(admitted <= exact + 1, "never more than the bucket allows: " + admitted + " by " + elapsed + " ns, exact " + exact);
        long due = Math.min(i + 1, exact);  // what the exact bucket would have let through of those sent
        assertTrue(admitted >= due - 2 * batch, "short by at most what the instances hold: " + admitted + ", due " + due);
      }
    }
  }

  @Test
  void belowTwoThousandPerSecondEveryRequestTakesItsOwnToken() {
    RateLimiter limiter = new RateLimiter(RateLimits.parse("1000"), null, clock::get);
    RateLimiter.Share a = share(limiter, "t");
    RateLimiter.Share b = share(limiter, "t");
    long now = clock.get();
    for (int i = 0; i < 500; i++) {
      assertTrue(admitted(a, now));
      assertTrue(admitted(b, now));
      assertEquals(0, a.held());
      assertEquals(0, b.held());
    }
    assertEquals(1000 - 1000, a.remaining(a.bucket.capacity), "the bucket is empty");
    long refused = a.admit(now);
    assertEquals(a.bucket.interval, refused - a.bucket.capacity, "the next token is one interval away");
    clock.addAndGet(a.bucket.interval);
    assertTrue(admitted(b, clock.get()), "and there it is");
  }

  @Test
  void remainingCountsTheBucketAndWhatThisInstanceHoldsNeverAboveTheLimit() {
    RateLimiter limiter = new RateLimiter(RateLimits.parse("1000000"), null, clock::get);
    RateLimiter.Share a = share(limiter, "t");
    long debt = a.admit(clock.get());
    assertEquals(RateLimiter.MAX_BATCH * a.bucket.interval, debt, "the batch is out of the bucket");
    assertEquals(1_000_000 - 1, a.remaining(debt), "the bucket's tokens and the 63 held: one spent");
    assertEquals("999999", a.remainingText(debt).toString());
    clock.addAndGet(SECOND); // the bucket is full again and a still holds 63
    debt = a.admit(clock.get());
    assertEquals(0, debt);
    assertEquals(1_000_000, a.remaining(debt), "never more than the limit");
    assertEquals("0ms", RateLimiter.resetText(debt).toString());
    assertEquals("1ms", RateLimiter.resetText(1).toString());
    assertEquals("1.25s", RateLimiter.resetText(1_250_000_000L).toString());
  }

  /** Takes requests from {@code a} and {@code b} in turn at {@code now} until neither admits one; how many were admitted. */
  private static long drainTogether(RateLimiter.Share a, RateLimiter.Share b, long now) {
    long admitted = 0;
    boolean more = true;
    while (more) {
      boolean fromA = admitted(a, now);
      boolean fromB = admitted(b, now);
      admitted += (fromA ? 1 : 0) + (fromB ? 1 : 0);
      more = fromA || fromB;
    }
    return admitted;
  }
}
