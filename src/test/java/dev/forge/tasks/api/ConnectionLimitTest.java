package dev.forge.tasks.api;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.web.client.WebClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TASKS_HTTP_MAX_CONNECTIONS: counted across the node's HTTP instances (two here, as in a node);
 * beyond it new connections are closed at once while the open ones keep working, and the node takes
 * its full number again once they go. The timeouts are long here, so that only the cap acts.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectionLimitTest {

  private static final int MAX = 40;
  private static final String TASK = "task_7bQ2mZp0Lx9aRt4kWc1YeN3s";
  private static final String GET = "GET /v1/tasks/" + TASK + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

  private Vertx server;
  private Vertx clients;
  private LimitedServer http;
  private NetClient net;

  @BeforeEach
  void start() throws Exception {
    server = Vertx.vertx();
    clients = Vertx.vertx();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    HttpLimits limits = new HttpLimits(60_000, 60_000, new ConnectionLimit(MAX, registry), null);
    http = await(LimitedServer.start(server, limits, Map.of(), 2, 15_000, registry));
    net = clients.createNetClient(new NetClientOptions().setConnectTimeout(10_000));
  }

  @AfterEach
  void stop() throws Exception {
    await(clients.close());
    await(server.close());
  }

  @Test
  void connectionsBeyondTheLimitAreRefusedAndTheNodeRecoversWhenTheyGo() throws Exception {
    ConnectionLimit limit = http.limits.connections();
    List<NetSocket> held = new ArrayList<>();
    for (int i = 0; i < MAX; i++) {
      held.add(await(net.connect(http.port, "127.0.0.1")));
    }
    await(until(() -> limit.counts().open() == MAX));

    // Ten more: each is closed by the server without an answer, even to a whole request.
    List<Future<String>> refused = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      refused.add(net.connect(http.port, "127.0.0.1").compose(socket -> {
        Promise<String> closed = Promise.promise();
        Buffer got = Buffer.buffer();
        socket.handler(got::appendBuffer);
        socket.closeHandler(v -> closed.complete(got.toString()));
        socket.write(GET);
        return closed.future();
      }));
    }
    await(Future.all(refused));
    for (Future<String> r : refused) {
      assertEquals("", r.result(), "a refused connection gets no answer");
    }
    assertEquals(10, limit.counts().refused());
    assertEquals(MAX, limit.counts().open(), "the refused connections were never counted in");

    // The open ones keep working.
    for (NetSocket socket : held.subList(0, 5)) {
      assertTrue(await(exchange(socket, GET)).startsWith("HTTP/1.1 200 "));
    }

    // They go; the node takes its full number again, each answered.
    for (NetSocket socket : held) {
      socket.close();
    }
    await(until(() -> limit.counts().open() == 0));
    List<NetSocket> again = new ArrayList<>();
    for (int i = 0; i < MAX; i++) {
      again.add(await(net.connect(http.port, "127.0.0.1")));
    }
    List<Future<String>> answers = new ArrayList<>();
    for (NetSocket socket : again) {
      answers.add(exchange(socket, GET));
    }
    await(Future.all(answers));
    for (Future<String> a : answers) {
      assertTrue(a.result().startsWith("HTTP/1.1 200 "), a.result());
    }
    assertEquals(10, limit.counts().refused(), "no connection was refused once the others had gone");
    for (NetSocket socket : again) {
      socket.close();
    }
    await(until(() -> limit.counts().open() == 0));

    String metrics = await(WebClient.create(clients).get(http.port, "127.0.0.1", "/metrics").send()).bodyAsString();
    assertTrue(metrics.contains("tasks_http_connections_refused_total 10.0"), metrics);
    assertTrue(metrics.contains("tasks_http_connections_max " + MAX + ".0"), metrics);
    assertTrue(metrics.contains("tasks_http_connections_open 1.0"), "the scrape's own connection: " + metrics);
    assertTrue(metrics.contains("tasks_http_connections_timed_out_total{phase=\"request_head\"} 0.0"), metrics);
  }

  /** Sends {@code request} on {@code socket} and completes with the first reply's bytes. */
  private static Future<String> exchange(NetSocket socket, String request) {
    Promise<String> reply = Promise.promise();
    Buffer got = Buffer.buffer();
    socket.handler(b -> {
      got.appendBuffer(b);
      String text = got.toString();
      String lower = text.toLowerCase(Locale.ROOT);
      int head = text.indexOf("\r\n\r\n");
      if (head >= 0 && lower.contains("content-length: ")) {
        int at = lower.indexOf("content-length: ") + 16;
        int length = Integer.parseInt(text.substring(at, text.indexOf('\r', at)).trim());
        if (got.length() >= head + 4 + length) {
          reply.tryComplete(text);
        }
      }
    });
    socket.closeHandler(v -> reply.tryComplete(got.toString()));
    socket.write(request);
    return reply.future();
  }

  /** Completes once {@code condition} holds, checked every 20 ms; fails after 10 s. */
  private Future<Void> until(BooleanSupplier condition) {
    Promise<Void> done = Promise.promise();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    clients.setPeriodic(20, t -> {
      if (condition.getAsBoolean()) {
        clients.cancelTimer(t);
        done.tryComplete();
      } else if (System.nanoTime() > deadline) {
        clients.cancelTimer(t);
        done.tryFail("the condition did not hold within 10 s");
      }
    });
    return done.future();
  }
}
