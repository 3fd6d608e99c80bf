package dev.forge.tasks.task;

import static dev.forge.tasks.task.StoreFixture.idBody;
import static dev.forge.tasks.task.StoreFixture.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A cancel and a completion sent at the same moment for each of many running tasks: each task must
 * end in exactly one terminal state, published once, and both replies must agree with it.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class StoreRaceTest {

  private static final int TASKS = 1000;
  private static final int WAVE = 100;
  private static final Set<String> TERMINAL = Set.of("completed", "failed", "cancelled");

  private record Race(JsonObject job, Future<Message<JsonObject>> cancel, Future<Message<JsonObject>> complete) {
  }

  private StoreFixture store;

  @BeforeEach
  void startStore(Vertx vertx, VertxTestContext ctx) {
    store = StoreFixture.onFreshDatabase(vertx);
    // Three store instances, as on three nodes: a cancel and a completion of one task usually reach
    // different instances and race in Postgres, on different connections.
    store.start()
      .compose(v -> store.addInstance(StoreFixture.settings(store.db, 30_000, 0, 0)))
      .compose(v -> store.addInstance(StoreFixture.settings(store.db, 30_000, 0, 0)))
      .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void cancelAndCompleteAtOnceEndInOneStateThatBothRepliesAgreeWith(Vertx vertx, VertxTestContext ctx) {
    UpdatesRecorder.listen(vertx).compose(updates -> createAll()
      .compose(v -> claimAll(new ArrayList<>()))
      .compose(jobs -> raceInWaves(jobs, 0, new ArrayList<>()))
      .compose(races -> {
        Future<Void> checked = Future.succeededFuture();
        for (int from = 0; from < races.size(); from += WAVE) {
          List<Race> wave = races.subList(from, Math.min(from + WAVE, races.size()));
          checked = checked.compose(v -> Future.all(wave.stream()
            .map(race -> store.get(race.job().getString("id")).compose(t -> check(race, t, updates))).toList()).mapEmpty());
        }
        return checked.map(all -> {
          long cancelled = races.stream().filter(r -> r.cancel().succeeded()).count();
          System.out.printf("cancel/complete race: %d cancelled, %d completed%n", cancelled, races.size() - cancelled);
          return null;
        });
      }))
      .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Races {@value #WAVE} tasks at a time: each task's cancel and completion leave together, and a
   * wave never queues more requests than the pools absorb on a loaded machine.
   */
  private Future<List<Race>> raceInWaves(List<JsonObject> jobs, int from, List<Race> done) {
    if (from >= jobs.size()) {
      return Future.succeededFuture(done);
    }
    List<Future<Race>> races = new ArrayList<>();
    for (int i = from; i < Math.min(from + WAVE, jobs.size()); i++) {
      JsonObject job = jobs.get(i);
      Future<Message<JsonObject>> cancel;
      Future<Message<JsonObject>> complete;
      // Alternate which request leaves first, so that neither side always has a head start.
      if (i % 2 == 0) {
        cancel = store.request(Addresses.CANCEL, idBody(job.getString("id")));
        complete = store.request(Addresses.JOB_COMPLETE, report(job).put("data", new JsonObject().put("done", true)));
      } else {
        complete = store.request(Addresses.JOB_COMPLETE, report(job).put("data", new JsonObject().put("done", true)));
        cancel = store.request(Addresses.CANCEL, idBody(job.getString("id")));
      }
      races.add(Future.join(cancel, complete).transform(ar -> Future.succeededFuture(new Race(job, cancel, complete))));
    }
    return Future.all(races).compose(all -> {
      done.addAll(all.<Race>list());
      return raceInWaves(jobs, from + WAVE, done);
    });
  }

  private Future<Void> check(Race race, JsonObject task, UpdatesRecorder updates) {
    String id = race.job().getString("id");
    String status = task.getString("status");
    if (race.cancel().succeeded()) {
      assertEquals("cancelled", race.cancel().result().body().getString("status"), id);
      assertEquals("cancelled", status, () -> id + ": cancel won, so the task must stay cancelled");
      assertTrue(race.complete().failed(), () -> id + ": both cancel and complete succeeded");
      assertError(race.complete().cause(), 409, "task_cancelled", id);
      assertTrue(!task.getJsonObject("data").containsKey("done"), () -> id + ": the losing completion left data");
    } else {
      assertError(race.cancel().cause(), 409, "task_not_cancellable", id);
      assertTrue(race.complete().succeeded(), () -> id + ": neither cancel nor complete succeeded: "
        + race.complete().cause());
      assertEquals("completed", race.complete().result().body().getString("status"), id);
      assertEquals("completed", status, () -> id + ": complete won, so the task must stay completed");
      assertEquals(1.0, task.getDouble("progress"));
    }
    // The winner published its change before replying; wait for it, then count terminal facts.
    return updates.first(id, status).map(published -> {
      long terminal = updates.about(id).stream()
        .filter(m -> TERMINAL.contains(m.headers().get(Addresses.HEADER_STATUS))).count();
      assertEquals(1, terminal, () -> id + ": one terminal change, one published fact");
      return null;
    });
  }

  private static void assertError(Throwable failure, int status, String code, String id) {
    ApiError error = ApiError.fromThrowable(failure);
    assertTrue(error != null, () -> id + ": not an ApiError: " + failure);
    assertEquals(status, error.status(), () -> id + ": " + error);
    assertEquals(code, error.code(), () -> id + ": " + error);
  }

  private Future<Void> createAll() {
    Future<Void> chain = Future.succeededFuture();
    for (int wave = 0; wave < TASKS; wave += WAVE) {
      chain = chain.compose(v -> {
        List<Future<?>> creates = new ArrayList<>();
        for (int i = 0; i < WAVE; i++) {
          creates.add(store.create("noop"));
        }
        return Future.all(creates).mapEmpty();
      });
    }
    return chain;
  }

  private Future<List<JsonObject>> claimAll(List<JsonObject> jobs) {
    if (jobs.size() >= TASKS) {
      assertEquals(TASKS, jobs.size());
      return Future.succeededFuture(jobs);
    }
    return store.claim("racer", 100, "noop").compose(claimed -> {
      assertTrue(!claimed.isEmpty(), () -> "only " + jobs.size() + " of " + TASKS + " tasks could be claimed");
      claimed.forEach(j -> jobs.add((JsonObject) j));
      return claimAll(jobs);
    });
  }
}
