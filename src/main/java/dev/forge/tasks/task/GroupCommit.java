package dev.forge.tasks.task;

import dev.forge.tasks.db.StoreFailures;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntConsumer;

/**
 * Natural batching of one kind of write: one statement (one commit) in flight at a time; requests
 * that arrive meanwhile queue, and when it returns everything queued (up to {@code max}) leaves as
 * the next statement. There is no timer: a request that finds nothing in flight leaves at once, so
 * batches form only under load and a lone request keeps its latency.
 *
 * <p>Every caller still gets exactly its own answer. A batch holds at most one request per key, so
 * each row the batch statement returns answers one caller (a second request for the same key waits
 * for the next batch, as it would have waited behind the first on its own). A request whose key did
 * not come back, or every request of a batch that failed, is run again on its own by {@code one},
 * today's single-row path, which tells it precisely why (conflict, cancelled, lease lost, outage).
 *
 * <p>Not thread-safe: used from the store verticle's context only.
 */
final class GroupCommit<K, Q, T> {

  private record Item<K, Q, T>(K key, Q request, Promise<T> promise) {
  }

  private final int max;
  private final IntConsumer sent;
  private final Function<Q, Future<T>> one;
  private final Function<List<Q>, Future<Map<K, T>>> many;
  private final Consumer<K> unsure;
  private final List<Item<K, Q, T>> queue = new ArrayList<>();
  private boolean inFlight;

  /**
   * @param sent told the size of every batch that leaves (1 for a request alone; not the fallbacks)
   * @param one  runs one request alone (also the fallback for requests a batch did not settle)
   * @param many runs several requests (distinct keys) as one statement; the results of those it settled, by key
   * @param unsure told each key of a batch whose statement may have been committed although it failed
   *               (the connection broke while it was in flight): its re-run on its own then finds the
   *               batch's work done and says so (409, 200), but the change itself was never announced
   */
  GroupCommit(int max, IntConsumer sent, Function<Q, Future<T>> one, Function<List<Q>, Future<Map<K, T>>> many,
              Consumer<K> unsure) {
    this.max = max;
    this.sent = sent;
    this.one = one;
    this.many = many;
    this.unsure = unsure;
  }

  Future<T> submit(K key, Q request) {
    Promise<T> promise = Promise.promise();
    queue.add(new Item<>(key, request, promise));
    if (!inFlight) {
      next();
    }
    return promise.future();
  }

  private void next() {
    if (queue.isEmpty()) {
      return;
    }
    List<Item<K, Q, T>> batch = new ArrayList<>(Math.min(queue.size(), max));
    Set<K> keys = new HashSet<>();
    for (Iterator<Item<K, Q, T>> it = queue.iterator(); it.hasNext() && batch.size() < max; ) {
      Item<K, Q, T> item = it.next();
      if (keys.add(item.key())) {
        batch.add(item);
        it.remove();
      }
    }
    inFlight = true;
    sent.accept(batch.size());
    if (batch.size() == 1) {
      Item<K, Q, T> item = batch.get(0);
      run(item).onComplete(done -> settled());
      return;
    }
    Future<Map<K, T>> result;
    try {
      result = many.apply(batch.stream().map(Item::request).toList());
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(done -> {
      Map<K, T> rows = done.succeeded() ? done.result() : Map.of();
      if (done.failed() && StoreFailures.outcomeUnknown(done.cause())) {
        batch.forEach(item -> unsure.accept(item.key()));
      }
      for (Item<K, Q, T> item : batch) {
        T t = rows.get(item.key());
        try {
          if (t != null) {
            item.promise().complete(t);
          } else {
            run(item); // not settled by the batch: today's single-row path says why
          }
        } catch (RuntimeException e) {
          item.promise().tryFail(e); // a caller's continuation threw: the others still get theirs
        }
      }
      settled();
    });
  }

  private Future<T> run(Item<K, Q, T> item) {
    Future<T> f;
    try {
      f = one.apply(item.request());
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    return f.onComplete(item.promise());
  }

  private void settled() {
    inFlight = false;
    next();
  }
}
