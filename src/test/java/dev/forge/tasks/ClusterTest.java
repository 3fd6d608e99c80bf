package dev.forge.tasks;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.TaskStatus;
import dev.forge.tasks.client.Task;
import dev.forge.tasks.client.TaskWatch;
import dev.forge.tasks.client.TasksClient;
import dev.forge.tasks.config.TasksConfig;
import dev.forge.tasks.job.Job;
import dev.forge.tasks.job.JobCancelledException;
import dev.forge.tasks.job.JobContext;
import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.Polls;
import dev.forge.tasks.support.SseClient;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.pgclient.PgConnectOptions;
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
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      try {
        for (int i = 1; System.nanoTime() < deadline; i++) {
          ctx.progress(Math.min(0.9, i / 100.0), new JsonObject().put("step", i));
          if (done.await(10, TimeUnit.MILLISECONDS)) {
            return new JsonObject().put("steps", i);
          }
        }
        throw new IllegalStateException("task " + ctx.taskId() + " was neither released nor cancelled within 60 s");
      } catch (JobCancelledException e) {
        cancelledAt.computeIfAbsent(ctx.taskId(), k -> new CompletableFuture<>()).complete(System.nanoTime());
        throw e;
      }
    }
  }

  static final SteppedJob JOB = new SteppedJob();
  static LiveNode liveA;
  static LiveNode liveB;
  static LiveNode liveC;
  static TasksNode a;
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
    liveA = LiveNode.start(configA);
    liveB = LiveNode.start(configB, type -> JOB);
    liveC = LiveNode.start(configC);
    a = liveA.node;
    c = liveC.node;
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
    for (LiveNode n : new LiveNode[] {liveC, liveB, liveA}) {
      LiveNode.stop(n);
    }
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

  @Test
  void createdOnA_runOnB_followedOnCBySseAndOnABus() throws Exception {
    List<Task> onBus = new CopyOnWriteArrayList<>();
    TasksClient clientA = new TasksClient(a.vertx());
    createOn(a, configA, "cluster-follow");
    TaskWatch watch = await(clientA.watch("cluster-follow", onBus::add));
    SseClient sse = await(SseClient.task(c.vertx(), configC.httpPort(), "cluster-follow", Map.of()));
    sse.until(e -> true, 20); // the current state: C follows the task from here on
    // Let it run a little on B, then let it finish.
    JsonObject seen = await(web(a).get(configA.httpPort(), "127.0.0.1", "/v1/tasks/cluster-follow?wait=10")
      .putHeader("If-None-Match", "\"none\"").send()).bodyAsJsonObject();
    assertTrue(seen.getString("status").equals("in_progress") || seen.getString("status").equals("pending"));
    JOB.release.computeIfAbsent("cluster-follow", k -> new CountDownLatch(1)).countDown();

    sse.until(e -> e.data().getString("status").equals("completed"), 30);
    await(sse.ended());
    sse.close();
    List<JsonObject> events = sse.seen.stream().map(SseClient.Event::data).toList();
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

  /**
   * The cancel crosses two nodes (C's HTTP, the store, B's job) and stops the job long before the
   * lease (30 s) would have: the job learns of it from the store's published change or from the
   * reply to its next report. The deadline is generous for two shared cores, not a latency target.
   */
  @Test
  void cancelOnCStopsTheJobOnBLongBeforeItsLeaseWouldEnd() throws Exception {
    createOn(a, configA, "cluster-cancel");
    JsonObject running = Polls.untilStatus(web(c), configC.httpPort(), "cluster-cancel", 20, "in_progress");
    assertEquals("in_progress", running.getString("status"));
    long sent = System.nanoTime();
    HttpResponse<Buffer> cancel = await(web(c).post(configC.httpPort(), "127.0.0.1", "/v1/tasks/cluster-cancel/cancel").send());
    assertEquals(200, cancel.statusCode(), cancel.bodyAsString());
    long stopped = JOB.cancelledAt.computeIfAbsent("cluster-cancel", k -> new CompletableFuture<>()).get(20, TimeUnit.SECONDS);
    long millis = TimeUnit.NANOSECONDS.toMillis(stopped - sent);
    assertTrue(millis < 5000, "the job stopped " + millis + " ms after the cancel");
    assertEquals(TaskStatus.CANCELLED, await(new TasksClient(a.vertx()).get("cluster-cancel")).status());
  }

  @Test
  void longPollOnAWakesWhenBCompletes() throws Exception {
    createOn(a, configA, "cluster-wake");
    JsonObject running = Polls.untilStatus(web(a), configA.httpPort(), "cluster-wake", 20, "in_progress");
    assertEquals("in_progress", running.getString("status"));
    // The job steps until released: the task stays in progress, and each step is a change after this tag.
    HttpResponse<Buffer> now = await(web(a).get(configA.httpPort(), "127.0.0.1", "/v1/tasks/cluster-wake").send());
    assertEquals("in_progress", now.bodyAsJsonObject().getString("status"));
    String tag = now.getHeader("ETag");
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
    LiveNode extra = LiveNode.start(extraConfig);
    createOn(a, configA, "cluster-leave");
    LiveNode.stop(extra);
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
