package dev.forge.tasks.webhook;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends webhooks: claims due deliveries from the webhooks store with a lease (a node that dies
 * mid-delivery has its deliveries redone by another once the lease ends), posts each one signed per
 * the Standard Webhooks specification, and reports the outcome. It resolves the endpoint's host
 * itself, refuses an address that is not public unless the operator allows the host, and connects to
 * exactly the address it checked (the name goes only into the Host header and SNI), so that a DNS
 * answer that changes between check and connect cannot reach an internal address. Redirects are not
 * followed; a response body is read up to {@link #MAX_RESPONSE_BYTES}; a call ends after the timeout.
 * It runs on its own event loop and shares nothing with the task path but the database.
 */
public final class DeliveryVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryVerticle.class);

  /** The most of a response body that is read; the rest is dropped with the connection. */
  static final int MAX_RESPONSE_BYTES = 4096;

  /** How this node sends: timeout per call, claim poll interval, deliveries in flight at most. */
  public record Settings(long timeoutMs, long pollMs, int maxInFlight, long busTimeoutMs, Destinations destinations) {

    /** A claimed delivery is redone elsewhere if not reported within a call's timeout and this margin. */
    long leaseMs() {
      return timeoutMs + 5000;
    }
  }

  /** A failed attempt's status code (null without a response) and what went wrong, told to the tenant. */
  private record Failure(Integer statusCode, String reason) {
  }

  private static final class AttemptFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Failure failure;

    AttemptFailed(Integer statusCode, String reason) {
      super(reason, null, false, false);
      this.failure = new Failure(statusCode, reason);
    }
  }

  /** How long a stopping sender waits for its claim and reports in flight. */
  private static final long QUIET_MS = 2000;
  /** The most results one report carries. */
  private static final int MAX_RESULTS = 256;

  private final Settings settings;
  private final Deque<JsonObject> results = new ArrayDeque<>();
  private boolean reporting;
  private boolean stopping;
  private final String worker = "webhooks-" + UUID.randomUUID();
  private HttpClientAgent client;
  private DeliveryOptions bus;
  private long timer;
  private int inFlight;
  private boolean claiming;
  /** The last claim was full, so more may be due: claim again as slots free up, not at the next poll. */
  private boolean backlog;

  public DeliveryVerticle(Settings settings) {
    this.settings = settings;
  }

  @Override
  public Future<?> start() {
    bus = new DeliveryOptions().setSendTimeout(settings.busTimeoutMs());
    client = vertx.createHttpClient(new HttpClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, settings.timeoutMs()))
        .setMaxRedirects(0).setKeepAlive(true).setForceSni(true).setVerifyHost(true),
      new PoolOptions().setHttp1MaxSize(8));
    timer = vertx.setPeriodic(settings.pollMs(), t -> poll());
    return Future.succeededFuture();
  }

  /**
   * Claims no more, and waits (at most {@link #QUIET_MS}) for the claim and the results in flight, so
   * that the store is not undeployed under them; a call still running is abandoned, and its delivery
   * is sent again by whichever node claims it when its lease ends.
   */
  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    stopping = true;
    Promise<Void> quiet = Promise.promise();
    long deadline = System.nanoTime() + QUIET_MS * 1_000_000;
    vertx.setPeriodic(1, 20, t -> {
      if ((!claiming && !reporting && results.isEmpty()) || System.nanoTime() > deadline) {
        vertx.cancelTimer(t);
        quiet.complete();
      }
    });
    return quiet.future().compose(v -> client.close());
  }

  private void poll() {
    int free = settings.maxInFlight() - inFlight;
    if (stopping || claiming || free <= 0) {
      return;
    }
    claiming = true;
    JsonObject claim = new JsonObject().put("worker", worker).put("limit", free).put("lease_ms", settings.leaseMs());
    vertx.eventBus().<JsonObject>request(Addresses.WEBHOOK_CLAIM, claim, bus).onComplete(done -> {
      claiming = false;
      if (done.failed()) {
        LOG.debug("Webhook claim failed: {}", failure(done.cause()));
        return;
      }
      JsonArray claimed = done.result().body().getJsonArray("deliveries");
      claimed.forEach(d -> send((JsonObject) d));
      backlog = claimed.size() == free;
    });
  }

  private void send(JsonObject d) {
    inFlight++;
    long started = System.nanoTime();
    attempt(d).onComplete(done -> {
      inFlight--;
      if (backlog && inFlight <= settings.maxInFlight() / 2) {
        poll();
      }
      if (stopping && done.failed()) {
        return; // abandoned by the stop: the lease runs out and the delivery is sent again
      }
      JsonObject result = new JsonObject().put("id", d.getString("id")).put("attempt", d.getInteger("attempt"));
      if (done.succeeded()) {
        result.put("ok", true).put("status_code", done.result());
      } else {
        Failure f = done.cause() instanceof AttemptFailed a ? a.failure : new Failure(null, "The call failed.");
        result.put("ok", false).put("status_code", f.statusCode()).put("error", f.reason());
        LOG.info("Webhook {} (endpoint {}, task {}) attempt {} failed after {} ms: {}", d.getString("id"),
          d.getString("endpoint_id"), d.getString("task_id"), d.getInteger("attempt"),
          (System.nanoTime() - started) / 1_000_000, f.reason());
      }
      report(result);
    });
  }

  /**
   * Results leave in batches: one request in flight at a time, and those that arrive meanwhile go
   * together in the next (one statement and one commit for many deliveries, none waiting on a timer).
   */
  private void report(JsonObject result) {
    results.add(result);
    if (!reporting) {
      flushResults();
    }
  }

  private void flushResults() {
    if (results.isEmpty()) {
      return;
    }
    JsonArray batch = new JsonArray();
    while (!results.isEmpty() && batch.size() < MAX_RESULTS) {
      batch.add(results.poll());
    }
    reporting = true;
    vertx.eventBus().request(Addresses.WEBHOOK_RESULT, new JsonObject().put("results", batch), bus).onComplete(done -> {
      if (done.failed()) {
        // The leases run out and other attempts are made: at least once, never lost.
        LOG.warn("Webhooks: the results of {} attempts were not recorded ({}); they will be sent again", batch.size(),
          failure(done.cause()));
      }
      reporting = false;
      flushResults();
    });
  }

  /** One attempt: the response's status code when 2xx, else an {@link AttemptFailed}. */
  private Future<Integer> attempt(JsonObject d) {
    URI uri;
    try {
      uri = settings.destinations().check(d.getString("url"));
    } catch (ApiException e) {
      return Future.failedFuture(new AttemptFailed(null, "The url is no longer allowed: " + e.error().message()));
    }
    String host = uri.getHost();
    return vertx.executeBlocking(() -> InetAddress.getAllByName(host), false)
      .recover(err -> Future.failedFuture(new AttemptFailed(null, err instanceof UnknownHostException
        ? "The host name did not resolve." : "The host name could not be resolved.")))
      .compose(addresses -> {
        InetAddress address = addresses[0];
        if (!settings.destinations().allowed(host)) {
          for (InetAddress a : addresses) {
            if (!Destinations.isPublic(a)) {
              return Future.failedFuture(new AttemptFailed(null,
                "The host resolves to a private, loopback or link-local address, which is not allowed."));
            }
          }
        }
        return post(d, uri, address);
      });
  }

  private Future<Integer> post(JsonObject d, URI uri, InetAddress address) {
    int port = Destinations.port(uri);
    String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
      + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    String body = d.getString("body");
    long timestamp = System.currentTimeMillis() / 1000;
    List<String> secrets = d.getJsonArray("secrets").stream().map(String::valueOf).toList();
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
      .setHost(uri.getHost()).setPort(port).setSsl(uri.getScheme().equalsIgnoreCase("https"))
      .setServer(SocketAddress.inetSocketAddress(port, address.getHostAddress()))
      .setURI(path).setFollowRedirects(false)
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json").putHeader(HttpHeaders.USER_AGENT, "tasks-server-webhooks")
      .putHeader("webhook-id", d.getString("id"))
      .putHeader("webhook-timestamp", Long.toString(timestamp))
      .putHeader("webhook-signature", Signer.signature(secrets, d.getString("id"), timestamp, body));
    Promise<Integer> outcome = Promise.promise();
    AtomicReference<HttpClientRequest> sent = new AtomicReference<>();
    long deadline = vertx.setTimer(settings.timeoutMs(), t -> {
      if (outcome.tryFail(new AttemptFailed(null, "No answer within " + settings.timeoutMs() + " ms.")) && sent.get() != null) {
        sent.get().reset();
      }
    });
    client.request(options)
      .compose(req -> {
        sent.set(req);
        return req.send(Buffer.buffer(body));
      })
      .onSuccess(response -> read(response, outcome))
      .onFailure(err -> outcome.tryFail(new AttemptFailed(null, describe(err))));
    return outcome.future().onComplete(done -> vertx.cancelTimer(deadline)).compose(code -> {
      if (code >= 200 && code < 300) {
        return Future.succeededFuture(code);
      }
      String why = code >= 300 && code < 400 ? "HTTP " + code + ": redirects are not followed." : "HTTP " + code + ".";
      return Future.failedFuture(new AttemptFailed(code, why));
    });
  }

  /** Reads at most {@link #MAX_RESPONSE_BYTES} of the body, then completes with the status code. */
  private static void read(HttpClientResponse response, Promise<Integer> outcome) {
    int code = response.statusCode();
    int[] read = {0};
    response.handler(chunk -> {
      read[0] += chunk.length();
      if (read[0] > MAX_RESPONSE_BYTES && outcome.tryComplete(code)) {
        response.request().reset();
      }
    });
    response.endHandler(v -> outcome.tryComplete(code));
    response.exceptionHandler(err -> outcome.tryComplete(code));
  }

  /** What went wrong, in our words: a library's message never reaches the tenant. */
  private static String describe(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        return "The TLS handshake failed.";
      }
      if (t instanceof ConnectException) {
        return "The connection was refused or timed out.";
      }
    }
    return "The connection failed.";
  }

  /** A failed bus request as its error code ({@code store_unavailable}, ...), for logs. */
  private static String failure(Throwable err) {
    ApiError e = ApiError.fromThrowable(err);
    return e == null ? "internal error" : e.code();
  }
}
