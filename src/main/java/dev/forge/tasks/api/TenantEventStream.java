package dev.forge.tasks.api;

import dev.forge.tasks.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/events}: every change of every task of one tenant, as Server-Sent Events, for as
 * long as the client stays. Each event is {@code task.updated} with the Trace, and the id
 * {@code <updated_at>-<seq>-<version>}; a deleted task sends {@code task.deleted} (no id).
 *
 * <p>Resume: {@code updated_at} is set by Postgres, one clock for the whole cluster, so it orders
 * changes across nodes without a counter of its own. A client that comes back with
 * {@code Last-Event-ID} (or {@code ?last_event_id=}) gets, from the store, the current state of
 * every task changed at or after that second minus {@link Feed#replayWindowMs()} (a write in flight when
 * the last event was sent may commit with an earlier {@code updated_at}), oldest first, then the
 * live changes held meanwhile. So a resumed client sees each task's newest state at least once;
 * it may see a state twice, never misses one, but never sees a deleted task again.
 *
 * <p>Slow readers: while the connection's write queue is full, changes wait in a backlog that keeps
 * only the newest state of each task; past {@link #MAX_BACKLOG} tasks the stream ends, and the
 * client's resume replays from Postgres. Older states than the one sent (from another node, out
 * of order) are dropped. Everything runs on the HTTP verticle's event loop.
 */
final class TenantEventStream implements TenantWatchers.Listener {

  private static final Logger LOG = LoggerFactory.getLogger(TenantEventStream.class);
  private static final Buffer KEEP_ALIVE = Buffer.buffer(": keep-alive\n\n");
  /** Replay page size: one store request per page, the next one after the page is written. */
  static final int REPLAY_PAGE = 200;
  /** Tasks whose newest state waits for a slow reader; beyond it the stream ends and the client resumes. */
  static final int MAX_BACKLOG = 10_000;
  /** Tasks whose last sent version is remembered, to drop states that arrive late from other nodes. */
  private static final int MAX_REMEMBERED = 10_000;

  /** One event ready to write: which state of which task it is, and its bytes. */
  private record Event(String taskId, long seq, long version, boolean deleted, Buffer frame) {

    boolean newerThan(Event other) {
      return seq != other.seq ? seq > other.seq : version > other.version || deleted && !other.deleted;
    }
  }

  /** A task's (seq, version) as last sent. */
  private record Sent(long seq, long version) {
  }

  /**
   * What every stream of one HTTP verticle shares: its tenant watchers, the keep-alive interval,
   * how far before the resumed event a replay starts, and {@code replay}, which sends a request to
   * {@link Addresses#EVENTS_REPLAY}.
   */
  record Feed(Vertx vertx, TenantWatchers watchers, long keepAliveMs, long replayWindowMs,
              Function<JsonObject, Future<JsonObject>> replay) {
  }

  /**
   * Which changes a stream sends: tasks of {@code type} (null: all) in one of {@code statuses}
   * (null: all); a deletion of a task of that type whatever its status.
   */
  record Filter(Set<String> statuses, String type) {

    /** The filter of a list query's {@code status} and {@code type} (as {@link QueryParams#listQuery} checks them). */
    static Filter of(JsonObject query) {
      JsonArray status = query.getJsonArray("status");
      Set<String> statuses = null;
      if (status != null) {
        statuses = new LinkedHashSet<>();
        for (Object s : status) {
          statuses.add((String) s);
        }
      }
      return new Filter(statuses, query.getString("type"));
    }

    boolean hasType(JsonObject trace) {
      return type == null || type.equals(trace.getString("type"));
    }

    boolean hasStatus(String status) {
      return statuses == null || statuses.contains(status);
    }

    /** {@code query} with this filter in the form of {@link Addresses#EVENTS_REPLAY}. */
    JsonObject addTo(JsonObject query) {
      query.put("type", type);
      if (statuses != null) {
        query.put("status", new JsonArray(statuses.stream().toList()));
      }
      return query;
    }
  }

  private final Feed feed;
  private final RoutingContext ctx;
  private final String tenant;
  private final Filter filter;
  private final LinkedHashMap<String, Event> backlog = new LinkedHashMap<>();
  private final LinkedHashMap<String, Sent> sent = new LinkedHashMap<>();
  /** Changes wait in the backlog until the response is open and any replay has been written. */
  private boolean holding = true;
  private Runnable afterDrain;
  private long keepAlive = -1;
  private boolean done;

  /** The stream of {@code ctx}'s tenant (as authentication set it), under {@code filter}. */
  TenantEventStream(Feed feed, RoutingContext ctx, Filter filter) {
    this.feed = feed;
    this.ctx = ctx;
    this.tenant = ctx.get(TaskRoutes.TENANT);
    this.filter = filter;
  }

  /** Subscribes first, then replays from {@code lastEventId} (may be null: live changes only). */
  void start(String lastEventId) {
    HttpServerResponse response = ctx.response();
    response.closeHandler(v -> finish());
    feed.watchers().add(tenant, this).onComplete(added -> {
      if (added.failed()) {
        finish();
        HttpErrors.send(ctx, added.cause());
        return;
      }
      if (!added.result()) {
        finish();
        HttpErrors.send(ctx, HttpErrors.tooManyWaiters());
        return;
      }
      if (done) {
        return;
      }
      response.setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, ApiHeaders.EVENT_STREAM)
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader(ApiHeaders.X_ACCEL_BUFFERING, "no")
        .drainHandler(v -> flush());
      response.write(Buffer.buffer("retry: 2000\n\n")); // sends the headers now: the client knows it is subscribed
      keepAlive = feed.vertx().setPeriodic(feed.keepAliveMs(), t -> response.write(KEEP_ALIVE));
      Long since = resumeSecond(lastEventId);
      if (since != null) {
        replay(Math.max(0, since * 1_000_000 - feed.replayWindowMs() * 1000), 0);
      } else {
        holding = false;
        flush();
      }
    });
  }

  /** The second an event id names ({@code <updated_at>-...} or a bare number), or null. */
  static Long resumeSecond(String lastEventId) {
    if (lastEventId == null) {
      return null;
    }
    String head = lastEventId.trim().split("-", 2)[0];
    if (head.isEmpty() || head.length() > 12 || !head.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return null;
    }
    return Long.parseLong(head);
  }

  private void replay(long sinceUs, long afterSeq) {
    JsonObject query = filter.addTo(new JsonObject().put("tenant", tenant).put("since_us", sinceUs).put("after_seq", afterSeq)
      .put("limit", REPLAY_PAGE));
    feed.replay().apply(query).onComplete(got -> {
      if (done) {
        return;
      }
      if (got.failed()) {
        // The client keeps its last id and resumes from it: end rather than leave a hole.
        LOG.warn("Event stream of tenant {}: replay failed ({}); closing so the client resumes", tenant,
          got.cause().getMessage());
        close();
        return;
      }
      JsonArray events = got.result().getJsonArray("events");
      JsonObject last = null;
      for (int i = 0; i < events.size(); i++) {
        last = events.getJsonObject(i);
        JsonObject trace = last.getJsonObject("trace");
        offer(updated(trace, last.getLong("seq"), last.getLong("version")));
      }
      if (got.result().getBoolean("has_more") && last != null) {
        long nextSince = last.getLong("updated_us");
        long nextSeq = last.getLong("seq");
        afterDrain = () -> replay(nextSince, nextSeq);
      } else {
        holding = false;
      }
      flush();
    });
  }

  @Override
  public void onChange(TenantWatchers.Change change) {
    if (done) {
      return;
    }
    JsonObject trace = change.trace();
    if (!filter.hasType(trace)) {
      return;
    }
    if (change.deleted()) {
      Buffer data = new JsonObject().put("id", change.taskId()).put("object", "task.deleted").put("deleted", true).toBuffer();
      offer(new Event(change.taskId(), change.seq(), change.version(), true,
        Buffer.buffer().appendString("event: task.deleted\ndata: ").appendBuffer(data).appendString("\n\n")));
    } else if (filter.hasStatus(change.status())) {
      offer(updated(trace, change.seq(), change.version()));
    }
  }

  private static Event updated(JsonObject trace, long seq, long version) {
    Buffer data = trace.toBuffer();
    String id = trace.getLong("updated_at") + "-" + Long.toString(seq, 36) + "-" + version;
    return new Event(trace.getString("id"), seq, version, false, Buffer.buffer(data.length() + 80)
      .appendString("event: task.updated\nid: ").appendString(id).appendString("\ndata: ").appendBuffer(data)
      .appendString("\n\n"));
  }

  /** Writes the event now, or keeps it (the newest per task) until the reader catches up. */
  private void offer(Event event) {
    Sent last = sent.get(event.taskId());
    if (last != null && !event.newerThan(new Event(event.taskId(), last.seq(), last.version(), false, null))) {
      return;
    }
    Event waiting = backlog.get(event.taskId());
    if (waiting != null && !event.newerThan(waiting)) {
      return;
    }
    if (!holding && backlog.isEmpty() && !ctx.response().writeQueueFull()) {
      write(event);
      return;
    }
    backlog.remove(event.taskId());
    backlog.put(event.taskId(), event);
    if (backlog.size() > MAX_BACKLOG) {
      LOG.info("Event stream of tenant {}: reader too slow ({} tasks waiting); closing so the client resumes",
        tenant, backlog.size());
      close();
    }
  }

  /** Writes what waits while the connection takes it; then fetches the next replay page, if any. */
  private void flush() {
    if (done) {
      return;
    }
    HttpServerResponse response = ctx.response();
    Iterator<Map.Entry<String, Event>> it = backlog.entrySet().iterator();
    while (it.hasNext() && !response.writeQueueFull()) {
      Event next = it.next().getValue();
      it.remove();
      write(next);
    }
    if (backlog.isEmpty() && afterDrain != null && !response.writeQueueFull()) {
      Runnable next = afterDrain;
      afterDrain = null;
      next.run();
    }
  }

  private void write(Event event) {
    sent.remove(event.taskId());
    sent.put(event.taskId(), new Sent(event.seq(), event.version()));
    if (sent.size() > MAX_REMEMBERED) {
      Iterator<String> oldest = sent.keySet().iterator();
      oldest.next();
      oldest.remove();
    }
    ctx.response().write(event.frame());
  }

  private void close() {
    finish();
    ctx.response().end();
  }

  private void finish() {
    if (!done) {
      done = true;
      feed.watchers().remove(tenant, this);
      if (keepAlive != -1) {
        feed.vertx().cancelTimer(keepAlive);
      }
      backlog.clear();
    }
  }
}
