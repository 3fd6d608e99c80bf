package dev.forge.tasks;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.bus.TaskStatus;
import dev.forge.tasks.client.NewTask;
import dev.forge.tasks.client.Task;
import dev.forge.tasks.client.TaskPage;
import dev.forge.tasks.client.TaskQuery;
import dev.forge.tasks.client.TaskWatch;
import dev.forge.tasks.client.TasksClient;
import dev.forge.tasks.config.TasksConfig;
import dev.forge.tasks.job.Job;
import dev.forge.tasks.job.JobCancelledException;
import dev.forge.tasks.job.JobContext;
import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.OpenApiContract;
import dev.forge.tasks.support.Polls;
import dev.forge.tasks.support.SseClient;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The whole server in this JVM, on a fresh database, driven through HTTP and the event bus as its users do. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EndToEndTest {

  /** A job that reports progress until its task is cancelled; it records how it ended. */
  static final class UntilCancelledJob implements Job {
    final Map<String, CompletableFuture<String>> endings = new ConcurrentHashMap<>();

    @Override
    public String type() {
      return "until_cancelled";
    }

    @Override
    public JsonObject run(JobContext ctx) throws InterruptedException {
      CompletableFuture<String> ending = endings.computeIfAbsent(ctx.taskId(), k -> new CompletableFuture<>());
      try {
        for (int i = 0; ; i++) {
          ctx.progress(Math.min(0.99, i / 1000.0), new JsonObject().put("step", i));
          Thread.sleep(5); // simulated work between reports
        }
      } catch (JobCancelledException e) {
        ending.complete("cancelled");
        throw e;
      }
    }
  }

  /** A job of {@link #STEPS} progress reports and a completion, each taken once the test says go. */
  static final class InStepsJob implements Job {
    static final int STEPS = 3;
    final Map<String, BlockingQueue<Boolean>> gates = new ConcurrentHashMap<>();

    BlockingQueue<Boolean> go(String id) {
      return gates.computeIfAbsent(id, k -> new LinkedBlockingQueue<>());
    }

    @Override
    public String type() {
      return "in_steps";
    }

    @Override
    public JsonObject run(JobContext ctx) throws InterruptedException {
      BlockingQueue<Boolean> go = go(ctx.taskId());
      for (int step = 1; step <= STEPS + 1; step++) {
        if (go.poll(20, TimeUnit.SECONDS) == null) {
          throw new IllegalStateException("task " + ctx.taskId() + ": no go for step " + step + " within 20 s");
        }
        if (step <= STEPS) {
          ctx.progress(step / (STEPS + 1.0), new JsonObject().put("step", step));
        }
      }
      return new JsonObject().put("steps", STEPS);
    }
  }

  static LiveNode live;
  static TasksNode node;
  static WebClient http;
  static int port;
  static final UntilCancelledJob UNTIL_CANCELLED = new UntilCancelledJob();
  static final InStepsJob IN_STEPS = new InStepsJob();

  @BeforeAll
  static void start() throws Exception {
    TasksConfig config = TestNodes.config(TestDatabase.freshDatabase(), Map.of(
      "TASKS_TYPES", "document_analysis,until_cancelled,in_steps,nobody_runs_this",
      "TASKS_JOB_TYPES", "document_analysis,until_cancelled,in_steps"));
    live = LiveNode.start(config, type -> switch (type) {
      case "until_cancelled" -> UNTIL_CANCELLED;
      case "in_steps" -> IN_STEPS;
      default -> TasksNode.BUILT_IN_JOBS.get(type);
    });
    node = live.node;
    port = live.port();
    // Every exchange is checked against the OpenAPI document the server ships.
    http = OpenApiContract.validating(WebClient.create(node.vertx(),
      new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)));
  }

  @AfterAll
  static void stop() throws Exception {
    LiveNode.stop(live);
  }

  private static JsonObject create(JsonObject body) throws Exception {
    HttpResponse<Buffer> r = await(http.post("/v1/tasks").putHeader("Content-Type", "application/json")
      .sendBuffer(body.toBuffer()));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  @Test
  void documentAnalysisRunsToCompletionWhileClientsLongPoll() throws Exception {
    String text = "Vert.x is a toolkit for reactive applications on the JVM. "
      + "Postgres stores every task durably. "
      + "Reactive applications handle many clients with few threads. "
      + "The weather was pleasant yesterday. "
      + "A reactive toolkit and a durable Postgres make task status fast and safe for applications.";
    JsonObject task = create(new JsonObject().put("type", "document_analysis").put("input", new JsonObject().put("text", text)));
    assertEquals("pending", task.getString("status"));
    assertEquals(new JsonObject().put("operation", "document_analysis"), task.getJsonObject("data"));
    String id = task.getString("id");
    assertTrue(id.matches("task_[A-Za-z0-9]{24}"), id);

    String etag = null;
    double lastProgress = 0;
    JsonObject state = task;
    for (int polls = 0; polls < 50 && !state.getString("status").equals("completed"); polls++) {
      var request = http.get("/v1/tasks/" + id + "?wait=10");
      if (etag != null) {
        request.putHeader("If-None-Match", etag);
      }
      HttpResponse<Buffer> r = await(request.send());
      if (r.statusCode() == 304) {
        continue;
      }
      assertEquals(200, r.statusCode(), r.bodyAsString());
      etag = r.getHeader("ETag");
      state = r.bodyAsJsonObject();
      assertTrue(state.getDouble("progress") >= lastProgress, "progress went down: " + state);
      lastProgress = state.getDouble("progress");
    }
    assertEquals("completed", state.getString("status"), state.encode());
    assertEquals(1.0, state.getDouble("progress"));
    JsonObject data = state.getJsonObject("data");
    assertEquals("document_analysis", data.getString("operation"));
    assertEquals(5, data.getInteger("sentences"));
    assertTrue(data.getString("summary").contains("reactive"), data.encode());
    assertFalse(data.getString("summary").contains("weather"), data.encode());
    assertTrue(data.getJsonArray("keywords").contains("reactive"), data.encode());
    assertTrue(data.getJsonArray("keywords").contains("applications"), data.encode());
    assertNotNull(state.getLong("updated_at"));
    assertTrue(state.containsKey("failure_reason") && state.getValue("failure_reason") == null);
  }

  @Test
  void metricsCountTasksByTypeInPrometheusFormat() throws Exception {
    String id = create(new JsonObject().put("type", "document_analysis")
      .put("input", new JsonObject().put("text", "Metrics are counted. Tasks complete."))).getString("id");
    JsonObject state = Polls.untilStatus(http, port, id, 20, "completed");
    HttpResponse<Buffer> metrics = await(http.get("/metrics").send());
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.getHeader("Content-Type").startsWith("text/plain"), metrics.getHeader("Content-Type"));
    String text = metrics.bodyAsString();
    for (String name : List.of("tasks_enqueued_total{type=\"document_analysis\"}",
      "tasks_completed_total{type=\"document_analysis\"}", "tasks_pending", "vertx_http_server_requests_total",
      "vertx_eventbus_handlers", "vertx_pool_in_use")) {
      assertTrue(text.lines().anyMatch(l -> l.startsWith(name)), name + " missing from /metrics");
    }
    double completed = text.lines().filter(l -> l.startsWith("tasks_completed_total{type=\"document_analysis\"}"))
      .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    assertTrue(completed >= 1, text);
  }

  @Test
  void longPollAnswersAtTheDeadline() throws Exception {
    String id = create(new JsonObject().put("type", "nobody_runs_this")).getString("id");
    String etag = await(http.get("/v1/tasks/" + id).send()).getHeader("ETag");
    long start = System.nanoTime();
    HttpResponse<Buffer> unchanged = await(http.get("/v1/tasks/" + id + "?wait=1").putHeader("If-None-Match", etag).send());
    long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(304, unchanged.statusCode());
    assertEquals(etag, unchanged.getHeader("ETag"));
    assertTrue(waited >= 900 && waited < 5000, "waited " + waited + " ms");
    start = System.nanoTime();
    HttpResponse<Buffer> current = await(http.get("/v1/tasks/" + id + "?wait=1").send());
    waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(200, current.statusCode());
    assertEquals("pending", current.bodyAsJsonObject().getString("status"));
    assertEquals("1000", current.getHeader("Poll-After-Ms"));
    assertTrue(waited >= 900 && waited < 5000, "waited " + waited + " ms");
  }

  @Test
  void lastEventIdSkipsWhatTheClientAlreadyHas() throws Exception {
    String id = create(new JsonObject().put("type", "nobody_runs_this")).getString("id");
    try (SseClient stream = await(SseClient.task(node.vertx(), port, id, Map.of("Last-Event-ID", "1")))) {
      assertEquals(200, await(http.post("/v1/tasks/" + id + "/cancel").send()).statusCode());
      await(stream.ended());
      List<SseClient.Event> events = stream.drain();
      assertEquals(1, events.size(), events.toString());
      assertEquals(2, events.get(0).version(), events.toString());
      assertEquals("cancelled", events.get(0).data().getString("status"), events.toString());
    }
  }

  private static long waiters() throws Exception {
    return await(http.get("/metrics").send()).bodyAsString().lines().filter(l -> l.startsWith("tasks_waiters{"))
      .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  @Test
  void aClientThatGoesAwayFreesItsWaiterAtOnce() throws Exception {
    String id = create(new JsonObject().put("type", "nobody_runs_this")).getString("id");
    long before = waiters();
    // A raw socket: the test decides exactly when the client goes away.
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.getOutputStream().write(("GET /v1/tasks/" + id + "/events HTTP/1.1\r\nHost: x\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
        StandardCharsets.UTF_8));
      String line;
      while ((line = in.readLine()) != null && !line.startsWith("data: ")) {
        // headers, chunk sizes, "event:" and "id:" lines come first
      }
      assertTrue(line != null && line.contains("\"pending\""), "the current state comes first: " + line);
      assertEquals(before + 1, waiters());
    }
    long after = waiters();
    for (int i = 0; i < 50 && after != before; i++) {
      await(node.vertx().timer(20));
      after = waiters();
    }
    assertEquals(before, after, "the stream's waiter outlived its client");
  }

  @Test
  void emptyTextFailsTheTaskNotTheServer() throws Exception {
    String id = create(new JsonObject().put("type", "document_analysis").put("input", new JsonObject().put("text", "   ")))
      .getString("id");
    JsonObject state = Polls.untilStatus(http, port, id, 20, "failed");
    assertEquals("failed", state.getString("status"));
    assertTrue(state.getString("failure_reason").contains("empty"), state.encode());
    assertEquals(200, await(http.get("/health").send()).statusCode());
  }

  @Test
  void cancelReachesTheRunningJobAndTheEventStreamEndsWithIt() throws Exception {
    String id = create(new JsonObject().put("type", "until_cancelled")).getString("id");
    try (SseClient stream = await(SseClient.task(node.vertx(), port, id, Map.of()))) {
      assertTrue(stream.response().getHeader(HttpHeaders.CONTENT_TYPE).startsWith("text/event-stream"));
      // A report: the job runs, not just claimed.
      stream.until(e -> e.data().getJsonObject("data").containsKey("step"), 30);

      HttpResponse<Buffer> cancel = await(http.post("/v1/tasks/" + id + "/cancel").send());
      assertEquals(200, cancel.statusCode(), cancel.bodyAsString());
      assertEquals("cancelled", cancel.bodyAsJsonObject().getString("status"));
      assertEquals("cancelled", UNTIL_CANCELLED.endings.get(id).get(5, TimeUnit.SECONDS));
      await(stream.ended());

      stream.drain();
      List<SseClient.Event> events = stream.seen;
      assertEquals("cancelled", events.get(events.size() - 1).data().getString("status"), events.toString());
      long previous = 0;
      for (SseClient.Event e : events) {
        assertTrue(e.version() > previous, "event ids must increase: " + events);
        previous = e.version();
      }
    }
    HttpResponse<Buffer> again = await(http.post("/v1/tasks/" + id + "/cancel").send());
    assertEquals(200, again.statusCode());
    HttpResponse<Buffer> after = await(http.get("/v1/tasks/" + id).send());
    assertEquals("cancelled", after.bodyAsJsonObject().getString("status"));
  }

  /**
   * Every change of a task that runs through several reports, as an event-bus client sees it: the
   * state read when the watch starts, then each later version exactly once, in order, ending with
   * the completion. The job takes its next step only once the watch has seen the previous one, so
   * every report is its own write (reports are otherwise coalesced) and the test knows them all.
   */
  @Test
  void eventBusClientSeesEveryChangeInOrder() throws Exception {
    TasksClient tasks = new TasksClient(node.vertx());
    Task created = await(tasks.create(NewTask.of("in_steps").withId("bus-e2e-1")));
    BlockingQueue<Boolean> go = IN_STEPS.go("bus-e2e-1");
    List<Task> seen = new CopyOnWriteArrayList<>();
    TaskWatch watch = await(tasks.watch("bus-e2e-1", t -> {
      seen.add(t);
      if (t.status() == TaskStatus.IN_PROGRESS) { // claimed, or a step reported: the job may take its next step
        go.add(true);
      }
    }));
    Task done = await(watch.terminal());

    assertEquals(TaskStatus.COMPLETED, done.status(), seen.toString());
    assertEquals(InStepsJob.STEPS, done.data().getInteger("steps"), done.toString());
    assertEquals(1.0, done.progress());
    assertEquals(done, seen.get(seen.size() - 1));
    // The first state is the one read when the watch started: the created task, or its claim.
    assertTrue(seen.get(0).version() <= created.version() + 1, seen.toString());
    for (int i = 1; i < seen.size(); i++) {
      assertEquals(seen.get(i - 1).version() + 1, seen.get(i).version(), "a change missed or repeated: " + seen);
      assertTrue(seen.get(i).progress() >= seen.get(i - 1).progress(), "progress went down: " + seen);
    }
    List<Integer> steps = seen.stream().filter(t -> t.status() == TaskStatus.IN_PROGRESS)
      .map(t -> t.data().getInteger("step")).filter(Objects::nonNull).toList();
    assertEquals(List.of(1, 2, 3), steps, seen.toString());
    assertEquals(List.of(TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED), seen.stream().map(Task::status)
      .filter(s -> s != TaskStatus.PENDING).distinct().toList(), seen.toString());
    assertEquals(done, await(tasks.get("bus-e2e-1")));
  }

  @Test
  void eventBusClientListsCancelsAndDeletes() throws Exception {
    TasksClient tasks = new TasksClient(node.vertx());
    await(tasks.create(NewTask.of("nobody_runs_this").withId("bus-e2e-2")));
    Task cancelled = await(tasks.cancel("bus-e2e-2"));
    assertEquals(TaskStatus.CANCELLED, cancelled.status());
    TaskPage listed = await(tasks.list(TaskQuery.first(10).withStatus(TaskStatus.CANCELLED)));
    assertTrue(listed.tasks().contains(cancelled), listed.toString());
    await(tasks.delete("bus-e2e-2"));
    ApiException gone = (ApiException) LiveNode.failure(tasks.get("bus-e2e-2"));
    assertEquals(404, gone.status());
    assertEquals("task_not_found", gone.code());
  }
}
