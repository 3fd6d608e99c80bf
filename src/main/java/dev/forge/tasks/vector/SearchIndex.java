package dev.forge.tasks.vector;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's in-memory copy of the stores it searches: each store's completed files with their
 * vectors ({@link FileVectors}), as of one version of the store. Every search first reads the
 * store's version in Postgres (one primary-key read), and a copy of an older version is rebuilt
 * before the search runs: a join, a leave, a file deleted or a store deleted on any node of the
 * cluster (each raises the version, triggers included) is seen by this node's next search.
 *
 * <p>A rebuild reads the store's member list and loads only the files this node does not hold
 * yet, once for all its stores: files are keyed by the file row's identity ({@code files.seq}),
 * never reused for another file of the same id. Copies are dropped least recently used first
 * when their vectors pass {@code maxBytes}. Event-loop confined: the verticle's context only.
 */
final class SearchIndex {

  private static final Logger LOG = LoggerFactory.getLogger(SearchIndex.class);
  /** Vectors read per statement while loading a file. */
  static final int LOAD_PAGE = 2048;

  /** One store as of {@code version}: its completed files and their vectors, in join order. */
  record Entry(long version, List<VectorStoreDb.Member> members, List<FileVectors> blocks) {
  }

  private record Key(String tenant, String id) {
  }

  private final VectorStoreDb db;
  private final int dimensions;
  private final long maxBytes;
  private final LinkedHashMap<Key, Entry> stores = new LinkedHashMap<>(16, 0.75f, true);
  private final Map<Long, FileVectors> blocks = new HashMap<>();
  private final Map<Long, Future<FileVectors>> loading = new HashMap<>();

  SearchIndex(VectorStoreDb db, int dimensions, long maxBytes) {
    this.db = db;
    this.dimensions = dimensions;
    this.maxBytes = maxBytes;
  }

  /** The copy of the store this node holds, current or not; null when none. */
  Entry held(String tenant, String id) {
    return stores.get(new Key(tenant, id));
  }

  /** The store's version in Postgres now (404 when it does not exist, 409 when it has expired). */
  Future<Long> version(String tenant, String id) {
    return db.version(tenant, id).onFailure(err -> forget(tenant, id));
  }

  /** The store as of its current version (404 when it does not exist). */
  Future<Entry> current(String tenant, String id) {
    Key key = new Key(tenant, id);
    return version(tenant, id)
      .compose(version -> {
        Entry held = stores.get(key);
        return held != null && held.version() == version ? Future.succeededFuture(held) : rebuild(key);
      });
  }

  void forget(String tenant, String id) {
    if (stores.remove(new Key(tenant, id)) != null) {
      prune();
    }
  }

  /** Bytes of vectors held now (each file once, however many stores hold it). */
  long bytes() {
    long total = 0;
    for (FileVectors b : blocks.values()) {
      total += b.bytes();
    }
    return total;
  }

  private Future<Entry> rebuild(Key key) {
    return db.snapshot(key.tenant(), key.id()).compose(snapshot -> {
      List<Future<FileVectors>> loads = new ArrayList<>();
      for (VectorStoreDb.Member m : snapshot.members()) {
        loads.add(block(key.tenant(), m));
      }
      return Future.all(loads).map(all -> {
        List<FileVectors> list = new ArrayList<>();
        for (int i = 0; i < loads.size(); i++) {
          list.add(all.resultAt(i));
        }
        Entry entry = new Entry(snapshot.version(), snapshot.members(), list);
        Entry held = stores.get(key);
        if (held == null || held.version() <= entry.version()) {
          stores.put(key, entry);
          evict(key);
        }
        return entry;
      });
    });
  }

  private Future<FileVectors> block(String tenant, VectorStoreDb.Member m) {
    FileVectors held = blocks.get(m.fileSeq());
    if (held != null) {
      return Future.succeededFuture(held);
    }
    return loading.computeIfAbsent(m.fileSeq(), seq -> {
      List<Integer> segments = new ArrayList<>();
      List<float[]> rows = new ArrayList<>();
      return loadPage(tenant, m.fileId(), -1, segments, rows).map(v -> {
        int[] idx = segments.stream().mapToInt(Integer::intValue).toArray();
        FileVectors b = FileVectors.of(m.fileId(), dimensions, idx, rows);
        blocks.put(seq, b);
        return b;
      }).onComplete(done -> loading.remove(seq));
    });
  }

  private Future<Void> loadPage(String tenant, String fileId, int after, List<Integer> segments, List<float[]> rows) {
    return db.vectors(tenant, fileId, after, LOAD_PAGE).compose(page -> {
      int last = after;
      for (Row r : page) {
        Buffer raw = r.getBuffer("vector");
        if (raw.length() != 4 * dimensions) {
          LOG.warn("File {}: segment {} has a vector of {} bytes, not {}; left out of search", fileId,
            r.getInteger("idx"), raw.length(), 4 * dimensions);
        } else {
          segments.add(r.getInteger("idx"));
          rows.add(SegmentEmbedding.floats(raw.getBytes()));
        }
        last = r.getInteger("idx");
      }
      return page.size() < LOAD_PAGE ? Future.succeededFuture() : loadPage(tenant, fileId, last, segments, rows);
    });
  }

  /** Drops the least recently used stores (never {@code keep}) while the vectors held pass the bound. */
  private void evict(Key keep) {
    prune();
    var it = stores.entrySet().iterator();
    while (bytes() > maxBytes && it.hasNext()) {
      var e = it.next();
      if (!e.getKey().equals(keep)) {
        LOG.info("Search copy of vector store {} dropped: this node holds more than {} bytes of vectors",
          e.getKey().id(), maxBytes);
        it.remove();
        prune();
      }
    }
  }

  /** Keeps only the files some held store still refers to. */
  private void prune() {
    Map<FileVectors, Boolean> used = new IdentityHashMap<>();
    for (Entry e : stores.values()) {
      e.blocks().forEach(b -> used.put(b, true));
    }
    blocks.values().removeIf(b -> !used.containsKey(b));
  }
}
