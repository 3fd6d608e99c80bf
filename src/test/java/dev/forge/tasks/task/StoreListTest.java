package dev.forge.tasks.task;

import static dev.forge.tasks.task.StoreBusTest.ids;
import static dev.forge.tasks.task.StoreFixture.assertTrace;
import static dev.forge.tasks.task.StoreFixture.idBody;
import static dev.forge.tasks.task.StoreFixture.report;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.forge.tasks.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link Addresses#LIST}: pages, both orders, both cursors in both orders, filters, and the
 * refusals of bad parameters. Seven tasks {@code t1..t7} are created one after the other (so in
 * that creation order) for every test.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class StoreListTest {

  private static final List<String> ALL = List.of("t1", "t2", "t3", "t4", "t5", "t6", "t7");

  private StoreFixture store;

  @BeforeEach
  void startStoreWithSevenTasks(Vertx vertx, VertxTestContext ctx) {
    store = StoreFixture.onFreshDatabase(vertx);
    Future<?> chain = store.start();
    for (String id : ALL) {
      // t1, t3, t5, t7 are noop; t2, t4, t6 document_analysis.
      String type = Integer.parseInt(id.substring(1)) % 2 == 1 ? "noop" : "document_analysis";
      chain = chain.compose(v -> store.create(new JsonObject().put("id", id).put("type", type)));
    }
    chain.onComplete(ctx.succeedingThenComplete());
  }

  private Future<JsonObject> list(JsonObject query) {
    return store.call(Addresses.LIST, query).map(list -> {
      assertEquals("list", list.getString("object"));
      list.getJsonArray("data").forEach(t -> assertTrace((JsonObject) t));
      return list;
    });
  }

  /** Lists with {@code query} and checks the exact page, has_more, first_id and last_id. */
  private Future<Void> page(JsonObject query, List<String> expected, boolean hasMore) {
    return list(query).map(list -> {
      assertEquals(expected, ids(list), () -> "page for " + query);
      assertEquals(hasMore, list.getBoolean("has_more"), () -> "has_more for " + query);
      assertEquals(expected.isEmpty() ? null : expected.get(0), list.getString("first_id"), () -> "first_id for " + query);
      assertEquals(expected.isEmpty() ? null : expected.get(expected.size() - 1), list.getString("last_id"),
        () -> "last_id for " + query);
      return null;
    });
  }

  private static JsonObject q(int limit, String order) {
    return new JsonObject().put("limit", limit).put("order", order);
  }

  @Test
  void defaultsAreNewestFirstAndTwentyPerPage(VertxTestContext ctx) {
    page(new JsonObject(), List.of("t7", "t6", "t5", "t4", "t3", "t2", "t1"), false)
      .compose(v -> page(new JsonObject().put("order", "asc"), ALL, false))
      .compose(v -> page(q(7, "asc"), ALL, false))
      .compose(v -> page(q(6, "asc"), ALL.subList(0, 6), true))
      .compose(v -> page(q(1, "desc"), List.of("t7"), true))
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void walksForwardWithAfterInBothOrders(VertxTestContext ctx) {
    page(q(3, "desc"), List.of("t7", "t6", "t5"), true)
      .compose(v -> page(q(3, "desc").put("after", "t5"), List.of("t4", "t3", "t2"), true))
      .compose(v -> page(q(3, "desc").put("after", "t2"), List.of("t1"), false))
      .compose(v -> page(q(3, "desc").put("after", "t1"), List.of(), false))
      .compose(v -> page(q(3, "asc"), List.of("t1", "t2", "t3"), true))
      .compose(v -> page(q(3, "asc").put("after", "t3"), List.of("t4", "t5", "t6"), true))
      .compose(v -> page(q(3, "asc").put("after", "t6"), List.of("t7"), false))
      .compose(v -> page(q(3, "asc").put("after", "t7"), List.of(), false))
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void walksBackWithBeforeInBothOrders(VertxTestContext ctx) {
    // "before" pages end next to the cursor, in the list's own order; has_more looks further back.
    page(q(2, "desc").put("before", "t4"), List.of("t6", "t5"), true)
      .compose(v -> page(q(3, "desc").put("before", "t4"), List.of("t7", "t6", "t5"), false))
      .compose(v -> page(q(3, "desc").put("before", "t6"), List.of("t7"), false))
      .compose(v -> page(q(3, "desc").put("before", "t7"), List.of(), false))
      .compose(v -> page(q(3, "asc").put("before", "t5"), List.of("t2", "t3", "t4"), true))
      .compose(v -> page(q(3, "asc").put("before", "t3"), List.of("t1", "t2"), false))
      .compose(v -> page(q(3, "asc").put("before", "t1"), List.of(), false))
      .compose(v -> page(q(10, "asc").put("after", "t2").put("before", "t6"), List.of("t3", "t4", "t5"), false))
      .compose(v -> page(q(2, "asc").put("after", "t2").put("before", "t6"), List.of("t3", "t4"), true))
      .compose(v -> page(q(10, "desc").put("after", "t6").put("before", "t2"), List.of("t5", "t4", "t3"), false))
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void pagingByCursorVisitsEveryTaskOnce(VertxTestContext ctx) {
    walk(q(2, "desc"), "after", null, new ArrayList<>())
      .map(seen -> {
        assertEquals(List.of("t7", "t6", "t5", "t4", "t3", "t2", "t1"), seen);
        return null;
      })
      .compose(v -> walk(q(3, "asc"), "after", null, new ArrayList<>()))
      .map(seen -> {
        assertEquals(ALL, seen);
        return null;
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  private Future<List<String>> walk(JsonObject query, String cursorKey, String cursor, List<String> seen) {
    JsonObject q = cursor == null ? query : query.copy().put(cursorKey, cursor);
    return list(q).compose(list -> {
      seen.addAll(ids(list));
      return list.getBoolean("has_more") ? walk(query, cursorKey, list.getString("last_id"), seen)
        : Future.succeededFuture(seen);
    });
  }

  @Test
  void filtersByStatusesAndType(VertxTestContext ctx) {
    // t1 completed, t2 cancelled, t3 failed, the rest pending.
    store.claim("w", 1, "noop")
      .compose(jobs -> store.call(Addresses.JOB_COMPLETE, report(jobs.getJsonObject(0))))
      .compose(v -> store.call(Addresses.CANCEL, idBody("t2")))
      .compose(v -> store.claim("w", 1, "noop"))
      .compose(jobs -> store.call(Addresses.JOB_FAIL, report(jobs.getJsonObject(0)).put("reason", "no")
        .put("retryable", false)))
      .compose(v -> page(q(10, "asc").put("status", new JsonArray().add("completed")), List.of("t1"), false))
      .compose(v -> page(q(10, "asc").put("status", new JsonArray().add("cancelled").add("failed")),
        List.of("t2", "t3"), false))
      .compose(v -> page(q(10, "desc").put("status", new JsonArray().add("pending")), List.of("t7", "t6", "t5", "t4"),
        false))
      .compose(v -> page(q(10, "asc").put("status", new JsonArray().add("in_progress")), List.of(), false))
      .compose(v -> page(q(2, "asc").put("status", new JsonArray().add("pending").add("completed")),
        List.of("t1", "t4"), true))
      // A cursor need not match the filter.
      .compose(v -> page(q(2, "asc").put("status", new JsonArray().add("pending")).put("after", "t2"),
        List.of("t4", "t5"), true))
      .compose(v -> page(q(10, "asc").put("type", "document_analysis"), List.of("t2", "t4", "t6"), false))
      .compose(v -> page(q(10, "asc").put("type", "noop").put("status", new JsonArray().add("pending")),
        List.of("t5", "t7"), false))
      .compose(v -> page(q(10, "asc").put("type", "other"), List.of(), false))
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void refusesBadParametersNamingThem(VertxTestContext ctx) {
    List<Future<?>> checks = new ArrayList<>();
    checks.add(param(new JsonObject().put("after", "no-such-task"), "after"));
    checks.add(param(new JsonObject().put("before", "no-such-task"), "before"));
    checks.add(param(new JsonObject().put("order", "asc").put("after", "no-such-task"), "after"));
    checks.add(param(new JsonObject().put("order", "asc").put("before", "no-such-task"), "before"));
    checks.add(param(new JsonObject().put("after", "not a task id"), "after"));
    checks.add(param(new JsonObject().put("before", 5), "before"));
    // Another tenant's task is no cursor either.
    checks.add(param(new JsonObject().put("tenant", "other").put("after", "t3"), "after"));
    for (Object limit : List.of(0, 101, -1, 2.5, "10")) {
      checks.add(param(new JsonObject().put("limit", limit), "limit"));
    }
    for (Object order : List.of("up", "ASC", "", 1)) {
      checks.add(param(new JsonObject().put("order", order), "order"));
    }
    checks.add(param(new JsonObject().put("status", new JsonArray().add("done")), "status"));
    checks.add(param(new JsonObject().put("status", new JsonArray()), "status"));
    checks.add(param(new JsonObject().put("status", "pending"), "status"));
    checks.add(param(new JsonObject().put("type", 3), "type"));
    // The limits themselves are accepted.
    checks.add(page(new JsonObject().put("limit", 1).put("order", "asc"), List.of("t1"), true));
    checks.add(page(new JsonObject().put("limit", 100).put("order", "asc"), ALL, false));
    Future.all(checks).onComplete(ctx.succeedingThenComplete());
  }

  private Future<?> param(JsonObject query, String param) {
    return store.refused(Addresses.LIST, query, 400, "invalid_parameter").map(e -> {
      assertEquals(param, e.param(), () -> "param of " + e + " for " + query);
      return e;
    });
  }
}
