package dev.forge.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.client.Task;
import dev.forge.tasks.client.TaskStatus;
import dev.forge.tasks.client.TaskWatch;
import dev.forge.tasks.client.TasksClient;
import dev.forge.tasks.config.TasksConfig;
import dev.forge.tasks.job.Job;
import dev.forge.tasks.job.JobCancelledException;
import dev.forge.tasks.job.JobContext;
import dev.forge.tasks.support.Polls;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.pgclient.PgConnectOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three clustered nodes (Hazelcast on loopback) in this JVM sharing one Postgres. Only node B runs
 * jobs; A and C serve HTTP and the bus. Proves that changes, cancels and wake-ups cross nodes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterTest {

  /** Steps through progress until released or cancelled; records how it ended. */
  static final class SteppedJob implements Job {
    final Map<String, CountDownLatch> release = new ConcurrentHashMap<>();
    final Map<String, CompletableFuture<Long>> cancelledAt = new ConcurrentHashMap<>();

    @Override
    public String type() {
      return "stepped";
    }

    @Override
    public JsonObject run(JobContext ctx) throws InterruptedException {
      CountDownLatch done = release.computeIfAbsent(ctx.taskId(), k -> new CountDownLatch(1));
      try {
        for (int i = 1; ; i++) {
          ctx.progress(Math.min(0.9, i / 100.0), new JsonObject().put("step", i));
          if (done.await(10, TimeUnit.MILLISECONDS)) {
            return new JsonObject().put("steps", i);
          }
        }
      } catch (JobCancelledException e) {
        cancelledAt.computeIfAbsent(ctx.taskId(), k -> new CompletableFuture<>()).complete(System.nanoTime());
        throw e;
      }
    }
  }

  static final SteppedJob JOB = new SteppedJob();
  static TasksNode a;
  static TasksNode b;
  static TasksNode c;
  static TasksConfig configA;
  static TasksConfig configC;

  @BeforeAll
  static void startCluster() throws Exception {
    PgConnectOptions db = TestDatabase.freshDatabase();
    int[] ports = {TestNodes.freePort(), TestNodes.freePort(), TestNodes.freePort()};
    String members = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2];
    configA = TestNodes.config(db, cluster(ports[0], members, ""));
    TasksConfig configB = TestNodes.config(db, cluster(ports[1], members, "stepped"));
    configC = TestNodes.config(db, cluster(ports[2], members, ""));
    a = await(TasksNode.start(configA));
    b = await(TasksNode.start(configB, type -> JOB));
    c = await(TasksNode.start(configC));
  }

  private static Map<String, String> cluster(int port, String members, String jobs) {
    Map<String, String> env = new HashMap<>();
    env.put("TASKS_CLUSTER", "true");
    env.put("TASKS_CLUSTER_HOST", "127.0.0.1");
    env.put("TASKS_CLUSTER_PORT", Integer.toString(port));
    env.put("TASKS_CLUSTER_MEMBERS", members);
    env.put("TASKS_TYPES", "stepped");
    env.put("TASKS_JOB_TYPES", jobs);
    return env;
  }

  @AfterAll
  static void stopCluster() throws Exception {
    for (TasksNode n : new TasksNode[] {c, b, a}) {
      if (n != null) {
        try {
          await(n.close());
        } catch (Exception ignored) {
          // Already closed by a test.
        }
      }
    }
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static WebClient web(TasksNode node) {
    return WebClient.create(node.vertx());
  }

  private static JsonObject createOn(TasksNode node, TasksConfig config, String id) throws Exception {
    HttpResponse<Buffer> r = await(web(node).post(config.httpPort(), "127.0.0.1", "/v1/tasks")
      .putHeader("Content-Type", "application/json")
      .sendBuffer(new JsonObject().put("type", "stepped").put("id", id).toBuffer()));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  /** Opens an SSE stream and collects the Traces of its events until it ends. */
  private static Future<List<JsonObject>> stream(TasksNode node, int port, String id, Promise<Void> opened) {
    HttpClient client = node.vertx().createHttpClient();
    List<JsonObject> events = new ArrayList<>();
    Promise<List<JsonObject>> ended = Promise.promise();
    client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
        .setURI("/v1/tasks/" + id + "/events"))
      .compose(req -> req.send())
      .onFailure(ended::fail)
      .onSuccess((HttpClientResponse response) -> {
        StringBuilder buffer = new StringBuilder();
        response.handler(chunk -> {
          opened.tryComplete();
          buffer.append(chunk.toString());
          int end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            String event = buffer.substring(0, end);
            buffer.delete(0, end + 2);
            event.lines().filter(l -> l.startsWith("data: ")).forEach(l -> events.add(new JsonObject(l.substring(6))));
          }
        });
        response.endHandler(v -> ended.complete(events));
      });
    return ended.future();
  }

  @Test
  void createdOnA_runOnB_followedOnCBySseAndOnABus() throws Exception {
    List<Task> onBus = new CopyOnWriteArrayList<>();
    TasksClient clientA = new TasksClient(a.vertx());
    createOn(a, configA, "cluster-follow");
    TaskWatch watch = await(clientA.watch("cluster-follow", onBus::add));
    Promise<Void> opened = Promise.promise();
    Future<List<JsonObject>> sse = stream(c, configC.httpPort(), "cluster-follow", opened);
    await(opened.future());
    // Let it run a little on B, then let it finish.
    JsonObject seen = await(web(a).get(configA.httpPort(), "127.0.0.1", "/v1/tasks/cluster-follow?wait=10")
      .putHeader("If-None-Match", "\"none\"").send()).bodyAsJsonObject();
    assertTrue(seen.getString("status").equals("in_progress") || seen.getString("status").equals("pending"));
    JOB.release.computeIfAbsent("cluster-follow", k -> new CountDownLatch(1)).countDown();

    List<JsonObject> events = await(sse);
    assertEquals(TaskStatus.COMPLETED, await(watch.terminal()).status());
    assertEquals("completed", events.get(events.size() - 1).getString("status"), events.toString());
    assertEquals(TaskStatus.COMPLETED, onBus.get(onBus.size() - 1).status(), onBus.toString());
    assertOrdered(events.stream().map(t -> t.getDouble("progress")).toList());
    assertOrdered(onBus.stream().map(Task::progress).toList());
    for (int i = 1; i < onBus.size(); i++) {
      assertTrue(onBus.get(i).version() > onBus.get(i - 1).version(), "versions out of order: " + onBus);
    }
  }

  private static void assertOrdered(List<Double> progresses) {
    double progress = 0;
    for (double p : progresses) {
      assertTrue(p >= progress, "progress went down: " + progresses);
      progress = p;
    }
  }

  @Test
  void cancelOnCStopsTheJobOnBWithinOneSecond() throws Exception {
    createOn(a, configA, "cluster-cancel");
    JsonObject running = Polls.untilStatus(web(c), configC.httpPort(), "cluster-cancel", 20, "in_progress");
    assertEquals("in_progress", running.getString("status"));
    long sent = System.nanoTime();
    HttpResponse<Buffer> cancel = await(web(c).post(configC.httpPort(), "127.0.0.1", "/v1/tasks/cluster-cancel/cancel").send());
    assertEquals(200, cancel.statusCode(), cancel.bodyAsString());
    long stopped = JOB.cancelledAt.computeIfAbsent("cluster-cancel", k -> new CompletableFuture<>()).get(5, TimeUnit.SECONDS);
    long millis = TimeUnit.NANOSECONDS.toMillis(stopped - sent);
    assertTrue(millis < 1000, "the job stopped " + millis + " ms after the cancel");
    assertEquals(TaskStatus.CANCELLED, await(new TasksClient(a.vertx()).get("cluster-cancel")).status());
  }

  @Test
  void longPollOnAWakesWhenBCompletes() throws Exception {
    JsonObject created = createOn(a, configA, "cluster-wake");
    JsonObject state = created;
    String etag = null;
    while (!state.getString("status").equals("in_progress")) {
      HttpResponse<Buffer> r = await(web(a).get(configA.httpPort(), "127.0.0.1", "/v1/tasks/cluster-wake?wait=5").send());
      state = r.bodyAsJsonObject();
      etag = r.getHeader("ETag");
    }
    String tag = etag;
    Future<HttpResponse<Buffer>> poll = Future.future(p -> web(a).get(configA.httpPort(), "127.0.0.1",
        "/v1/tasks/cluster-wake?wait=30").putHeader("If-None-Match", tag).send().onComplete(p));
    JOB.release.computeIfAbsent("cluster-wake", k -> new CountDownLatch(1)).countDown();
    long start = System.nanoTime();
    HttpResponse<Buffer> woke = await(poll);
    // The poll answers at the first change after its tag (a progress step or the completion), long before 30 s.
    assertEquals(200, woke.statusCode());
    assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < 10);
    JsonObject last = Polls.untilStatus(web(a), configA.httpPort(), "cluster-wake", 20, "completed");
    assertEquals("completed", last.getString("status"));
  }

  @Test
  void aNodeLeavingDoesNotFailRequestsOnTheOthers() throws Exception {
    TasksConfig extraConfig = TestNodes.config(dbOf(configA),
      cluster(TestNodes.freePort(), "127.0.0.1:" + configA.clusterPort(), ""));
    TasksNode extra = await(TasksNode.start(extraConfig));
    createOn(a, configA, "cluster-leave");
    await(extra.close());
    TasksClient client = new TasksClient(a.vertx());
    for (int i = 0; i < 50; i++) {
      assertEquals("cluster-leave", await(client.get("cluster-leave")).id());
      HttpResponse<Buffer> r = await(web(a).get(configA.httpPort(), "127.0.0.1", "/v1/tasks/cluster-leave").send());
      assertEquals(200, r.statusCode(), r.bodyAsString());
    }
  }

  private static PgConnectOptions dbOf(TasksConfig config) {
    return new PgConnectOptions().setHost(config.pgHost()).setPort(config.pgPort()).setDatabase(config.pgDatabase())
      .setUser(config.pgUser()).setPassword(config.pgPassword());
  }
}
