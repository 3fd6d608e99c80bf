package dev.forge.tasks.task;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.TaskStatus;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The node's copy of recently read or changed tasks, so that a status poll usually costs no query
 * and no serialisation. Shared by every verticle of the node; thread-safe.
 *
 * <p>Freshness: the store writes each task it persisted or read here before it replies, and the HTTP
 * side offers each mutation's reply here before it answers (in a cluster the store that persisted it
 * may be on another node), so on the node that acknowledged a change no later read sees an older
 * state. Changes made through other nodes arrive through {@link Addresses#UPDATED}; until then
 * (milliseconds) this node may serve the previous state.
 *
 * <p>Expiry: on a node that is not clustered every change passes through its own store, so entries
 * need no expiry (they leave only when the cache is full); a write whose outcome the store could not
 * learn (the connection failed after sending it) drops the task's entry instead. In a cluster an
 * update lost between nodes cannot be noticed, so entries expire after a TTL, and the whole cache is
 * dropped when a node joins or leaves (what a partition looks like).
 *
 * <p>Entries only move forward: a write older than what is held (by row and version) is ignored,
 * and a deletion leaves a tombstone so that a read racing with it cannot bring the task back.
 *
 * <p>Size: at most {@code maxEntries}; when full, the task that entered the cache first leaves first
 * (the tasks clients poll are the recent ones). A read writes nothing: an access-ordered policy (the
 * Caffeine cache used before) relinks an entry on every read, and with a million entries those
 * writes dirtied nearly every card of the old generation, so that each young collection rescanned
 * it (60-150 ms pauses every 3 s at 90,000 reads/s; BENCHMARKS.md, target 3).
 */
public final class TraceCache {

  /**
   * A cached task: the Trace as JSON bytes (about 0.3 KB; no object tree is kept, so a million
   * entries fit in about half a gigabyte), what ordering and HTTP need, and when it was written.
   */
  public record Entry(long seq, long version, String etag, TaskStatus status, byte[] json, boolean deleted,
                      long writtenAt) {

    /** The Trace's JSON, ready to send. */
    public Buffer body() {
      return Buffer.buffer(json);
    }

    boolean newerThan(Entry other) {
      return newer(seq, version, other);
    }

    /** True when the state ({@code seq}, {@code version}) is newer than {@code held}: a later row, or a later version of it. */
    static boolean newer(long seq, long version, Entry held) {
      return seq != held.seq ? seq > held.seq : version > held.version;
    }
  }

  private record Key(String tenant, String id) {
  }

  private final long maxEntries;
  private final long ttlNanos;
  private final LongSupplier clock;
  private final ConcurrentHashMap<Key, Entry> entries = new ConcurrentHashMap<>();
  /** Keys in the order they entered; may also hold keys forgotten since (evicting those is a no-op). */
  private final ConcurrentLinkedQueue<Key> arrivals = new ConcurrentLinkedQueue<>();
  private final AtomicLong queued = new AtomicLong();

  /**
   * A cache of at most {@code maxEntries} tasks, each kept at most {@code ttlMs} after its last
   * write, or until evicted when {@code ttlMs} is negative.
   */
  public TraceCache(long maxEntries, long ttlMs) {
    this(maxEntries, ttlMs, System::nanoTime);
  }

  /** The same, on {@code clock} (nanoseconds; for tests). */
  TraceCache(long maxEntries, long ttlMs, LongSupplier clock) {
    this.maxEntries = maxEntries;
    this.ttlNanos = ttlMs < 0 ? -1 : ttlMs * 1_000_000;
    this.clock = clock;
  }

  /** The cached task, or null when it is not cached (or was deleted). */
  public Entry get(String tenant, String id) {
    Entry e = entries.get(new Key(tenant, id));
    return e == null || e.deleted() || expired(e) ? null : e;
  }

  void put(Trace t) {
    put(t, t.toJson());
  }

  /** Caches {@code t}, whose Trace JSON the caller already built. */
  void put(Trace t, JsonObject json) {
    offer(new Key(t.tenant(), t.id()), entry(t.seq(), t.version(), t.etag(), t.status(), json));
  }

  void deleted(Trace t) {
    offer(new Key(t.tenant(), t.id()), tombstone(t.seq()));
  }

  /** Forgets one task: its stored state is no longer known (a write's outcome was lost). */
  void forget(String tenant, String id) {
    entries.remove(new Key(tenant, id));
  }

  /** Forgets every task: changes may have been missed (cluster membership changed). */
  public void clear() {
    entries.clear();
    arrivals.clear();
    queued.set(0);
  }

  private Entry entry(long seq, long version, String etag, TaskStatus status, JsonObject json) {
    return new Entry(seq, version, etag, status, json.toBuffer().getBytes(), false, clock.getAsLong());
  }

  private Entry tombstone(long seq) {
    return new Entry(seq, Long.MAX_VALUE, null, null, null, true, clock.getAsLong());
  }

  private boolean expired(Entry e) {
    return ttlNanos >= 0 && clock.getAsLong() - e.writtenAt() > ttlNanos;
  }

  /** Holds {@code candidate} unless a newer state is held (an expired one counts as none). */
  private void offer(Key key, Entry candidate) {
    boolean[] arrived = new boolean[1];
    entries.compute(key, (k, held) -> {
      if (held == null) {
        arrived[0] = true;
        return candidate;
      }
      return expired(held) || candidate.newerThan(held) ? candidate : held;
    });
    if (arrived[0]) {
      arrivals.add(key);
      queued.incrementAndGet();
      evict();
    }
  }

  /**
   * Removes the earliest arrivals while the cache holds more than its maximum, or while the arrival
   * queue, which keeps the keys of forgotten tasks until their turn, holds more than twice as many.
   */
  private void evict() {
    while (entries.size() > maxEntries || queued.get() > 2 * maxEntries) {
      Key oldest = arrivals.poll();
      if (oldest == null) {
        return;
      }
      queued.decrementAndGet();
      entries.remove(oldest);
    }
  }

  /**
   * Applies the changes published by every store of the cluster (this node's included, harmlessly).
   * Only a clustered node needs it: alone, its own store writes every change here itself.
   */
  public Future<Void> listen(Vertx vertx) {
    return vertx.eventBus().<JsonObject>consumer(Addresses.UPDATED, m -> offer(m.headers(), m.body())).completion();
  }

  /**
   * Applies one change known from the bus: a {@link Addresses#UPDATED} event or a store's reply to a
   * mutation (a Trace with the headers of {@link Trace#headers()}; a deletion carries
   * {@link Addresses#HEADER_DELETED}). Ignored when this cache already holds that state or a newer one.
   */
  public void offer(MultiMap h, JsonObject trace) {
    String etag = h.get(Addresses.HEADER_ETAG);
    if (etag == null) {
      return;
    }
    long seq = Trace.seqOf(etag);
    Key key = new Key(h.get(Addresses.HEADER_TENANT), h.get(Addresses.HEADER_TASK_ID));
    if ("true".equals(h.get(Addresses.HEADER_DELETED))) {
      offer(key, tombstone(seq));
      return;
    }
    long version = Long.parseLong(h.get(Addresses.HEADER_VERSION));
    Entry held = entries.get(key);
    if (held != null && !expired(held) && !Entry.newer(seq, version, held)) {
      return; // Already held: this node's own store wrote it before publishing. Skip the encoding.
    }
    offer(key, entry(seq, version, etag, TaskStatus.fromWire(h.get(Addresses.HEADER_STATUS)), trace));
  }

  /** Keys in the arrival queue (forgotten ones included); for tests. */
  long arrivalsQueued() {
    return queued.get();
  }

  /** Entries held (tombstones included); for metrics. */
  public long size() {
    return entries.mappingCount();
  }
}
