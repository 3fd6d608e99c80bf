package dev.forge.tasks.webhook;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A map of at most {@code max} entries that drops the least recently used one beyond that: the
 * sender's small caches (resolved hosts, checked URLs, signing keys). Not thread-safe: each is kept
 * by one thread (an event loop, or per thread).
 */
final class LruMap<K, V> extends LinkedHashMap<K, V> {

  private static final long serialVersionUID = 1L;
  private final int max;

  LruMap(int max) {
    super(16, 0.75f, true);
    this.max = max;
  }

  @Override
  protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
    return size() > max;
  }
}
