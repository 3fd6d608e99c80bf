import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Load client for the "scale of waiting": opens N Server-Sent-Events streams (or N long polls) on
 * {@code GET /v1/tasks/{id}/events} spread over M tasks that this client creates (a type no job
 * runs, so they stay pending), checks that every stream got its first event, optionally runs a
 * command while they are all connected (the heap measurement), then cancels the M tasks one by one
 * and measures, for every stream, the delay until the terminal event arrives.
 *
 * <p>Run with the server jar on the class path (it contains Vert.x and the Postgres client):
 * {@code java -cp target/tasks-server.jar bench/SseLoad.java --port 10000 --clients 10000 --tasks 100}
 *
 * <p>Latency, per delivered terminal event, three clocks (see bench/results-sse.md):
 * <ul>
 *   <li>{@code db}: from the row's {@code updated_at} (Postgres {@code now()} of the UPDATE that
 *       persisted the cancel, microseconds, read back after the run with {@code --pg}) to the
 *       event's arrival, both on this machine's wall clock. This is "persisted change -> SSE
 *       delivery".</li>
 *   <li>{@code send}: from writing the cancel request (an upper bound: adds HTTP, bus, query).</li>
 *   <li>{@code reply}: from the cancel's 200 reply. The store publishes the change before it
 *       replies, so this can be negative; it is a lower bound.</li>
 * </ul>
 * Loopback only; bounded: every phase has a deadline and the program exits by itself.
 */
public class SseLoad {

  // ---- settings ----
  static String host = "127.0.0.1";
  static int port = 10000;          // where the streams (or long polls) go
  static int cancelPort = -1;       // where creates and cancels go (default: port)
  static int clients = 10_000;
  static int tasks = 100;
  static String type = "sse_bench";
  static String mode = "sse";       // sse | longpoll
  static int openConcurrency = 256; // streams opening at once (sent, first event not yet there)
  static int connectTimeoutS = 180;
  static int holdSeconds = 0;
  static int cancelIntervalMs = 50;
  static int deliverTimeoutS = 60;
  static int maxSeconds = 900;
  static int pollWait = 60;
  static String execWhenConnected;
  static String pg;                 // host:port:db:user for the updated_at read-back
  static List<String> localAddrs = List.of();
  static String label = "run";
  static String jsonOut;
  static String apiKey;

  // ---- per stream state (index = stream number); each slot written by one event loop ----
  static long[] arrivalNanos;       // terminal event arrival, System.nanoTime
  static long[] arrivalWallMicros;  // the same, wall clock
  static final LongAdder connected = new LongAdder();
  static final LongAdder terminal = new LongAdder();
  static final LongAdder ended = new LongAdder();
  static final LongAdder keepAlives = new LongAdder();
  static final LongAdder repolls = new LongAdder();
  static final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
  static final List<String> errorSamples = java.util.Collections.synchronizedList(new ArrayList<>());
  static CountDownLatch firstLatch;
  static CountDownLatch terminalLatch;
  static Semaphore opening;

  // ---- per task ----
  static String[] taskIds;
  static String[] pendingEtag;
  static long[] cancelSentNanos;
  static long[] cancelReplyNanos;
  static long[] updatedAtMicros;

  static Vertx vertx;
  static Context[] loops;           // one context per client event loop: streams are spread over them
  static HttpClient[] httpClients;
  static HttpClient control;

  public static void main(String[] args) throws Exception {
    parse(args);
    if (cancelPort < 0) {
      cancelPort = port;
    }
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(maxSeconds * 1000L);
      } catch (InterruptedException e) {
        return;
      }
      System.out.println("SseLoad: overall deadline of " + maxSeconds + " s reached, exiting");
      System.exit(3);
    }, "watchdog");
    watchdog.setDaemon(true);
    watchdog.start();

    int loopCount = Math.max(2, Runtime.getRuntime().availableProcessors());
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loopCount));
    // A connection lives on the event loop of the context that opened it. vertx.runOnContext from
    // the main thread would put every stream on one loop, so open them from one verticle per loop.
    List<Context> contexts = java.util.Collections.synchronizedList(new ArrayList<>());
    vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        contexts.add(context);
        return Future.succeededFuture();
      }
    }, new DeploymentOptions().setInstances(loopCount)).await(30, TimeUnit.SECONDS);
    loops = contexts.toArray(new Context[0]);
    List<String> addrs = localAddrs.isEmpty() ? java.util.Collections.singletonList(null) : localAddrs;
    httpClients = new HttpClient[addrs.size()];
    for (int i = 0; i < addrs.size(); i++) {
      HttpClientOptions o = new HttpClientOptions().setKeepAlive(true).setConnectTimeout(30_000)
        .setTcpNoDelay(true).setIdleTimeout(0);
      if (addrs.get(i) != null) {
        o.setLocalAddress(addrs.get(i));
      }
      httpClients[i] = vertx.createHttpClient(o, new PoolOptions().setHttp1MaxSize(clients + 16).setMaxWaitQueueSize(-1));
    }
    control = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
      new PoolOptions().setHttp1MaxSize(32));

    arrivalNanos = new long[clients];
    arrivalWallMicros = new long[clients];
    taskIds = new String[tasks];
    pendingEtag = new String[tasks];
    cancelSentNanos = new long[tasks];
    cancelReplyNanos = new long[tasks];
    updatedAtMicros = new long[tasks];
    firstLatch = new CountDownLatch(clients);
    terminalLatch = new CountDownLatch(clients);
    opening = new Semaphore(openConcurrency);

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("label", label);
    out.put("mode", mode);
    out.put("clients", clients);
    out.put("tasks", tasks);
    out.put("stream_port", port);
    out.put("cancel_port", cancelPort);

    // 1. Create the tasks (client-chosen ids, a type no job runs: they stay pending).
    String run = Long.toString(System.currentTimeMillis() % 100_000_000L, 36);
    long t0 = System.nanoTime();
    for (int i = 0; i < tasks; i++) {
      taskIds[i] = "sse-" + run + "-" + i;
      JsonObject reply = call(HttpMethod.POST, cancelPort, "/v1/tasks",
        new JsonObject().put("type", type).put("id", taskIds[i]), 202);
      if (!"pending".equals(reply.getString("status"))) {
        fail("task " + taskIds[i] + " is " + reply.getString("status") + ", not pending: is a job running type " + type + "?");
      }
      pendingEtag[i] = reply.getString("_etag");
    }
    log("created %d tasks of type %s in %d ms", tasks, type, ms(t0));

    // 2. Open the streams, at most openConcurrency still waiting for their first event.
    long t1 = System.nanoTime();
    long connectDeadline = t1 + TimeUnit.SECONDS.toNanos(connectTimeoutS);
    for (int s = 0; s < clients; s++) {
      long left = connectDeadline - System.nanoTime();
      if (left <= 0 || !opening.tryAcquire(left, TimeUnit.NANOSECONDS)) {
        error("connect_phase_timeout", "stream " + s + " not opened before the connect deadline");
        firstLatch.countDown();
        terminalLatch.countDown();
        continue;
      }
      int stream = s;
      HttpClient c = httpClients[s % httpClients.length];
      loops[s % loops.length].runOnContext(v -> {
        if ("sse".equals(mode)) {
          openStream(c, stream);
        } else {
          poll(c, stream, pendingEtag[taskOf(stream)], true);
        }
      });
      if (s > 0 && s % 2000 == 0) {
        log("opened %d streams, %d connected (%d ms)", s, connected.sum(), ms(t1));
      }
    }
    boolean allFirst = firstLatch.await(Math.max(1, connectDeadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    long connectMs = ms(t1);
    if ("longpoll".equals(mode)) {
      Thread.sleep(2000); // Long polls say nothing until a change: give the last ones time to register.
    }
    log("%s: %d of %d connected in %d ms (errors so far: %s)", "sse".equals(mode) ? "first events" : "polls sent",
      connected.sum(), clients, connectMs, errors);
    out.put("connected", connected.sum());
    out.put("connect_ms", connectMs);
    out.put("all_connected", allFirst && connected.sum() == clients);

    // 3. Everything is connected: run the measurement command, hold for a while.
    if (execWhenConnected != null) {
      long t2 = System.nanoTime();
      Process p = new ProcessBuilder("bash", "-c", execWhenConnected).inheritIO().start();
      if (!p.waitFor(300, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        error("exec_timeout", "the command run while connected took over 300 s");
      }
      log("command run while connected finished in %d ms (exit %d)", ms(t2), p.exitValue());
    }
    if (holdSeconds > 0) {
      log("holding all streams for %d s", holdSeconds);
      Thread.sleep(holdSeconds * 1000L);
    }
    long stillOpen = connected.sum() - ended.sum() - terminal.sum();
    out.put("still_open_before_cancels", stillOpen);
    out.put("keepalive_comments_seen", keepAlives.sum());
    out.put("errors_before_cancels", totalErrors());
    log("before the cancels: %d streams still open, %d keep-alive comments seen, errors %s", stillOpen,
      keepAlives.sum(), errors);

    // 4. Cancel the tasks one by one on cancelPort; every stream of a task should get the terminal event.
    out.put("loadavg_before_cancels", loadAverage());
    long t3 = System.nanoTime();
    CountDownLatch cancels = new CountDownLatch(tasks);
    for (int i = 0; i < tasks; i++) {
      int task = i;
      vertx.runOnContext(v -> {
        cancelSentNanos[task] = System.nanoTime();
        request(control, HttpMethod.POST, cancelPort, "/v1/tasks/" + taskIds[task] + "/cancel", null)
          .onComplete(ar -> {
            cancelReplyNanos[task] = System.nanoTime();
            if (ar.failed()) {
              error("cancel_failed", taskIds[task] + ": " + ar.cause());
            } else if (ar.result().status != 200 || !"cancelled".equals(ar.result().json().getString("status"))) {
              error("cancel_http_" + ar.result().status, taskIds[task] + ": " + ar.result().body);
            }
            cancels.countDown();
          });
      });
      Thread.sleep(cancelIntervalMs);
    }
    boolean cancelsDone = cancels.await(30, TimeUnit.SECONDS);
    boolean allTerminal = terminalLatch.await(deliverTimeoutS, TimeUnit.SECONDS);
    log("cancels sent over %d ms; %d terminal events received (all: %s), %d streams ended by the server",
      ms(t3), terminal.sum(), allTerminal, ended.sum());
    if (!cancelsDone) {
      error("cancel_timeout", "not every cancel was answered within 30 s");
    }
    if (!allTerminal) {
      error("terminal_timeout", (clients - terminal.sum()) + " streams had no terminal event after " + deliverTimeoutS + " s");
    }
    Thread.sleep(500); // Let the last ends arrive.
    out.put("terminal_events", terminal.sum());
    out.put("ended_by_server", ended.sum());

    // 5. The persisted moment of each cancel, read back from Postgres.
    if (pg != null) {
      readUpdatedAt();
    }

    // 6. Figures.
    List<Long> fromSend = new ArrayList<>();
    List<Long> fromReply = new ArrayList<>();
    List<Long> fromDb = new ArrayList<>();
    for (int s = 0; s < clients; s++) {
      if (arrivalNanos[s] == 0) {
        continue;
      }
      int task = taskOf(s);
      fromSend.add((arrivalNanos[s] - cancelSentNanos[task]) / 1000);
      if (cancelReplyNanos[task] != 0) {
        fromReply.add((arrivalNanos[s] - cancelReplyNanos[task]) / 1000);
      }
      if (updatedAtMicros[task] != 0) {
        fromDb.add(arrivalWallMicros[s] - updatedAtMicros[task]);
      }
    }
    // Per task, the first and the last of its streams to get the event: the propagation of one
    // change (store -> bus -> HTTP verticle -> first socket) apart from the fan-out to its streams.
    List<Long> firstPerTask = new ArrayList<>();
    List<Long> spreadPerTask = new ArrayList<>();
    long[] firstOf = new long[tasks];
    long[] lastOf = new long[tasks];
    Arrays.fill(firstOf, Long.MAX_VALUE);
    Arrays.fill(lastOf, Long.MIN_VALUE);
    for (int s = 0; s < clients; s++) {
      if (arrivalWallMicros[s] != 0) {
        firstOf[taskOf(s)] = Math.min(firstOf[taskOf(s)], arrivalWallMicros[s]);
        lastOf[taskOf(s)] = Math.max(lastOf[taskOf(s)], arrivalWallMicros[s]);
      }
    }
    for (int task = 0; task < tasks; task++) {
      long first = firstOf[task];
      long last = lastOf[task];
      if (first != Long.MAX_VALUE) {
        spreadPerTask.add(last - first);
        if (updatedAtMicros[task] != 0) {
          firstPerTask.add(first - updatedAtMicros[task]);
        }
      }
    }
    out.put("latency_from_db_updated_at_us", stats(fromDb));
    out.put("latency_from_db_first_stream_per_task_us", stats(firstPerTask));
    out.put("fanout_spread_per_task_us", stats(spreadPerTask));
    out.put("latency_from_cancel_sent_us", stats(fromSend));
    out.put("latency_from_cancel_reply_us", stats(fromReply));
    out.put("repolls", repolls.sum());
    out.put("errors", totalErrors());
    out.put("errors_by_kind", new HashMap<>(errors.entrySet().stream()
      .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get()))));
    synchronized (errorSamples) {
      out.put("error_samples", new ArrayList<>(errorSamples));
    }
    JsonObject json = new JsonObject(out);
    System.out.println();
    System.out.println("=== SseLoad " + label + " (" + mode + ") ===");
    System.out.printf("connected      %d / %d in %d ms%n", connected.sum(), clients, connectMs);
    System.out.printf("errors         %d %s%n", totalErrors(), errors);
    System.out.printf("terminal       %d events, %d streams ended by the server%n", terminal.sum(), ended.sum());
    System.out.printf("load average   %s before the cancels (2 cores shared with other work)%n", out.get("loadavg_before_cancels"));
    printStats("persisted (db updated_at) -> delivered", fromDb);
    printStats("cancel sent               -> delivered", fromSend);
    printStats("cancel 200 reply          -> delivered", fromReply);
    printStats("persisted -> first stream of the task", firstPerTask);
    printStats("first -> last stream of a task (fan-out)", spreadPerTask);
    System.out.println("RESULT_JSON " + json.encode());
    if (jsonOut != null) {
      Files.writeString(Path.of(jsonOut), json.encodePrettily());
    }
    int code = totalErrors() == 0 && connected.sum() == clients && terminal.sum() == clients ? 0 : 1;
    vertx.close().await(10, TimeUnit.SECONDS);
    System.exit(code);
  }

  /**
   * Streams go to tasks in blocks (0..N/M-1 to the first task, ...), so that the streams of one task
   * are opened one after the other and alternate over the client's event loops and the server's
   * HTTP verticles (which take connections in turn) instead of all landing on one of them.
   */
  static int taskOf(int stream) {
    return (int) ((long) stream * tasks / clients);
  }

  // ---------------------------------------------------------------- SSE

  static final class Stream {
    final int index;
    final StringBuilder pending = new StringBuilder();
    boolean first;
    boolean done;

    Stream(int index) {
      this.index = index;
    }
  }

  static void openStream(HttpClient c, int index) {
    Stream st = new Stream(index);
    String id = taskIds[taskOf(index)];
    RequestOptions ro = new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port)
      .setURI("/v1/tasks/" + id + "/events").addHeader("Accept", "text/event-stream");
    if (apiKey != null) {
      ro.addHeader("Authorization", "Bearer " + apiKey);
    }
    c.request(ro).compose(req -> req.send()).onComplete(ar -> {
      if (ar.failed()) {
        firstFailed(st, "connect", ar.cause().toString());
        return;
      }
      HttpClientResponse resp = ar.result();
      if (resp.statusCode() != 200) {
        resp.body().onComplete(b -> firstFailed(st, "http_" + resp.statusCode(),
          b.succeeded() ? b.result().toString() : "no body"));
        return;
      }
      resp.handler(buf -> onData(st, buf));
      resp.exceptionHandler(err -> {
        if (!st.done) {
          st.done = true;
          if (!st.first) {
            firstFailed(st, "stream_exception", err.toString());
          } else {
            error("stream_exception", err.toString());
            terminalLatch.countDown();
          }
        }
      });
      resp.endHandler(v -> {
        ended.increment();
        if (!st.done) {
          st.done = true;
          if (!st.first) {
            firstFailed(st, "closed_before_first_event", "stream " + index);
          } else {
            error("closed_before_terminal", "stream " + index);
            terminalLatch.countDown();
          }
        }
      });
    });
  }

  static void firstFailed(Stream st, String kind, String detail) {
    st.done = true;
    error(kind, detail);
    opening.release();
    firstLatch.countDown();
    terminalLatch.countDown();
  }

  static void onData(Stream st, Buffer buf) {
    long nanos = System.nanoTime();
    long wall = wallMicros();
    st.pending.append(buf.toString());
    int end;
    while ((end = st.pending.indexOf("\n\n")) >= 0) {
      String block = st.pending.substring(0, end);
      st.pending.delete(0, end + 2);
      onBlock(st, block, nanos, wall);
    }
  }

  static void onBlock(Stream st, String block, long nanos, long wall) {
    String event = null;
    String data = null;
    boolean comment = false;
    for (String line : block.split("\n")) {
      if (line.startsWith(":")) {
        comment = true;
      } else if (line.startsWith("event:")) {
        event = line.substring(6).trim();
      } else if (line.startsWith("data:")) {
        data = line.substring(5).trim();
      }
    }
    if (data == null) {
      if (comment) {
        keepAlives.increment();
      }
      return;
    }
    JsonObject trace;
    try {
      trace = new JsonObject(data);
    } catch (RuntimeException e) {
      error("bad_event", "unparsable data: " + data);
      return;
    }
    String expected = taskIds[taskOf(st.index)];
    if (!"task.updated".equals(event) || !expected.equals(trace.getString("id"))) {
      error("bad_event", "event " + event + " for " + trace.getString("id") + " on a stream of " + expected);
      return;
    }
    String status = trace.getString("status");
    if (!st.first) {
      st.first = true;
      connected.increment();
      opening.release();
      firstLatch.countDown();
      if (!"pending".equals(status)) {
        error("first_event_not_pending", expected + " is " + status);
      }
    }
    if ("cancelled".equals(status)) {
      if (!st.done) {
        arrivalNanos[st.index] = nanos;
        arrivalWallMicros[st.index] = wall;
        st.done = true;
        terminal.increment();
        terminalLatch.countDown();
      }
    } else if (!"pending".equals(status)) {
      error("unexpected_status", expected + " is " + status);
    }
  }

  // ---------------------------------------------------------------- long poll

  /**
   * One long-poll client: GET ?wait=N with If-None-Match, again on 304, until the task is cancelled.
   * A long poll says nothing until a change, so "connected" means "the request is written".
   */
  static void poll(HttpClient c, int index, String etag, boolean firstCall) {
    String id = taskIds[taskOf(index)];
    RequestOptions ro = new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port)
      .setURI("/v1/tasks/" + id + "?wait=" + pollWait).addHeader("If-None-Match", etag);
    if (apiKey != null) {
      ro.addHeader("Authorization", "Bearer " + apiKey);
    }
    boolean[] counted = {false};
    c.request(ro).compose(req -> {
      Future<HttpClientResponse> sent = req.send();
      if (firstCall) {
        counted[0] = true;
        connected.increment();
        opening.release();
        firstLatch.countDown();
      }
      return sent;
    }).compose(resp -> resp.body().map(body -> new Reply(resp.statusCode(), body.toString(), resp.getHeader("ETag"))))
      .onComplete(ar -> {
        long nanos = System.nanoTime();
        long wall = wallMicros();
        if (firstCall && !counted[0]) {
          // Never got a connection: counts against "connected".
          opening.release();
          firstLatch.countDown();
        }
        if (ar.failed()) {
          error("poll_failed", ar.cause().toString());
          terminalLatch.countDown();
          return;
        }
        Reply r = ar.result();
        if (r.status == 304) {
          repolls.increment();
          poll(c, index, etag, false);
        } else if (r.status == 200) {
          String status = r.json().getString("status");
          if ("cancelled".equals(status)) {
            arrivalNanos[index] = nanos;
            arrivalWallMicros[index] = wall;
            terminal.increment();
            terminalLatch.countDown();
          } else {
            repolls.increment();
            poll(c, index, r.etag, false);
          }
        } else {
          error("poll_http_" + r.status, r.body);
          terminalLatch.countDown();
        }
      });
  }

  // ---------------------------------------------------------------- helpers

  record Reply(int status, String body, String etag) {
    JsonObject json() {
      try {
        return new JsonObject(body);
      } catch (RuntimeException e) {
        return new JsonObject();
      }
    }
  }

  static Future<Reply> request(HttpClient c, HttpMethod method, int p, String uri, JsonObject body) {
    RequestOptions ro = new RequestOptions().setMethod(method).setHost(host).setPort(p).setURI(uri);
    if (apiKey != null) {
      ro.addHeader("Authorization", "Bearer " + apiKey);
    }
    if (body != null) {
      ro.addHeader("Content-Type", "application/json");
    }
    return c.request(ro)
      .compose(req -> body == null ? req.send() : req.send(body.toBuffer()))
      .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), b.toString(), resp.getHeader("ETag"))));
  }

  /** A blocking call from the main thread; the reply's ETag is returned as {@code _etag}. */
  static JsonObject call(HttpMethod method, int p, String uri, JsonObject body, int expected) throws Exception {
    Reply r = request(control, method, p, uri, body).await(30, TimeUnit.SECONDS);
    if (r.status != expected && !(expected == 202 && r.status == 200)) {
      fail(method + " " + uri + " answered " + r.status + ": " + r.body);
    }
    return r.json().put("_etag", r.etag);
  }

  static void readUpdatedAt() {
    String[] p = pg.split(":");
    PgConnectOptions o = new PgConnectOptions().setHost(p[0]).setPort(Integer.parseInt(p[1]))
      .setDatabase(p.length > 2 ? p[2] : "postgres").setUser(p.length > 3 ? p[3] : "postgres");
    String password = System.getenv("PGPASSWORD");
    if (password != null) {
      o.setPassword(password);
    }
    Pool db = PgBuilder.pool().connectingTo(o).using(vertx).build();
    try {
      var rows = db.preparedQuery("SELECT id, (extract(epoch FROM updated_at) * 1000000)::bigint AS us, status "
          + "FROM tasks WHERE id = ANY($1::text[])")
        .execute(Tuple.tuple().addArrayOfString(taskIds)).await(30, TimeUnit.SECONDS);
      Map<String, Integer> index = new HashMap<>();
      for (int i = 0; i < tasks; i++) {
        index.put(taskIds[i], i);
      }
      for (Row row : rows) {
        Integer i = index.get(row.getString("id"));
        if (i != null && "cancelled".equals(row.getString("status"))) {
          updatedAtMicros[i] = row.getLong("us");
        }
      }
      log("read updated_at of %d cancelled tasks from Postgres %s:%s", rows.size(), p[0], p[1]);
    } catch (Exception e) {
      error("pg_read_failed", e.toString());
    } finally {
      db.close();
    }
  }

  static Map<String, Object> stats(List<Long> values) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", values.size());
    if (values.isEmpty()) {
      return m;
    }
    long[] v = values.stream().mapToLong(Long::longValue).sorted().toArray();
    m.put("min", v[0]);
    m.put("p50", pct(v, 50));
    m.put("p90", pct(v, 90));
    m.put("p99", pct(v, 99));
    m.put("max", v[v.length - 1]);
    m.put("mean", (long) Arrays.stream(v).average().orElse(0));
    return m;
  }

  static long pct(long[] sorted, double p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  static void printStats(String name, List<Long> values) {
    Map<String, Object> s = stats(values);
    if (values.isEmpty()) {
      System.out.printf("%s: no samples%n", name);
      return;
    }
    System.out.printf("%s: n=%d  min %s  p50 %s  p90 %s  p99 %s  max %s%n", name, values.size(),
      fmt((long) s.get("min")), fmt((long) s.get("p50")), fmt((long) s.get("p90")), fmt((long) s.get("p99")),
      fmt((long) s.get("max")));
  }

  static String fmt(long micros) {
    return String.format("%.2f ms", micros / 1000.0);
  }

  static long wallMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
  }

  /** The machine's 1/5/15-minute load averages: other work on the machine shows in the latencies. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  static int totalErrors() {
    return errors.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  static void error(String kind, String detail) {
    errors.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
    synchronized (errorSamples) {
      if (errorSamples.size() < 20) {
        errorSamples.add(kind + ": " + detail);
      }
    }
  }

  static long ms(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  static void log(String format, Object... args) {
    System.out.printf("SseLoad[%s] %s%n", label, String.format(format, args));
  }

  static void fail(String message) {
    System.out.println("SseLoad: " + message);
    System.exit(2);
  }

  static void parse(String[] args) throws IOException {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (a) {
        case "--host" -> host = v;
        case "--port" -> port = Integer.parseInt(v);
        case "--cancel-port" -> cancelPort = Integer.parseInt(v);
        case "--clients" -> clients = Integer.parseInt(v);
        case "--tasks" -> tasks = Integer.parseInt(v);
        case "--type" -> type = v;
        case "--mode" -> mode = v;
        case "--open-concurrency" -> openConcurrency = Integer.parseInt(v);
        case "--connect-timeout-s" -> connectTimeoutS = Integer.parseInt(v);
        case "--hold-seconds" -> holdSeconds = Integer.parseInt(v);
        case "--cancel-interval-ms" -> cancelIntervalMs = Integer.parseInt(v);
        case "--deliver-timeout-s" -> deliverTimeoutS = Integer.parseInt(v);
        case "--max-seconds" -> maxSeconds = Integer.parseInt(v);
        case "--poll-wait" -> pollWait = Integer.parseInt(v);
        case "--exec-when-connected" -> execWhenConnected = v;
        case "--pg" -> pg = v;
        case "--local-addrs" -> localAddrs = Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        case "--label" -> label = v;
        case "--json-out" -> jsonOut = v;
        case "--api-key" -> apiKey = v;
        case "--help", "-h" -> {
          System.out.println("""
            SseLoad --port P [--cancel-port P2] [--clients 10000] [--tasks 100] [--type sse_bench]
                    [--mode sse|longpoll] [--open-concurrency 256] [--connect-timeout-s 180]
                    [--exec-when-connected 'cmd'] [--hold-seconds 0] [--cancel-interval-ms 50]
                    [--deliver-timeout-s 60] [--max-seconds 900] [--poll-wait 60]
                    [--pg host:port:db:user] [--local-addrs 127.0.0.1,127.0.0.2] [--label name]
                    [--json-out file] [--api-key key]""");
          System.exit(0);
        }
        default -> throw new IllegalArgumentException("unknown argument " + a + " (try --help)");
      }
      i++;
      if (v == null) {
        throw new IllegalArgumentException("missing value for " + a);
      }
    }
    if (!"sse".equals(mode) && !"longpoll".equals(mode)) {
      throw new IllegalArgumentException("--mode must be sse or longpoll");
    }
    if (!host.startsWith("127.") && !host.equals("localhost")) {
      throw new IllegalArgumentException("loopback only: --host must be 127.x.x.x or localhost");
    }
  }
}
