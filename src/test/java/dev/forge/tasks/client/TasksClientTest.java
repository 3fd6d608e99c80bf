package dev.forge.tasks.client;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.bus.TaskStatus;
import dev.forge.tasks.support.LiveNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The client against fake store consumers on a local event bus: typing, ordering of watches, failures, retries. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TasksClientTest {

  private Vertx vertx;
  private TasksClient client;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    client = new TasksClient(vertx, ClientOptions.defaults().withTimeoutMs(300));
  }

  @AfterEach
  void stop() throws Exception {
    await(vertx.close());
  }

  private static JsonObject trace(String id, String status, double progress) {
    return new JsonObject().put("id", id).put("object", "task").put("type", "t").put("status", status)
      .put("progress", progress).put("data", new JsonObject()).put("created_at", 1_700_000_000L)
      .put("updated_at", 1_700_000_001L).put("failure_reason", null);
  }

  private static DeliveryOptions headers(String id, long version) {
    return new DeliveryOptions().addHeader(Addresses.HEADER_TASK_ID, id).addHeader(Addresses.HEADER_TENANT, "default")
      .addHeader(Addresses.HEADER_VERSION, Long.toString(version));
  }

  private void publish(String id, String status, double progress, long version) {
    vertx.eventBus().publish(Addresses.UPDATED, trace(id, status, progress), headers(id, version));
  }

  /** Returns once every update published before has been handed to this client's watches. */
  private void flush() throws Exception {
    Promise<Void> seen = Promise.promise();
    Subscription sentinel = await(client.watchAll(t -> t.id().equals("sentinel"), t -> seen.tryComplete()));
    publish("sentinel", "pending", 0, System.nanoTime());
    await(seen.future());
    await(sentinel.close());
  }

  private static ApiException failure(Future<?> f) throws Exception {
    return (ApiException) LiveNode.failure(f);
  }

  @Test
  void aWatchMissesNothingBetweenRegisteringAndReadingAndNeverGoesBack() throws Exception {
    // The read answers with version 2 after versions 2 and 3 were published: the watch was
    // registered before the read, so it has them; the read (2) and a late duplicate (3) are dropped.
    vertx.eventBus().<JsonObject>consumer(Addresses.GET, m -> {
      publish("w1", "in_progress", 0.2, 2);
      publish("w1", "in_progress", 0.5, 3);
      vertx.setTimer(50, t -> m.reply(trace("w1", "in_progress", 0.2), headers("w1", 2)));
    });
    List<Task> seen = new CopyOnWriteArrayList<>();
    TaskWatch watch = await(client.watch("w1", seen::add));
    publish("w1", "in_progress", 0.5, 3);
    publish("w1", "completed", 1.0, 4);
    publish("w1", "in_progress", 0.9, 1);
    Task done = await(watch.terminal());
    assertEquals(TaskStatus.COMPLETED, done.status());
    assertEquals(List.of(2L, 3L, 4L), seen.stream().map(Task::version).toList());
    assertEquals(done, watch.latest());
    publish("w1", "completed", 1.0, 5);
    flush();
    assertEquals(3, seen.size(), "the watch ended at the terminal state: " + seen);
  }

  @Test
  void aWatchOfAMissingTaskFailsWith404AndAClosedWatchHearsNothing() throws Exception {
    vertx.eventBus().<JsonObject>consumer(Addresses.GET, m -> {
      String id = m.body().getString("id");
      if (id.equals("there")) {
        m.reply(trace(id, "pending", 0), headers(id, 1));
      } else {
        ApiError.taskNotFound(id).failReply(m);
      }
    });
    ApiException missing = failure(client.watch("gone", t -> { }));
    assertEquals(404, missing.status());
    assertEquals("task_not_found", missing.code());

    List<Task> seen = new CopyOnWriteArrayList<>();
    TaskWatch watch = await(client.watch("there", seen::add));
    await(watch.close());
    publish("there", "in_progress", 0.5, 2);
    flush();
    assertEquals(List.of(1L), seen.stream().map(Task::version).toList());
    assertFalse(watch.terminal().isComplete());
  }

  @Test
  void watchAllFiltersByTenantAndPredicateAndDropsOlderStates() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    Subscription all = await(client.watchAll(Task::terminal, t -> seen.add(t.id() + " v" + t.version())));
    publish("a", "in_progress", 0.5, 2);
    publish("a", "completed", 1.0, 3);
    publish("a", "in_progress", 0.5, 2);
    vertx.eventBus().publish(Addresses.UPDATED, trace("b", "completed", 1.0),
      new DeliveryOptions().addHeader(Addresses.HEADER_TASK_ID, "b").addHeader(Addresses.HEADER_TENANT, "other")
        .addHeader(Addresses.HEADER_VERSION, "3"));
    publish("c", "failed", 0.5, 2);
    publish("c", "failed", 0.5, 2);
    flush();
    assertEquals(List.of("a v3", "c v2"), seen);
    await(all.close());
    publish("d", "completed", 1.0, 3);
    flush();
    assertEquals(2, seen.size());
  }

  @Test
  void typedRequestsAndReplies() throws Exception {
    List<JsonObject> bodies = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(Addresses.CREATE, m -> {
      bodies.add(m.body());
      m.reply(trace("mine", "pending", 0).put("type", m.body().getString("type")), headers("mine", 1));
    });
    vertx.eventBus().<JsonObject>consumer(Addresses.LIST, m -> {
      bodies.add(m.body());
      m.reply(new JsonObject().put("object", "list").put("data", new JsonArray()
          .add(trace("x", "completed", 1.0)).add(trace("y", "cancelled", 0.3)))
          .put("first_id", "x").put("last_id", "y").put("has_more", true),
        new DeliveryOptions().addHeader(Addresses.HEADER_VERSIONS, "3,2"));
    });
    Task created = await(client.create(NewTask.of("t").withId("mine").withInput(new JsonObject().put("k", 1))
      .withMaxAttempts(2)));
    assertEquals(new JsonObject().put("type", "t").put("id", "mine").put("input", new JsonObject().put("k", 1))
      .put("max_attempts", 2).put("tenant", "default"), bodies.get(0));
    assertEquals(TaskStatus.PENDING, created.status());
    assertEquals(1_700_000_000L, created.createdAt().getEpochSecond());
    assertEquals(1, created.version());

    TaskPage page = await(client.list(TaskQuery.first(2).withStatus(TaskStatus.CANCELLED, TaskStatus.COMPLETED)
      .after("w").withType("t")));
    assertEquals(new JsonObject().put("limit", 2).put("order", "desc").put("after", "w")
      .put("status", new JsonArray().add("completed").add("cancelled")).put("type", "t").put("tenant", "default"),
      bodies.get(1));
    assertEquals(List.of("x", "y"), page.tasks().stream().map(Task::id).toList());
    assertEquals(List.of(3L, 2L), page.tasks().stream().map(Task::version).toList());
    assertEquals("y", page.lastId());
    assertTrue(page.hasMore());
    await(client.list(TaskQuery.first(5).oldestFirst().before("z")));
    assertEquals(new JsonObject().put("limit", 5).put("order", "asc").put("before", "z").put("tenant", "default"),
      bodies.get(2));
    await(client.create(NewTask.of("t").withData(new JsonObject().put("source", "test"))));
    assertEquals(new JsonObject().put("type", "t").put("data", new JsonObject().put("source", "test"))
      .put("tenant", "default"), bodies.get(3));
  }

  @Test
  void failuresCarryTheApiCodeAndStatus() throws Exception {
    vertx.eventBus().<JsonObject>consumer(Addresses.CANCEL,
      m -> ApiError.conflict("task_not_cancellable", "It has completed.").failReply(m));
    ApiException conflict = failure(client.cancel("done"));
    assertEquals(409, conflict.status());
    assertEquals("task_not_cancellable", conflict.code());

    // Nobody listens: refused at once (well before the timeout) after the retries, with what to check.
    long start = System.nanoTime();
    ApiException nobody = failure(client.ping());
    assertEquals(503, nobody.status());
    assertEquals("store_unavailable", nobody.code());
    assertTrue(nobody.getMessage().contains("cluster name, members and ports"), nobody.getMessage());
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 5000);
  }

  @Test
  void onlyRequestsThatAreSafeToRepeatAreSentAgainAfterATimeout() throws Exception {
    AtomicInteger gets = new AtomicInteger();
    AtomicInteger creates = new AtomicInteger();
    vertx.eventBus().<JsonObject>consumer(Addresses.GET, m -> gets.incrementAndGet());
    vertx.eventBus().<JsonObject>consumer(Addresses.CREATE, m -> creates.incrementAndGet());
    assertEquals(504, failure(client.get("slow")).status());
    assertEquals(4, gets.get(), "a read is sent again 3 times");
    assertEquals(504, failure(client.create("t", null)).status());
    assertEquals(1, creates.get(), "a create without an id may have been made: never sent again");
    assertEquals(504, failure(client.create(NewTask.of("t").withId("mine"))).status());
    assertEquals(5, creates.get(), "a create with an id is sent again");
  }

  @Test
  void aWatchReReadsItsTaskSoALostEventIsMadeUp() throws Exception {
    AtomicInteger reads = new AtomicInteger();
    vertx.eventBus().<JsonObject>consumer(Addresses.GET, m -> {
      // No event is ever published: only the re-reads see the task move on.
      if (reads.incrementAndGet() < 3) {
        m.reply(trace("quiet", "in_progress", 0.1), headers("quiet", 2));
      } else {
        m.reply(trace("quiet", "completed", 1.0), headers("quiet", 3));
      }
    });
    TasksClient resyncing = new TasksClient(vertx, ClientOptions.defaults().withResyncMs(50));
    List<Task> seen = new CopyOnWriteArrayList<>();
    TaskWatch watch = await(resyncing.watch("quiet", seen::add));
    assertEquals(TaskStatus.COMPLETED, await(watch.terminal()).status());
    assertEquals(List.of(2L, 3L), seen.stream().map(Task::version).toList());
  }

  @Test
  void aRequestNoNodeReceivedIsSentAsOftenAsTheOptionsSay() throws Exception {
    AtomicInteger pings = new AtomicInteger();
    vertx.eventBus().addOutboundInterceptor(delivery -> {
      if (delivery.message().address().equals(Addresses.PING)) {
        pings.incrementAndGet();
      }
      delivery.next();
    });
    assertEquals(503, failure(new TasksClient(vertx, ClientOptions.defaults().withRetries(0)).ping()).status());
    assertEquals(1, pings.get());
    assertEquals(503, failure(client.ping()).status());
    assertEquals(1 + 4, pings.get());
  }

  @Test
  void aRequestThatNoNodeReceivedIsSentAgainOnceOneIsThere() throws Exception {
    vertx.setTimer(150, t -> vertx.eventBus().<JsonObject>consumer(Addresses.DELETE,
      m -> m.reply(new JsonObject().put("id", "d").put("object", "task.deleted").put("deleted", true))));
    await(client.delete("d"));
  }

  @Test
  void clusterConfigFromTheNodesVariables() {
    ClusterConfig config = ClusterConfig.fromEnv(Map.of("TASKS_CLUSTER_NAME", "staging",
      "TASKS_CLUSTER_MEMBERS", "10.0.0.1:5701, 10.0.0.2:5701", "TASKS_CLUSTER_HOST", "10.0.0.9",
      "TASKS_CLUSTER_PORT", "5801", "TASKS_CLUSTER_BUS_PORT", "5802"));
    Config hz = config.hazelcastConfig();
    assertEquals("staging", hz.getClusterName());
    assertEquals(5801, hz.getNetworkConfig().getPort());
    assertFalse(hz.getNetworkConfig().getJoin().getMulticastConfig().isEnabled());
    assertEquals(List.of("10.0.0.9:5801", "10.0.0.1:5701", "10.0.0.2:5701"),
      hz.getNetworkConfig().getJoin().getTcpIpConfig().getMembers());
    assertEquals(5802, config.applyTo(new VertxOptions()).getEventBusOptions().getPort());
    assertEquals(new ClusterConfig("tasks", "127.0.0.1", 5701, List.of(), 0), ClusterConfig.fromEnv(Map.of()));
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
      () -> ClusterConfig.fromEnv(Map.of("TASKS_CLUSTER_PORT", "x")));
    assertEquals("Invalid TASKS_CLUSTER_PORT = 'x': must be a whole number", bad.getMessage());
  }
}
