package dev.forge.tasks;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.TaskStatus;
import dev.forge.tasks.client.Task;
import dev.forge.tasks.client.TasksClient;
import dev.forge.tasks.config.TasksConfig;
import dev.forge.tasks.support.CuttableProxy;
import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.pgclient.PgConnectOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Postgres goes away under a running node and comes back: every request that needs the database
 * answers 503 {@code store_unavailable} (with {@code Retry-After}) within the bus timeout,
 * {@code /ready} says 503, and the node serves again once the database returns, without a restart.
 * Under load, through a cut connection and through a real stop and start of Postgres, every create
 * that was answered 202 is found afterwards and runs to completion.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class OutageTest {

  static Vertx proxyVertx;
  static CuttableProxy proxy;
  static LiveNode live;
  static TasksNode node;
  static WebClient http;

  @BeforeAll
  static void start() throws Exception {
    PgConnectOptions db = TestDatabase.freshDatabase();
    proxyVertx = Vertx.vertx();
    proxy = new CuttableProxy(proxyVertx, db.getHost(), db.getPort());
    int proxyPort = await(proxy.start());
    TasksConfig config = TestNodes.config(new PgConnectOptions(db).setPort(proxyPort),
      Map.of("TASKS_BUS_TIMEOUT_MS", "2000", "TASKS_JOB_TYPES", "noop"));
    live = LiveNode.start(config);
    node = live.node;
    http = live.http;
  }

  @AfterAll
  static void stop() throws Exception {
    LiveNode.stop(live);
    if (proxyVertx != null) {
      await(proxyVertx.close());
    }
  }

  /** Creates noop tasks one after another until {@code deadline}, recording which were accepted. */
  private static Future<Void> createUntil(WebClient client, long deadline, String prefix, int[] counter,
                                          Set<String> accepted, AtomicInteger refused) {
    if (System.nanoTime() > deadline) {
      return Future.succeededFuture();
    }
    String id = prefix + "-" + counter[0]++;
    return client.post("/v1/tasks").putHeader("Content-Type", "application/json")
      .sendBuffer(new JsonObject().put("type", "noop").put("id", id).toBuffer())
      .transform(done -> {
        if (done.succeeded() && done.result().statusCode() == 202) {
          accepted.add(id);
        } else if (done.succeeded() && done.result().statusCode() >= 500) {
          refused.incrementAndGet();
        } else {
          return Future.failedFuture("unexpected reply to " + id + ": "
            + (done.succeeded() ? done.result().statusCode() + " " + done.result().bodyAsString() : done.cause()));
        }
        return createUntil(client, deadline, prefix, counter, accepted, refused);
      });
  }

  /** An outage of the database, brought about and ended from the test thread. */
  interface Outage {
    void begin() throws Exception;

    void end() throws Exception;
  }

  /**
   * Eight creators load {@code target} for 4 s while the database goes away after 1 s and comes
   * back 1.5 s later; then every accepted task must be found and run to completion.
   */
  private static void loadThroughOutage(LiveNode target, Outage outage, String label) throws Exception {
    Set<String> accepted = ConcurrentHashMap.newKeySet();
    AtomicInteger refused = new AtomicInteger();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(4000);
    List<Future<Void>> loops = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      loops.add(createUntil(target.http, deadline, label + i, new int[1], accepted, refused));
    }
    await(target.node.vertx().timer(1000));
    outage.begin();
    await(target.node.vertx().timer(1500));
    outage.end();
    await(Future.all(loops));
    assertTrue(refused.get() > 0, "the outage refused nothing");
    assertTrue(accepted.size() > 0);

    // Every 202 was committed: each accepted task is found and runs to completion once the database is back.
    var client = new TasksClient(target.node.vertx());
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    Set<String> open = new HashSet<>(accepted);
    while (!open.isEmpty() && System.nanoTime() < until) {
      for (String id : List.copyOf(open)) {
        Task t;
        try {
          t = await(client.get(id));
        } catch (ExecutionException notYet) {
          break; // The store is still reconnecting; look again shortly.
        }
        if (t.status() == TaskStatus.COMPLETED) {
          assertEquals(1.0, t.progress());
          open.remove(id);
        } else {
          assertTrue(t.status() == TaskStatus.PENDING || t.status() == TaskStatus.IN_PROGRESS, t.toString());
        }
      }
      if (!open.isEmpty()) {
        await(target.node.vertx().timer(200));
      }
    }
    assertTrue(open.isEmpty(), open.size() + " accepted tasks never completed: " + open);
    System.out.printf("%s under load: %d accepted and completed, %d refused with 503/504%n", label, accepted.size(),
      refused.get());
  }

  @Test
  void everyAcceptedTaskEndsCompletedAcrossAnOutageUnderLoad() throws Exception {
    loadThroughOutage(live, new Outage() {
      @Override
      public void begin() {
        proxy.cut();
      }

      @Override
      public void end() {
        proxy.restore();
      }
    }, "cut");
  }

  @Test
  void everyAcceptedTaskEndsCompletedAcrossAPostgresRestartUnderLoad() throws Exception {
    // A Postgres of this test's own, stopped and started again on the same port and data.
    Path dir = Files.createTempDirectory("tasks-restart-pg");
    int port = TestNodes.freePort();
    EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setDataDirectory(dir.toFile())
      .setCleanDataDirectory(false).setPort(port);
    EmbeddedPostgres[] pg = {builder.start()};
    LiveNode own = null;
    try {
      own = LiveNode.start(TestNodes.config(new PgConnectOptions().setHost("127.0.0.1").setPort(port)
        .setDatabase("postgres").setUser("postgres"), Map.of("TASKS_BUS_TIMEOUT_MS", "2000", "TASKS_JOB_TYPES", "noop")));
      loadThroughOutage(own, new Outage() {
        @Override
        public void begin() throws Exception {
          pg[0].close();
        }

        @Override
        public void end() throws Exception {
          pg[0] = builder.start();
        }
      }, "restart");
    } finally {
      LiveNode.stop(own);
      pg[0].close();
    }
  }

  private static HttpResponse<Buffer> create(String id) throws Exception {
    return await(http.post("/v1/tasks").putHeader("Content-Type", "application/json")
      .sendBuffer(new JsonObject().put("type", "document_analysis").put("id", id).toBuffer()));
  }

  @Test
  void outageAnswers503QuicklyAndTheNodeRecoversWithoutRestart() throws Exception {
    assertEquals(202, create("before-outage").statusCode());

    proxy.cut();
    // A task this node holds in its cache still answers: no change can be persisted while the
    // database is away, so the cached state is the latest one.
    HttpResponse<Buffer> cached = await(http.get("/v1/tasks/before-outage").send());
    assertEquals(200, cached.statusCode(), cached.bodyAsString());
    for (String path : new String[] {"/v1/tasks/not-in-the-cache", "/v1/tasks", "/ready"}) {
      long start = System.nanoTime();
      HttpResponse<Buffer> r = await(http.get(path).send());
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertEquals(503, r.statusCode(), path + ": " + r.bodyAsString());
      assertEquals("store_unavailable", r.bodyAsJsonObject().getJsonObject("error").getString("code"));
      assertNotNull(r.getHeader("Retry-After"), path);
      assertTrue(millis < 4000, path + " took " + millis + " ms");
    }
    HttpResponse<Buffer> refused = create("during-outage");
    assertEquals(503, refused.statusCode(), refused.bodyAsString());

    proxy.restore();
    HttpResponse<Buffer> back = null;
    for (int i = 0; i < 50; i++) {
      back = await(http.get("/v1/tasks/before-outage").send());
      if (back.statusCode() == 200) {
        break;
      }
      await(Future.future(p -> node.vertx().setTimer(100, t -> p.complete())));
    }
    assertEquals(200, back.statusCode(), back.bodyAsString());
    assertEquals("pending", back.bodyAsJsonObject().getString("status"));
    assertEquals(200, await(http.get("/ready").send()).statusCode());
    // The create refused during the outage left nothing behind; a retry now succeeds.
    assertEquals(404, await(http.get("/v1/tasks/during-outage").send()).statusCode());
    assertEquals(202, create("during-outage").statusCode());
  }
}
