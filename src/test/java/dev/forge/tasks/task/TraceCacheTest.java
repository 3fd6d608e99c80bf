package dev.forge.tasks.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.TaskStatus;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The node cache on its own: newest state wins, tombstones, first-in first-out bound, expiry. */
class TraceCacheTest {

  private final AtomicLong now = new AtomicLong();

  private static Trace trace(String id, long seq, long version, TaskStatus status) {
    return new Trace(Addresses.DEFAULT_TENANT, id, seq, "noop", status, 0.0, new JsonObject().put("operation", "noop"),
      1, 1, null, version);
  }

  private static TraceCache.Entry held(TraceCache cache, String id) {
    return cache.get(Addresses.DEFAULT_TENANT, id);
  }

  private TraceCache cache(long max, long ttlMs) {
    return new TraceCache(max, ttlMs, now::get);
  }

  @Test
  void anOlderStateNeverReplacesANewerOne() {
    TraceCache cache = cache(10, -1);
    cache.put(trace("a", 1, 2, TaskStatus.IN_PROGRESS));
    cache.put(trace("a", 1, 1, TaskStatus.PENDING));
    assertEquals(2, held(cache, "a").version());
    cache.put(trace("a", 1, 3, TaskStatus.COMPLETED));
    assertEquals(TaskStatus.COMPLETED, held(cache, "a").status());
  }

  @Test
  void aDeletionHoldsOffLateWritesOfTheDeletedRowButNotANewTaskOfTheSameId() {
    TraceCache cache = cache(10, -1);
    cache.put(trace("a", 1, 3, TaskStatus.COMPLETED));
    cache.deleted(trace("a", 1, 3, TaskStatus.COMPLETED));
    assertNull(held(cache, "a"));
    cache.put(trace("a", 1, 3, TaskStatus.COMPLETED)); // a read that raced with the deletion
    assertNull(held(cache, "a"), "the deleted task does not come back");
    cache.put(trace("a", 2, 1, TaskStatus.PENDING)); // created again: a new row
    assertEquals(TaskStatus.PENDING, held(cache, "a").status());
  }

  @Test
  void whenFullTheFirstToArriveLeavesFirstAndReadsChangeNothing() {
    TraceCache cache = cache(3, -1);
    cache.put(trace("a", 1, 1, TaskStatus.PENDING));
    cache.put(trace("b", 2, 1, TaskStatus.PENDING));
    cache.put(trace("c", 3, 1, TaskStatus.PENDING));
    held(cache, "a");
    cache.put(trace("a", 1, 2, TaskStatus.IN_PROGRESS)); // an update is no new arrival
    cache.put(trace("d", 4, 1, TaskStatus.PENDING));
    assertEquals(3, cache.size());
    assertNull(held(cache, "a"), "the first to arrive left, though read and updated since");
    assertNotNull(held(cache, "b"));
    assertNotNull(held(cache, "d"));
  }

  @Test
  void forgottenTasksDoNotGrowTheArrivalQueueWithoutBound() {
    TraceCache cache = cache(2, -1);
    cache.put(trace("keep", 1, 1, TaskStatus.PENDING));
    for (int i = 0; i < 10_000; i++) {
      cache.put(trace("churn", 2, i + 1, TaskStatus.PENDING));
      cache.forget(Addresses.DEFAULT_TENANT, "churn");
    }
    assertTrue(cache.arrivalsQueued() <= 4, () -> "arrival queue of " + cache.arrivalsQueued() + " keys for a cache of 2");
    assertTrue(cache.size() <= 1);
    cache.put(trace("last", 3, 1, TaskStatus.PENDING));
    assertNotNull(held(cache, "last"));
  }

  @Test
  void entriesExpireAfterTheTtlAndAnExpiredEntryCountsAsNone() {
    TraceCache cache = cache(10, 1000);
    cache.put(trace("a", 1, 5, TaskStatus.IN_PROGRESS));
    now.addAndGet(999_000_000L);
    assertNotNull(held(cache, "a"));
    now.addAndGet(2_000_000L);
    assertNull(held(cache, "a"), "older than the TTL");
    cache.put(trace("a", 1, 4, TaskStatus.IN_PROGRESS)); // what the database says now
    assertEquals(4, held(cache, "a").version(), "an expired state does not hold back a read");
  }
}
