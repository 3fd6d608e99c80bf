package dev.forge.tasks.job;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The job runtime in a whole node: jobs get as many threads as their concurrency; CPU-bound jobs leave the API its cores. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JobRuntimeNodeTest {

  private static final Pattern GAUGE = Pattern.compile("(?m)^tasks_job_cpu_(permits|in_use|waiting) (\\S+)$");

  @Test
  void fiftySleepJobsOfOneTypeRunAllAtOnce() throws Exception {
    int n = 50;
    AtomicInteger active = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    Set<String> threads = ConcurrentHashMap.newKeySet();
    SyntheticJob sleep = SyntheticJob.SLEEP;
    Job counted = new Job() {
      @Override
      public String type() {
        return sleep.type();
      }

      @Override
      public JsonObject run(JobContext ctx) throws Exception {
        threads.add(Thread.currentThread().getName());
        most.accumulateAndGet(active.incrementAndGet(), Math::max);
        try {
          return sleep.run(ctx);
        } finally {
          active.decrementAndGet();
        }
      }
    };
    // Twenty would run at once on Vert.x's shared worker pool, whatever the concurrency.
    LiveNode live = LiveNode.start(TestNodes.config(TestDatabase.freshDatabase(), Map.of(
      "TASKS_JOB_TYPES", SyntheticJob.SLEEP.type(), "TASKS_JOB_CONCURRENCY", Integer.toString(n))), type -> counted);
    try {
      // The store's view: tasks in progress whose job reported progress after its first 100 ms of sleep.
      Map<String, Double> sleeping = new HashMap<>();
      Promise<Integer> allAtOnce = Promise.promise();
      MessageConsumer<JsonObject> updates = live.node.vertx().eventBus().consumer(Addresses.UPDATED, m -> {
        JsonObject task = m.body();
        if ("in_progress".equals(task.getString("status")) && task.getDouble("progress", 0.0) > 0) {
          sleeping.put(task.getString("id"), task.getDouble("progress"));
        } else {
          sleeping.remove(task.getString("id"));
        }
        if (sleeping.size() == n) {
          allAtOnce.tryComplete(sleeping.size());
        }
      });
      await(updates.completion());
      List<Future<HttpResponse<Buffer>>> created = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        created.add(create(live, SyntheticJob.SLEEP.type(), "nap-" + i, 120_000));
      }
      await(Future.all(created));
      created.forEach(r -> assertEquals(202, r.result().statusCode(), r.result().bodyAsString()));
      assertEquals(n, await(allAtOnce.future()), "every task reports progress at the same time");
      assertEquals(n, most.get(), "as many jobs ran at once as the concurrency");
      assertEquals(n, threads.size(), "each on a thread of its own: " + threads);
      threads.forEach(t -> assertTrue(t.startsWith("jobs-sleep-"), "on the type's own pool: " + t));
      await(updates.unregister());
      List<Future<HttpResponse<Buffer>>> cancelled = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        cancelled.add(cancel(live, "nap-" + i));
      }
      await(Future.all(cancelled));
    } finally {
      LiveNode.stop(live);
    }
  }

  @Test
  void getAnswersWhileCpuBoundJobsSaturateTheBudget() throws Exception {
    int jobs = 4;
    LiveNode live = LiveNode.start(TestNodes.config(TestDatabase.freshDatabase(), Map.of(
      "TASKS_JOB_TYPES", SyntheticJob.SPIN.type(), "TASKS_JOB_CONCURRENCY", Integer.toString(jobs),
      "TASKS_JOB_CPU_BUDGET", "1")));
    try {
      for (int i = 0; i < jobs; i++) {
        assertEquals(202, await(create(live, SyntheticJob.SPIN.type(), "spin-" + i, 600_000)).statusCode());
      }
      // Saturated: the one permit in use and every other job (all claimed, so in_progress) waiting for it.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      Map<String, Double> gauges = cpuGauges(live);
      while (!(gauges.get("in_use") == 1 && gauges.get("waiting") == jobs - 1) && System.nanoTime() < deadline) {
        await(live.node.vertx().timer(50));
        gauges = cpuGauges(live);
      }
      assertEquals(1.0, gauges.get("permits"), "the budget: " + gauges);
      assertEquals(1.0, gauges.get("in_use"), "saturated: " + gauges);
      assertEquals(jobs - 1.0, gauges.get("waiting"), "saturated: " + gauges);
      for (int i = 0; i < 100; i++) {
        HttpResponse<Buffer> r = await(live.http.get("/v1/tasks/spin-" + (i % jobs)).send());
        assertEquals(200, r.statusCode(), r.bodyAsString());
        assertEquals("in_progress", r.bodyAsJsonObject().getString("status"));
      }
      Map<String, Double> after = cpuGauges(live);
      assertEquals(1.0, after.get("in_use"), "still saturated after the reads: " + after);
      assertTrue(after.get("waiting") >= 1, "still saturated after the reads: " + after);
      for (int i = 0; i < jobs; i++) {
        await(cancel(live, "spin-" + i));
      }
    } finally {
      LiveNode.stop(live);
    }
  }

  /** {@code POST /v1/tasks}: a task of {@code type} with input {@code {"ms": ms}}. */
  private static Future<HttpResponse<Buffer>> create(LiveNode live, String type, String id, long ms) {
    return live.http.post("/v1/tasks").sendJsonObject(new JsonObject().put("type", type).put("id", id)
      .put("input", new JsonObject().put("ms", ms)));
  }

  private static Future<HttpResponse<Buffer>> cancel(LiveNode live, String id) {
    return live.http.post("/v1/tasks/" + id + "/cancel").send();
  }

  private static Map<String, Double> cpuGauges(LiveNode live) throws Exception {
    String text = await(live.http.get("/metrics").send()).bodyAsString();
    Map<String, Double> gauges = new HashMap<>();
    Matcher m = GAUGE.matcher(text);
    while (m.find()) {
      gauges.put(m.group(1), Double.parseDouble(m.group(2)));
    }
    return gauges;
  }
}
