package dev.forge.tasks.task;

import static dev.forge.tasks.task.StoreFixture.assertTrace;
import static dev.forge.tasks.task.StoreFixture.idBody;
import static dev.forge.tasks.task.StoreFixture.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The store's client side through the event bus, against real Postgres: create, get, cancel,
 * delete, tenants, ETags and the {@link Addresses#UPDATED} facts.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class StoreBusTest {

  private static final Pattern SERVER_ID = Pattern.compile("task_[0-9A-Za-z]{24}");

  private StoreFixture store;

  @BeforeEach
  void startStore(Vertx vertx, VertxTestContext ctx) {
    store = StoreFixture.onFreshDatabase(vertx);
    store.start().onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void serverMadeIdsAreTaskAnd24RandomBase62(VertxTestContext ctx) {
    Future.all(store.request(Addresses.CREATE, new JsonObject().put("type", "noop")),
        store.request(Addresses.CREATE, new JsonObject().put("type", "document_analysis")))
      .onComplete(ctx.succeeding(replies -> ctx.verify(() -> {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 2; i++) {
          Message<JsonObject> reply = replies.resultAt(i);
          JsonObject t = assertTrace(reply.body());
          assertTrue(SERVER_ID.matcher(t.getString("id")).matches(), () -> "server id " + t.getString("id"));
          assertEquals("true", reply.headers().get(Addresses.HEADER_CREATED));
          assertEquals("1", reply.headers().get(Addresses.HEADER_VERSION));
          assertTrue(reply.headers().get(Addresses.HEADER_ETAG).startsWith("\""), "ETag is a quoted tag");
          assertEquals("pending", t.getString("status"));
          assertEquals(0.0, t.getDouble("progress"));
          assertEquals(new JsonObject().put("operation", t.getString("type")), t.getJsonObject("data"));
          assertNull(t.getValue("failure_reason"));
          ids.add(t.getString("id"));
        }
        assertEquals(2, ids.size(), "two creates, two ids");
        ctx.completeNow();
      })));
  }

  /**
   * Creates one task every 100 ms for 1.1 s, so that creation times fall all over a second: a
   * timestamp rounded to the nearest second instead of truncated shows up as a time in the future.
   */
  @Test
  void timestampsAreIntegerSecondsAndNeverInTheFuture(Vertx vertx, VertxTestContext ctx) {
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < 12; i++) {
      chain = chain.compose(v -> {
        long before = System.currentTimeMillis() / 1000;
        return store.create("noop").map(t -> {
          long after = System.currentTimeMillis() / 1000;
          long created = t.getLong("created_at");
          assertTrue(created >= before && created <= after,
            () -> "created_at " + created + " outside [" + before + ", " + after + "] (unix seconds)");
          assertEquals(created, t.getLong("updated_at"));
          return null;
        });
      }).compose(v -> vertx.timer(100));
    }
    chain.onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void clientChosenIdIsKeptAndCreateIsIdempotentPerType(VertxTestContext ctx) {
    String id = "upload-doc_1.v2:A";
    JsonObject first = new JsonObject().put("type", "noop").put("id", id).put("data", new JsonObject().put("n", 1));
    store.create(first)
      .compose(created -> {
        assertEquals(id, created.getString("id"));
        assertEquals(1, created.getJsonObject("data").getInteger("n"));
        // The same id and type again, with other data: the existing task, untouched.
        return store.request(Addresses.CREATE, first.copy().put("data", new JsonObject().put("n", 2)))
          .map(again -> {
            assertEquals("false", again.headers().get(Addresses.HEADER_CREATED));
            assertEquals(created, assertTrace(again.body()));
            assertEquals("1", again.headers().get(Addresses.HEADER_VERSION));
            return again.headers().get(Addresses.HEADER_ETAG);
          });
      })
      .compose(etag -> store.refused(Addresses.CREATE, new JsonObject().put("type", "document_analysis").put("id", id),
          409, "id_conflict")
        .compose(conflict -> store.request(Addresses.GET, idBody(id)))
        .map(got -> {
          assertEquals("noop", got.body().getString("type"), "a conflicting create changes nothing");
          assertEquals(etag, got.headers().get(Addresses.HEADER_ETAG));
          return null;
        }))
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void createRefusesBadBodies(VertxTestContext ctx) {
    List<Future<?>> checks = new ArrayList<>();
    checks.add(store.refused(Addresses.CREATE, new JsonObject().put("type", "no_such_type"), 400, "unknown_task_type"));
    checks.add(param(new JsonObject(), "type"));
    checks.add(param(new JsonObject().put("type", 7), "type"));
    for (Object badId : List.of("", "-leading-dash", "_x", "has space", "a/b", "x".repeat(129), "é", 42)) {
      checks.add(param(new JsonObject().put("type", "noop").put("id", badId), "id"));
    }
    for (Object bad : List.of(0, 101, -1, 2.5, "3", true)) {
      checks.add(param(new JsonObject().put("type", "noop").put("max_attempts", bad), "max_attempts"));
    }
    checks.add(param(new JsonObject().put("type", "noop").put("data", "text"), "data"));
    checks.add(param(new JsonObject().put("type", "noop").put("data", new JsonArray().add(1)), "data"));
    checks.add(param(new JsonObject().put("type", "noop").put("input", new JsonArray()), "input"));
    checks.add(store.refused(Addresses.CREATE, null, 400, "invalid_json"));
    // Text that Postgres cannot hold is the client's fault, not an internal error.
    checks.add(store.refused(Addresses.CREATE, new JsonObject().put("type", "noop")
      .put("data", new JsonObject().put("name", "nul\u0000byte")), 400, "invalid_parameter"));
    checks.add(store.refused(Addresses.CREATE, new JsonObject().put("type", "noop").put("tenant", "nul\u0000"),
      400, "invalid_parameter"));
    // The limits themselves are accepted.
    checks.add(store.create(new JsonObject().put("type", "noop").put("id", "x".repeat(128)).put("max_attempts", 1)));
    checks.add(store.create(new JsonObject().put("type", "noop").put("id", "0").put("max_attempts", 100)));
    Future.all(checks).onComplete(ctx.succeedingThenComplete());
  }

  private Future<?> param(JsonObject body, String param) {
    return store.refused(Addresses.CREATE, body, 400, "invalid_parameter").map(e -> {
      assertEquals(param, e.param(), () -> "param of " + e + " for " + body);
      return e;
    });
  }

  @Test
  void dataIsMergedWithOperationWhichCannotBeOverridden(VertxTestContext ctx) {
    JsonObject data = new JsonObject().put("operation", "something_else").put("file_id", "file_123")
      .put("chunks", 3).put("nested", new JsonObject().put("a", 1)).put("none", null);
    store.create(new JsonObject().put("type", "document_analysis").put("data", data)
        .put("input", new JsonObject().put("text", "secret input")))
      .onComplete(ctx.succeeding(t -> ctx.verify(() -> {
        assertEquals(new JsonObject().put("operation", "document_analysis").put("file_id", "file_123").put("chunks", 3)
          .put("nested", new JsonObject().put("a", 1)).put("none", null), t.getJsonObject("data"));
        assertTrue(!t.encode().contains("secret input"), "input is kept for the job, never shown");
        ctx.completeNow();
      })));
  }

  @Test
  void unknownAndImpossibleIdsAreNotFound(VertxTestContext ctx) {
    List<Future<?>> checks = new ArrayList<>();
    for (Object id : List.of("task_000000000000000000000000", "nope", "", "../etc/passwd", "a b", "x".repeat(300),
        "line\nbreak", 17)) {
      checks.add(store.refused(Addresses.GET, new JsonObject().put("id", id), 404, "task_not_found"));
      checks.add(store.refused(Addresses.CANCEL, new JsonObject().put("id", id), 404, "task_not_found"));
      checks.add(store.refused(Addresses.DELETE, new JsonObject().put("id", id), 404, "task_not_found"));
    }
    checks.add(store.refused(Addresses.GET, new JsonObject(), 404, "task_not_found"));
    Future.all(checks).onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void tenantsHaveTheirOwnIds(VertxTestContext ctx) {
    JsonObject inA = new JsonObject().put("tenant", "a").put("id", "shared-1").put("type", "noop");
    JsonObject inB = new JsonObject().put("tenant", "b").put("id", "shared-1").put("type", "document_analysis");
    JsonObject onlyA = new JsonObject().put("tenant", "a").put("id", "only-a");
    JsonObject onlyAFromB = new JsonObject().put("tenant", "b").put("id", "only-a");
    store.create(inA)
      .compose(a -> store.create(inB).map(b -> {
        assertNotEquals(a.getString("type"), b.getString("type"));
        return b;
      }))
      .compose(v -> store.create(onlyA.copy().put("type", "noop")))
      .compose(v -> Future.all(
        store.call(Addresses.GET, new JsonObject().put("tenant", "a").put("id", "shared-1"))
          .map(t -> assertEqualsAndReturn("noop", t.getString("type"))),
        store.call(Addresses.GET, new JsonObject().put("tenant", "b").put("id", "shared-1"))
          .map(t -> assertEqualsAndReturn("document_analysis", t.getString("type"))),
        store.refused(Addresses.GET, idBody("shared-1"), 404, "task_not_found"),
        store.refused(Addresses.GET, onlyAFromB, 404, "task_not_found"),
        store.refused(Addresses.CANCEL, onlyAFromB, 404, "task_not_found"),
        store.refused(Addresses.DELETE, onlyAFromB, 404, "task_not_found")))
      .compose(v -> store.call(Addresses.LIST, new JsonObject().put("tenant", "b")))
      .map(list -> {
        assertEquals(List.of("shared-1"), ids(list), "tenant b lists only its own task");
        return null;
      })
      .compose(v -> store.call(Addresses.GET, onlyA))
      .map(t -> assertEqualsAndReturn("pending", t.getString("status")))
      .onComplete(ctx.succeedingThenComplete());
  }

  private static String assertEqualsAndReturn(String expected, String actual) {
    assertEquals(expected, actual);
    return actual;
  }

  static List<String> ids(JsonObject list) {
    List<String> ids = new ArrayList<>();
    list.getJsonArray("data").forEach(t -> ids.add(((JsonObject) t).getString("id")));
    return ids;
  }

  @Test
  void cancelMakesPendingCancelledOnceAndPublishesIt(Vertx vertx, VertxTestContext ctx) {
    UpdatesRecorder.listen(vertx).compose(updates -> store.create("noop").compose(t -> {
      String id = t.getString("id");
      return store.request(Addresses.CANCEL, idBody(id))
        .compose(cancelled -> {
          assertEquals("cancelled", assertTrace(cancelled.body()).getString("status"));
          assertEquals("2", cancelled.headers().get(Addresses.HEADER_VERSION));
          return updates.first(id, "cancelled").map(published -> {
            assertEquals(cancelled.body(), published.body());
            return cancelled;
          });
        })
        .compose(cancelled -> store.request(Addresses.CANCEL, idBody(id)).map(again -> {
          assertEquals("cancelled", again.body().getString("status"));
          assertEquals(cancelled.headers().get(Addresses.HEADER_ETAG), again.headers().get(Addresses.HEADER_ETAG),
            "cancelling a cancelled task changes nothing");
          assertEquals(cancelled.body(), again.body());
          return null;
        }))
        .compose(v -> store.get(id))
        .map(got -> assertEqualsAndReturn("cancelled", got.getString("status")));
    })).onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void cancelStopsRunningTasksButNotFinishedOnes(VertxTestContext ctx) {
    Future<?> running = store.create("noop")
      .compose(t -> store.claimOnly(t.getString("id"), "noop"))
      .compose(job -> store.call(Addresses.CANCEL, idBody(job.getString("id"))))
      .map(t -> assertEqualsAndReturn("cancelled", t.getString("status")));
    Future<?> completed = running.compose(v -> store.create("noop"))
      .compose(t -> store.claimOnly(t.getString("id"), "noop"))
      .compose(job -> store.call(Addresses.JOB_COMPLETE, report(job)).map(job))
      .compose(job -> store.refused(Addresses.CANCEL, idBody(job.getString("id")), 409, "task_not_cancellable")
        .compose(e -> store.get(job.getString("id"))))
      .map(t -> assertEqualsAndReturn("completed", t.getString("status")));
    Future<?> failed = completed.compose(v -> store.create("noop"))
      .compose(t -> store.claimOnly(t.getString("id"), "noop"))
      .compose(job -> store.call(Addresses.JOB_FAIL, report(job).put("reason", "bad input").put("retryable", false))
        .map(job))
      .compose(job -> store.refused(Addresses.CANCEL, idBody(job.getString("id")), 409, "task_not_cancellable")
        .compose(e -> store.get(job.getString("id"))))
      .map(t -> {
        assertEquals("failed", t.getString("status"));
        assertEquals("bad input", t.getString("failure_reason"));
        return null;
      });
    failed.onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void deleteOnlyTerminalTasks(VertxTestContext ctx) {
    String id = "delete-me";
    store.create(new JsonObject().put("type", "noop").put("id", id))
      .compose(t -> store.refused(Addresses.DELETE, idBody(id), 409, "task_not_deletable"))
      .compose(e -> store.claimOnly(id, "noop"))
      .compose(job -> store.refused(Addresses.DELETE, idBody(id), 409, "task_not_deletable"))
      .compose(e -> store.request(Addresses.CANCEL, idBody(id)))
      .compose(cancelled -> store.call(Addresses.DELETE, idBody(id)).map(deleted -> {
        assertEquals(new JsonObject().put("id", id).put("object", "task.deleted").put("deleted", true), deleted);
        return cancelled.headers().get(Addresses.HEADER_ETAG);
      }))
      .compose(oldEtag -> store.refused(Addresses.GET, idBody(id), 404, "task_not_found")
        .compose(e -> store.refused(Addresses.DELETE, idBody(id), 404, "task_not_found"))
        .compose(e -> store.refused(Addresses.CANCEL, idBody(id), 404, "task_not_found"))
        // The id is free again; the new task's ETag differs from every tag of the old one.
        .compose(e -> store.request(Addresses.CREATE, new JsonObject().put("type", "noop").put("id", id)))
        .map(again -> {
          assertEquals("true", again.headers().get(Addresses.HEADER_CREATED));
          assertEquals("pending", again.body().getString("status"));
          assertNotEquals(oldEtag, again.headers().get(Addresses.HEADER_ETAG));
          return null;
        }))
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void etagChangesOnEveryChangeAndOnlyThen(VertxTestContext ctx) {
    List<String> tags = new ArrayList<>();
    store.request(Addresses.CREATE, new JsonObject().put("type", "noop"))
      .compose(created -> {
        String id = created.body().getString("id");
        tags.add(created.headers().get(Addresses.HEADER_ETAG));
        return etagOf(id)
          .map(tag -> {
            assertEquals(tags.get(0), tag, "a read changes nothing");
            return id;
          })
          .compose(v -> store.claimOnly(id, "noop"))
          .compose(job -> etagOf(id).map(tag -> tags.add(tag)).map(job))
          .compose(job -> store.call(Addresses.JOB_PROGRESS, report(job).put("progress", 0.5)).map(job))
          .compose(job -> etagOf(id).map(tag -> tags.add(tag)).map(job))
          // A heartbeat only renews the lease: nothing a client sees changes.
          .compose(job -> store.call(Addresses.JOB_PROGRESS, report(job)).map(job))
          .compose(job -> etagOf(id).map(tag -> {
            assertEquals(tags.get(tags.size() - 1), tag, "a heartbeat keeps the ETag");
            return job;
          }))
          .compose(job -> store.request(Addresses.JOB_COMPLETE, report(job)))
          .map(done -> {
            tags.add(done.headers().get(Addresses.HEADER_ETAG));
            assertEquals("4", done.headers().get(Addresses.HEADER_VERSION));
            assertEquals(4, new HashSet<>(tags).size(), () -> "every change, a new ETag: " + tags);
            return null;
          });
      })
      .onComplete(ctx.succeedingThenComplete());
  }

  private Future<String> etagOf(String id) {
    return store.request(Addresses.GET, idBody(id)).map(m -> m.headers().get(Addresses.HEADER_ETAG));
  }

  @Test
  void everyPersistedChangeIsPublishedOnceWithItsHeaders(Vertx vertx, VertxTestContext ctx) {
    UpdatesRecorder.listen(vertx).compose(updates -> store.create(new JsonObject().put("type", "noop")
        .put("tenant", "acme"))
      .compose(t -> {
        String id = t.getString("id");
        JsonObject named = new JsonObject().put("tenant", "acme").put("id", id);
        return store.claimOnly(id, "noop")
          .compose(job -> store.call(Addresses.JOB_PROGRESS, job.copy().put("progress", 0.4)
            .put("data", new JsonObject().put("stage", "parsing"))).map(job))
          .compose(job -> store.call(Addresses.JOB_PROGRESS, named.copy().put("attempt", 1)).map(job))
          .compose(job -> store.call(Addresses.JOB_COMPLETE, named.copy().put("attempt", 1)
            .put("data", new JsonObject().put("result", 7))))
          .compose(done -> store.refused(Addresses.CANCEL, named, 409, "task_not_cancellable"))
          .compose(refused -> store.call(Addresses.DELETE, named))
          // Facts from one store reach one consumer in order: once the deletion is here, all are.
          .compose(deleted -> updates.first(m -> id.equals(m.headers().get(Addresses.HEADER_TASK_ID))
            && "true".equals(m.headers().get(Addresses.HEADER_DELETED))))
          .map(last -> {
            List<Message<JsonObject>> messages = updates.about(id);
            assertEquals(List.of("pending", "in_progress", "in_progress", "completed", "completed"),
              messages.stream().map(m -> m.headers().get(Addresses.HEADER_STATUS)).toList());
            assertEquals(List.of("1", "2", "3", "4", "4"),
              messages.stream().map(m -> m.headers().get(Addresses.HEADER_VERSION)).toList());
            for (int i = 0; i < messages.size(); i++) {
              Message<JsonObject> m = messages.get(i);
              JsonObject body = assertTrace(m.body());
              assertEquals(id, body.getString("id"));
              assertEquals("acme", m.headers().get(Addresses.HEADER_TENANT));
              assertEquals(body.getString("status"), m.headers().get(Addresses.HEADER_STATUS));
              assertTrue(m.headers().get(Addresses.HEADER_ETAG).endsWith("-" + m.headers().get(Addresses.HEADER_VERSION)
                + "\""), () -> "ETag " + m.headers().get(Addresses.HEADER_ETAG));
              assertEquals(i == messages.size() - 1 ? "true" : null, m.headers().get(Addresses.HEADER_DELETED));
            }
            assertEquals(0.4, messages.get(2).body().getDouble("progress"));
            assertEquals("parsing", messages.get(2).body().getJsonObject("data").getString("stage"));
            assertEquals(7, messages.get(3).body().getJsonObject("data").getInteger("result"));
            assertEquals(messages.get(3).body(), messages.get(4).body(), "a deletion carries the last Trace");
            return null;
          });
      }))
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void pingAnswersOnceTheDatabaseDoes(VertxTestContext ctx) {
    store.call(Addresses.PING, new JsonObject()).onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
      assertEquals(new JsonObject(), reply);
      ctx.completeNow();
    })));
  }
}
