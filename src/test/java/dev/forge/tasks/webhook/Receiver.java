package dev.forge.tasks.webhook;

import static dev.forge.tasks.support.LiveNode.await;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.KeyCertOptions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A webhook receiver for tests, on its own Vert.x: each path answers as told (a status code by
 * attempt number, or never), records what arrived, and checks every signature with its own
 * verifier ({@code javax.crypto} here, not the server's {@link Signer}).
 */
final class Receiver {

  /** What a path answers to its n-th request (1-based): a status code, or {@link #HANG}. */
  static final int HANG = -1;

  /** One request as it arrived. */
  record Hit(String path, String id, String timestamp, String signature, String body, long nanos, int answered) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  private final Vertx vertx = Vertx.vertx();
  private final HttpServer server;
  private final Map<String, IntFunction<Integer>> behaviour = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  final List<Hit> hits = new CopyOnWriteArrayList<>();
  final List<HttpServerRequest> held = new CopyOnWriteArrayList<>();

  private final String scheme;

  Receiver() throws Exception {
    this(null);
  }

  /** A receiver over https with {@code tls} as its key and certificate, or over http when null. */
  Receiver(KeyCertOptions tls) throws Exception {
    HttpServerOptions options = new HttpServerOptions();
    if (tls != null) {
      options.setSsl(true).setKeyCertOptions(tls);
    }
    scheme = tls == null ? "http" : "https";
    server = await(vertx.createHttpServer(options).requestHandler(this::handle).listen(0, "127.0.0.1"));
  }

  int port() {
    return server.actualPort();
  }

  String url(String path) {
    return scheme + "://127.0.0.1:" + port() + path;
  }

  /** {@code path} answers its n-th request with {@code answer.apply(n)}. */
  void on(String path, IntFunction<Integer> answer) {
    behaviour.put(path, answer);
  }

  private void handle(HttpServerRequest req) {
    req.body().onSuccess(body -> {
      int n = counts.computeIfAbsent(req.path(), p -> new AtomicInteger()).incrementAndGet();
      int answer = behaviour.getOrDefault(req.path(), i -> 200).apply(n);
      hits.add(new Hit(req.path(), req.getHeader("webhook-id"), req.getHeader("webhook-timestamp"),
        req.getHeader("webhook-signature"), body.toString(StandardCharsets.UTF_8), System.nanoTime(), answer));
      if (answer == HANG) {
        held.add(req);
      } else if (answer >= 300 && answer < 400) {
        req.response().setStatusCode(answer).putHeader("Location", "/redirected").end();
      } else {
        req.response().setStatusCode(answer).end("x".repeat(answer == 200 ? 10 : 100_000));
      }
    });
  }

  List<Hit> hits(String path) {
    List<Hit> out = new ArrayList<>();
    for (Hit h : hits) {
      if (h.path().equals(path)) {
        out.add(h);
      }
    }
    return out;
  }

  /** Waits (bounded) until {@code condition} holds, checking every 20 ms. */
  void until(String what, long seconds, BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Timed out after " + seconds + " s waiting for " + what);
      }
      await(vertx.timer(20));
    }
  }

  /**
   * True when one of the header's {@code v1,} signatures is the HMAC-SHA256 of
   * {@code id.timestamp.body} under {@code secret}: the verifier of the specification, written
   * here from scratch.
   */
  static boolean verifies(String secret, Hit hit) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
    byte[] expected = mac.doFinal((hit.id() + "." + hit.timestamp() + "." + hit.body()).getBytes(StandardCharsets.UTF_8));
    for (String sig : hit.signature().split(" ")) {
      if (sig.startsWith("v1,") && MessageDigest.isEqual(expected, Base64.getDecoder().decode(sig.substring(3)))) {
        return true;
      }
    }
    return false;
  }

  void close() throws Exception {
    await(vertx.close());
  }
}
