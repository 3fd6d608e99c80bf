package dev.forge.tasks.api;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.api.ConnectionLimit.Phase;
import dev.forge.tasks.bus.Addresses;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpResponseExpectation;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TASKS_HTTP_REQUEST_TIMEOUT_MS and TASKS_HTTP_IDLE_TIMEOUT_MS against slow clients: half-sent
 * requests and stalled bodies are cut, while long polls, SSE streams, slow but steady uploads and
 * real clients are not. The server runs two HTTP instances sharing one {@link HttpLimits}, as a node
 * does, with a request timeout of 2 s and an idle timeout of 4 s (short, so that the test is); the
 * long poll and the SSE stream keep their full 30 s, 15 and 7.5 times those timeouts.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SlowClientsTest {

  private static final long REQUEST_TIMEOUT_MS = 2_000;
  private static final long IDLE_TIMEOUT_MS = 4_000;
  private static final String TASK = "task_7bQ2mZp0Lx9aRt4kWc1YeN3s";
  private static final String STREAMED = "task_Sse0mZp0Lx9aRt4kWc1YeN3s";

  private Vertx server;
  private Vertx clients;
  private LimitedServer http;
  private NetClient net;

  @BeforeEach
  void start() throws Exception {
    server = Vertx.vertx();
    clients = Vertx.vertx();
    HttpLimits limits = new HttpLimits(REQUEST_TIMEOUT_MS, IDLE_TIMEOUT_MS, new ConnectionLimit(10_000, null), null);
    // SSE keep-alives every 15 s: the stream is quiet for longer than both timeouts.
    http = await(LimitedServer.start(server, limits, Map.of(), 2, 15_000, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));
    net = clients.createNetClient(new NetClientOptions().setConnectTimeout(10_000));
  }

  @AfterEach
  void stop() throws Exception {
    await(clients.close());
    await(server.close());
  }

  @Test
  void halfSentRequestsAreCutWithinTheTimeoutWhileRealClientsLongPollsAndStreamsAreServed() throws Exception {
    // One connection for the real requests, so that the server's count of connections stays predictable.
    WebClient web = WebClient.create(clients, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(http.port),
      new PoolOptions().setHttp1MaxSize(1));
    HttpClient sseClient = clients.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1")
      .setDefaultPort(http.port), new PoolOptions().setHttp1MaxSize(1));

    // A long poll of 30 s and an SSE stream, started before the slow clients arrive.
    long pollStarted = System.nanoTime();
    Future<HttpResponse<Buffer>> longPoll = web.get("/v1/tasks/" + TASK + "?wait=30").send();
    Buffer streamed = Buffer.buffer();
    AtomicBoolean streamCut = new AtomicBoolean();
    CountDownLatch streamedUpdate = new CountDownLatch(1);
    await(sseClient.request(HttpMethod.GET, "/v1/tasks/" + STREAMED + "/events")
      .compose(req -> req.send().expecting(HttpResponseExpectation.SC_OK))
      .onSuccess(resp -> {
        resp.handler(chunk -> {
          streamed.appendBuffer(chunk);
          if (streamed.toString().contains("\"version\":2") || streamed.toString().contains("id: 2")) {
            streamedUpdate.countDown();
          }
        });
        resp.endHandler(v -> streamCut.set(true));
        resp.exceptionHandler(e -> streamCut.set(true));
      }));
    // After 25 s of silence (keep-alives every 15 s), the streamed task changes once.
    clients.setTimer(25_000, t -> LimitedServer.publish(server, LimitedServer.running(Addresses.DEFAULT_TENANT, STREAMED, 2)));

    // 2,000 connections that send half a request and then nothing, opened 100 at a time, each batch
    // once the server has accepted the previous one (a starved server accepts late, and its clock
    // starts when it accepts).
    int slow = 2_000;
    int batchSize = 100;
    ConnectionLimit count = http.limits.connections();
    await(web.get("/health").send()); // Opens the real requests' connection now.
    Stalls serverStalls = new Stalls(server);
    Stalls clientStalls = new Stalls(clients);
    long acceptedBefore = count.counts().accepted();
    // When the client asked for the connection (before the server accepted it) and when the server
    // was seen to have accepted it: the lower and upper bounds of when the server's clock started.
    long[] asked = new long[slow];
    long[] opened = new long[slow];
    long[] closed = new long[slow];
    CountDownLatch allClosed = new CountDownLatch(slow);
    AtomicInteger stillOpen = new AtomicInteger();
    // Meanwhile, real clients: five requests after each batch, each noting how many slow ones were held.
    List<Future<HttpResponse<Buffer>>> real = new ArrayList<>();
    AtomicInteger mostHeldAtAReply = new AtomicInteger();
    for (int batch = 0; batch < slow; batch += batchSize) {
      List<Future<NetSocket>> connecting = new ArrayList<>();
      for (int i = batch; i < batch + batchSize; i++) {
        int n = i;
        String half = n % 2 == 0 ? "GET /v1/tasks/" + TASK.substring(0, 12)
          : "GET /v1/tasks/" + TASK + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: appl";
        asked[n] = System.nanoTime();
        connecting.add(net.connect(http.port, "127.0.0.1").onSuccess(socket -> {
          stillOpen.incrementAndGet();
          socket.closeHandler(v -> {
            closed[n] = System.nanoTime();
            stillOpen.decrementAndGet();
            allClosed.countDown();
          });
          socket.write(half);
        }));
      }
      await(Future.all(connecting));
      int slowSoFar = batch + batchSize;
      await(until(() -> count.counts().accepted() - acceptedBefore >= slowSoFar));
      long seen = System.nanoTime();
      Arrays.fill(opened, batch, batch + batchSize, seen);
      for (int i = 0; i < 5; i++) {
        real.add(web.get(i == 0 ? "/health" : "/v1/tasks/" + TASK).send()
          .onSuccess(r -> mostHeldAtAReply.accumulateAndGet(stillOpen.get(), Math::max)));
      }
    }
    await(Future.all(real));
    for (Future<HttpResponse<Buffer>> r : real) {
      assertEquals(200, r.result().statusCode(), r.result().bodyAsString());
    }
    assertTrue(mostHeldAtAReply.get() >= 500,
      "real requests were answered while slow connections were held (at most " + mostHeldAtAReply + " at a reply)");

    assertTrue(allClosed.await(REQUEST_TIMEOUT_MS + 20_000, TimeUnit.MILLISECONDS), allClosed.getCount() + " slow connections still open");
    long[] held = new long[slow];
    long earliest = Long.MAX_VALUE;
    for (int i = 0; i < slow; i++) {
      held[i] = TimeUnit.NANOSECONDS.toMillis(closed[i] - opened[i]);
      earliest = Math.min(earliest, TimeUnit.NANOSECONDS.toMillis(closed[i] - asked[i]));
    }
    Arrays.sort(held);
    long latest = held[slow - 1];
    // On a shared 2-core machine the test's own event loops are sometimes not run for a second or
    // more: the longest such stall of any of them in the meantime (measured, not guessed) is added.
    long stalled = Math.max(serverStalls.stop(), clientStalls.stop());
    assertTrue(latest <= REQUEST_TIMEOUT_MS + 1_000 + stalled, "every half-sent request is cut within the timeout plus a "
      + "second (plus " + stalled + " ms that the event loops were stalled); held (ms): median " + held[slow / 2] + ", 90% "
      + held[slow * 9 / 10] + ", 99% " + held[slow * 99 / 100] + ", longest " + latest + "; load average " + loadAverage());
    assertTrue(earliest >= REQUEST_TIMEOUT_MS - 100, "none is cut before the timeout; the shortest was held " + earliest + " ms");
    assertTrue(http.limits.connections().timedOutCount(Phase.REQUEST_HEAD) >= slow);

    // The long poll runs its full 30 s and answers; the stream is still open after as long.
    HttpResponse<Buffer> poll = await(longPoll, 45);
    long pollMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pollStarted);
    assertEquals(200, poll.statusCode(), poll.bodyAsString());
    assertEquals(TASK, poll.bodyAsJsonObject().getString("id"));
    assertTrue(pollMs >= 29_000, "the long poll waited its 30 s (" + pollMs + " ms)");
    assertTrue(streamedUpdate.await(10, TimeUnit.SECONDS), "the stream delivered the change after 25 s: " + streamed);
    assertFalse(streamCut.get(), "the SSE stream was not cut after " + pollMs + " ms");
    assertTrue(streamed.toString().startsWith("event: task.updated\nid: 1\n"), streamed.toString());
    assertTrue(streamed.toString().contains(": keep-alive"), "a keep-alive was sent at 15 s: " + streamed);
  }

  /** Completes once {@code condition} holds, checked every 10 ms; fails after 20 s. */
  private Future<Void> until(BooleanSupplier condition) {
    Promise<Void> done = Promise.promise();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    clients.setPeriodic(10, t -> {
      if (condition.getAsBoolean()) {
        clients.cancelTimer(t);
        done.tryComplete();
      } else if (System.nanoTime() > deadline) {
        clients.cancelTimer(t);
        done.tryFail("the condition did not hold within 20 s");
      }
    });
    return done.future();
  }

  /**
   * How late a 20 ms timer fired at worst on the event loops of {@code vertx}, from now to
   * {@link #stop()}: one timer in each instance of a verticle deployed as many times as the default
   * pool has event loops, twice over (instances take the loops in turn), so that every loop is watched.
   */
  private static final class Stalls {

    private final Vertx vertx;
    private final AtomicLong worst = new AtomicLong();
    private final String deployment;

    Stalls(Vertx vertx) throws Exception {
      this.vertx = vertx;
      this.deployment = await(vertx.deployVerticle(() -> new VerticleBase() {
        private long last;

        @Override
        public Future<?> start() {
          last = System.nanoTime();
          vertx.setPeriodic(20, t -> {
            long now = System.nanoTime();
            worst.accumulateAndGet(now - last - TimeUnit.MILLISECONDS.toNanos(20), Math::max);
            last = now;
          });
          return Future.succeededFuture();
        }
      }, new DeploymentOptions().setInstances(4 * Runtime.getRuntime().availableProcessors())));
    }

    /** Stops the probes; the worst lateness in milliseconds. */
    long stop() throws Exception {
      await(vertx.undeploy(deployment));
      return TimeUnit.NANOSECONDS.toMillis(worst.get());
    }
  }

  private static String loadAverage() {
    return Double.toString(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
  }

  @Test
  void aSlowButSteadyBodyIsReadToTheEndAndAStalledOneIsCut() throws Exception {
    String head = "POST /v1/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      + "Transfer-Encoding: chunked\r\n\r\n";
    // Steady: one chunk every 400 ms for 6 s, three times the request timeout in all.
    NetSocket steady = await(net.connect(http.port, "127.0.0.1"));
    Buffer steadyReply = Buffer.buffer();
    Promise<Void> replied = Promise.promise();
    AtomicBoolean steadyClosed = new AtomicBoolean();
    steady.handler(b -> {
      steadyReply.appendBuffer(b);
      if (steadyReply.toString().contains("\r\n\r\n{")) {
        replied.tryComplete();
      }
    });
    steady.closeHandler(v -> steadyClosed.set(true));
    steady.write(head);
    List<String> pieces = new ArrayList<>(List.of("{\"type\":", " \"document_analysis\",", " \"input\": {\"text\": \""));
    for (int i = 0; i < 12; i++) {
      pieces.add("word" + i + " ");
    }
    pieces.add("\"}}");
    AtomicInteger next = new AtomicInteger();
    long started = System.nanoTime();
    clients.setPeriodic(400, timer -> {
      int i = next.getAndIncrement();
      if (i < pieces.size()) {
        String piece = pieces.get(i);
        steady.write(Integer.toHexString(piece.length()) + "\r\n" + piece + "\r\n");
      } else {
        clients.cancelTimer(timer);
        steady.write("0\r\n\r\n");
      }
    });

    // Stalled: the head and one chunk of the body, then nothing.
    Stalls serverStalls = new Stalls(server);
    Stalls clientStalls = new Stalls(clients);
    NetSocket stalled = await(net.connect(http.port, "127.0.0.1"));
    Promise<Long> stalledClosed = Promise.promise();
    long stallStarted = System.nanoTime();
    stalled.closeHandler(v -> stalledClosed.complete(System.nanoTime()));
    stalled.write(head + "5\r\n{\"typ\r\n");

    long cutAfterMs = TimeUnit.NANOSECONDS.toMillis(await(stalledClosed.future()) - stallStarted);
    long stalledMs = Math.max(serverStalls.stop(), clientStalls.stop());
    assertTrue(cutAfterMs >= REQUEST_TIMEOUT_MS - 100 && cutAfterMs <= REQUEST_TIMEOUT_MS + 1_000 + stalledMs,
      "the stalled body is cut within the timeout plus a second (" + cutAfterMs + " ms; event loops stalled " + stalledMs + " ms)");
    await(replied.future());
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertTrue(steadyReply.toString().startsWith("HTTP/1.1 202 "), steadyReply.toString());
    assertTrue(tookMs >= 2 * REQUEST_TIMEOUT_MS, "the body took longer than the timeout to arrive (" + tookMs + " ms)");
    assertFalse(steadyClosed.get(), "the steady upload's connection is still open");
    assertTrue(http.limits.connections().timedOutCount(Phase.REQUEST_BODY) >= 1);
    steady.close();
  }

  @Test
  void aKeepAliveConnectionOutlivesTheRequestTimeoutAndIsClosedAfterTheIdleTimeout() throws Exception {
    Stalls serverStalls = new Stalls(server);
    Stalls clientStalls = new Stalls(clients);
    NetSocket socket = await(net.connect(http.port, "127.0.0.1"));
    AtomicInteger replies = new AtomicInteger();
    AtomicLong lastReply = new AtomicLong();
    Promise<Long> closed = Promise.promise();
    Promise<Void> secondReply = Promise.promise();
    socket.handler(b -> {
      int n = b.toString().split("HTTP/1.1 200 ", -1).length - 1;
      if (n > 0) {
        lastReply.set(System.nanoTime());
        if (replies.addAndGet(n) == 2) {
          secondReply.complete();
        }
      }
    });
    socket.closeHandler(v -> closed.tryComplete(System.nanoTime()));
    String get = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    socket.write(get);
    // The second request comes after 1.5 times the request timeout of quiet: the connection is still there.
    clients.setTimer(REQUEST_TIMEOUT_MS * 3 / 2, t -> socket.write(get));
    await(secondReply.future());
    long idleMs = TimeUnit.NANOSECONDS.toMillis(await(closed.future()) - lastReply.get());
    long stalledMs = Math.max(serverStalls.stop(), clientStalls.stop());
    assertTrue(idleMs >= IDLE_TIMEOUT_MS - 100 && idleMs <= IDLE_TIMEOUT_MS + 1_000 + stalledMs,
      "an idle keep-alive connection is closed after the idle timeout (" + idleMs + " ms; event loops stalled " + stalledMs + " ms)");
    assertEquals(1, http.limits.connections().timedOutCount(Phase.KEEP_ALIVE_IDLE));
  }
}
