package dev.forge.tasks.api;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.config.RateLimits;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** TASKS_RATE_LIMIT through HTTP: the headers on every reply, the 429, what counts and what does not. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RateLimiterTest {

  private static final String TASK = "task_7bQ2mZp0Lx9aRt4kWc1YeN3s";

  private Vertx vertx;
  private WebClient web;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    await(vertx.close());
  }

  private LimitedServer server(RateLimiter limiter, PrometheusMeterRegistry registry, Map<String, String> keys) throws Exception {
    HttpLimits limits = new HttpLimits(10_000, 75_000, new ConnectionLimit(1_000, registry), limiter);
    LimitedServer http = await(LimitedServer.start(vertx, limits, keys, 2, 15_000, registry));
    web = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(http.port),
      new PoolOptions().setHttp1MaxSize(32));
    return http;
  }

  @Test
  void everyReplyCarriesTheHeadersA304CountsAndAnEmptyBucketAnswers429() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AtomicLong clock = new AtomicLong(1_000_000_000L); // Stands still unless moved: no token comes back by itself.
    RateLimiter limiter = new RateLimiter(RateLimits.parse("3"), registry, clock::get);
    server(limiter, registry, Map.of());
    String etag = LimitedServer.running(Addresses.DEFAULT_TENANT, TASK, 1).etag();

    HttpResponse<Buffer> ok = await(web.get("/v1/tasks/" + TASK).send());
    assertEquals(200, ok.statusCode());
    assertHeaders(ok, "3", "2", "334ms");
    HttpResponse<Buffer> notModified = await(web.get("/v1/tasks/" + TASK).putHeader("If-None-Match", etag).send());
    assertEquals(304, notModified.statusCode(), "a conditional GET of an unchanged task, which counts too");
    assertHeaders(notModified, "3", "1", "667ms");
    HttpResponse<Buffer> notFound = await(web.get("/v1/no-such-route").send());
    assertEquals(404, notFound.statusCode());
    assertHeaders(notFound, "3", "0", "1s");

    HttpResponse<Buffer> limited = await(web.get("/v1/tasks/" + TASK).putHeader("If-None-Match", etag).send());
    HttpFixture.assertError(limited, 429, "rate_limit_error", "rate_limit_exceeded", null);
    assertHeaders(limited, "3", "0", "1s");
    assertEquals("1", limited.getHeader("Retry-After"), "whole seconds, at least one");
    assertEquals("334", limited.getHeader("retry-after-ms"), "the next token is a third of a second away");
    assertTrue(limited.bodyAsJsonObject().getJsonObject("error").getString("message").contains("3 requests per second"));
    HttpResponse<Buffer> post = await(web.post("/v1/tasks").putHeader("Content-Type", "application/json")
      .sendBuffer(Buffer.buffer("{\"type\":\"document_analysis\"}")));
    HttpFixture.assertError(post, 429, "rate_limit_error", "rate_limit_exceeded", null);

    clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(334));
    HttpResponse<Buffer> again = await(web.get("/v1/tasks/" + TASK).send());
    assertEquals(200, again.statusCode(), "a token came back a third of a second later");
    assertHeaders(again, "3", "0", "1s");
    assertEquals(2, limiter.limited(Addresses.DEFAULT_TENANT));

    // Health, readiness and metrics are never limited, and carry no rate-limit header.
    for (String path : List.of("/health", "/ready", "/metrics")) {
      HttpResponse<Buffer> r = await(web.get(path).send());
      assertEquals(200, r.statusCode(), path + ": " + r.bodyAsString());
      assertNull(r.getHeader("x-ratelimit-limit-requests"), path);
    }
    String metrics = await(web.get("/metrics").send()).bodyAsString();
    assertTrue(metrics.contains("tasks_http_requests_rate_limited_total{tenant=\"default\"} 2.0"), metrics);
  }

  @Test
  void aTenantFloodingAtTenTimesItsLimitIsLimitedAndAnotherPollingAtHalfItsOwnNeverIs() throws Exception {
    RateLimiter limiter = new RateLimiter(RateLimits.parse("20,beta=10"), null);
    int port = server(limiter, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
      Map.of("sk-alpha", "alpha", "sk-beta", "beta")).port;

    // alpha: 20 requests every 100 ms, 400 in all (200 per second, ten times its 20).
    List<Future<HttpResponse<Buffer>>> flood = new CopyOnWriteArrayList<>();
    Promise<Void> sent = Promise.promise();
    long started = System.nanoTime();
    vertx.setPeriodic(100, timer -> {
      for (int i = 0; i < 20; i++) {
        flood.add(web.get("/v1/tasks/" + TASK).bearerTokenAuthentication("sk-alpha").send());
      }
      if (flood.size() >= 400) {
        vertx.cancelTimer(timer);
        sent.complete();
      }
    });
    // beta: one request at a time, 200 ms after the last answer (5 per second, half of its 10), every
    // other one a conditional GET answered 304, for as long as alpha floods.
    // Its own client: in alpha's, its requests would queue behind alpha's.
    WebClient betaClient = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port));
    Future<Void> answered = sent.future().compose(v -> Future.join(new ArrayList<>(flood))).mapEmpty();
    List<HttpResponse<Buffer>> polls = new CopyOnWriteArrayList<>();
    Promise<Void> polled = Promise.promise();
    poll(betaClient, polls, answered, polled);

    await(answered);
    double seconds = (System.nanoTime() - started) / 1e9;
    await(polled.future());

    int allowed = 0;
    int refused = 0;
    for (Future<HttpResponse<Buffer>> f : flood) {
      HttpResponse<Buffer> r = f.result();
      if (r.statusCode() == 200) {
        allowed++;
        int remaining = Integer.parseInt(r.getHeader("x-ratelimit-remaining-requests"));
        assertTrue(remaining >= 0 && remaining < 20, "remaining " + remaining);
        assertEquals("20", r.getHeader("x-ratelimit-limit-requests"));
      } else {
        refused++;
        HttpFixture.assertError(r, 429, "rate_limit_error", "rate_limit_exceeded", null);
        assertHeaders(r, "20", "0", null);
        assertTrue(Integer.parseInt(r.getHeader("Retry-After")) >= 1);
        long retryMs = Long.parseLong(r.getHeader("retry-after-ms"));
        assertTrue(retryMs >= 1 && retryMs <= 50, "a token comes back every 50 ms: " + retryMs);
      }
    }
    // A full bucket lets 20 through at once, then 20 per second of the flood.
    long most = 20 + Math.round(Math.ceil(20 * seconds)) + 1;
    assertTrue(allowed >= 20 && allowed <= most, allowed + " of 400 let through in " + seconds + " s (at most " + most + ")");
    assertEquals(400, allowed + refused);
    assertTrue(refused >= 400 - most, refused + " answered 429");

    assertTrue(polls.size() >= 3, "beta polled while alpha flooded: " + polls.size());
    int notModified = 0;
    for (HttpResponse<Buffer> r : polls) {
      assertTrue(r.statusCode() == 200 || r.statusCode() == 304, "beta is never limited: " + r.statusCode() + " " + r.bodyAsString());
      assertEquals("10", r.getHeader("x-ratelimit-limit-requests"));
      notModified += r.statusCode() == 304 ? 1 : 0;
    }
    assertTrue(notModified >= 1, "beta's conditional GETs were answered 304");
    assertEquals(0, limiter.limited("beta"));
    assertEquals(refused, limiter.limited("alpha"));
  }

  private void poll(WebClient client, List<HttpResponse<Buffer>> polls, Future<Void> until, Promise<Void> done) {
    String etag = LimitedServer.running("beta", TASK, 1).etag();
    HttpRequest<Buffer> request = client.get("/v1/tasks/" + TASK).bearerTokenAuthentication("sk-beta");
    if (polls.size() % 2 == 1) {
      request.putHeader("If-None-Match", etag);
    }
    request.send().onComplete(r -> {
      if (r.failed()) {
        done.fail(r.cause());
        return;
      }
      polls.add(r.result());
      if (until.isComplete()) {
        done.complete();
      } else {
        vertx.setTimer(200, t -> poll(client, polls, until, done));
      }
    });
  }

  private static void assertHeaders(HttpResponse<Buffer> r, String limit, String remaining, String reset) {
    assertEquals(limit, r.getHeader("x-ratelimit-limit-requests"), "limit");
    assertEquals(remaining, r.getHeader("x-ratelimit-remaining-requests"), "remaining");
    String actualReset = r.getHeader("x-ratelimit-reset-requests");
    if (reset != null) {
      assertEquals(reset, actualReset, "reset");
    } else {
      assertTrue(actualReset != null && actualReset.matches("\\d+(ms|(\\.\\d+)?s)"), "reset " + actualReset);
    }
  }
}
