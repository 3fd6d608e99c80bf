package dev.forge.tasks.task;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.forge.tasks.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

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
 */
public final class TraceCache {

  /**
   * A cached task: the Trace as JSON bytes (about 0.3 KB; no object tree is kept, so a million
   * entries fit in about half a gigabyte), and what ordering and HTTP need.
   */
  public record Entry(long seq, long version, String etag, String status, byte[] json, boolean deleted) {

    /** The Trace's JSON, ready to send. */
    public Buffer body() {
      return Buffer.buffer(json);
    }

    boolean newerThan(Entry other) {
      return seq != other.seq ? seq > other.seq : version > other.version;
    }

    static Entry of(Trace t, JsonObject json) {
      return new Entry(t.seq(), t.version(), t.etag(), t.status().wire(), json.toBuffer().getBytes(), false);
    }
  }

  private record Key(String tenant, String id) {
  }

  private final Cache<Key, Entry> entries;
  private MessageConsumer<JsonObject> consumer;

  /**
   * A cache of at most {@code maxEntries} tasks, each kept at most {@code ttlMs} after its last
   * write, or until evicted when {@code ttlMs} is negative.
   */
  public TraceCache(long maxEntries, long ttlMs) {
    Caffeine<Object, Object> builder = Caffeine.newBuilder().maximumSize(maxEntries);
    if (ttlMs >= 0) {
      builder.expireAfterWrite(Duration.ofMillis(ttlMs));
    }
    this.entries = builder.build();
  }

  /** The cached task, or null when it is not cached (or was deleted). */
  public Entry get(String tenant, String id) {
    Entry e = entries.getIfPresent(new Key(tenant, id));
    return e == null || e.deleted() ? null : e;
  }

  void put(Trace t) {
    put(t, t.toJson());
  }

  /** Caches {@code t}, whose Trace JSON the caller already built. */
  void put(Trace t, JsonObject json) {
    offer(new Key(t.tenant(), t.id()), Entry.of(t, json));
  }

  void deleted(Trace t) {
    offer(new Key(t.tenant(), t.id()), tombstone(t.seq()));
  }

  /** Forgets one task: its stored state is no longer known (a write's outcome was lost). */
  void forget(String tenant, String id) {
    entries.invalidate(new Key(tenant, id));
  }

  /** Forgets every task: changes may have been missed (cluster membership changed). */
  public void clear() {
    entries.invalidateAll();
  }

  private static Entry tombstone(long seq) {
    return new Entry(seq, Long.MAX_VALUE, null, null, null, true);
  }

  private void offer(Key key, Entry candidate) {
    entries.asMap().compute(key, (k, held) -> held == null || candidate.newerThan(held) ? candidate : held);
  }

  /**
   * Applies the changes published by every store of the cluster (this node's included, harmlessly).
   * Only a clustered node needs it: alone, its own store writes every change here itself.
   */
  public Future<Void> listen(Vertx vertx) {
    consumer = vertx.eventBus().consumer(Addresses.UPDATED, m -> offer(m.headers(), m.body()));
    return consumer.completion();
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
    Entry held = entries.getIfPresent(key);
    if (held != null && (held.seq() > seq || held.seq() == seq && held.version() >= version)) {
      return; // Already held: this node's own store wrote it before publishing. Skip the encoding.
    }
    offer(key, new Entry(seq, version, etag, h.get(Addresses.HEADER_STATUS), trace.toBuffer().getBytes(), false));
  }

  public Future<Void> close() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  /** Entries held (tombstones included); for metrics. */
  public long size() {
    return entries.estimatedSize();
  }
}
