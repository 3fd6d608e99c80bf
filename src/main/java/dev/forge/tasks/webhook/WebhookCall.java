package dev.forge.tasks.webhook;

import dev.forge.tasks.bus.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;

/**
 * One attempt at one delivery, for the {@link DeliveryVerticle}: checks the URL again, resolves its
 * host (on the {@link HostResolver}), refuses an address that is not public unless the operator
 * allows the host, and posts the signed body to exactly the address it checked (the name goes only
 * into the Host header and SNI), so that a DNS answer that changes between check and connect cannot
 * reach an internal address. Redirects are not followed; a response body is read up to
 * {@link #MAX_RESPONSE_BYTES}; the whole attempt, lookup included, ends after the timeout.
 */
final class WebhookCall {

  /** The most of a response body that is read; the rest is dropped with the connection. */
  static final int MAX_RESPONSE_BYTES = 4096;
  /** URLs whose check is kept (the check depends only on the URL and the operator's settings). */
  private static final int MAX_URLS = 1024;

  private final Vertx vertx;
  private final HttpClientAgent client;
  private final HostResolver resolver;
  private final Destinations destinations;
  private final long timeoutMs;
  /** Each URL's check, kept. */
  private final Map<String, UrlCheck> checked = new LruMap<>(MAX_URLS);

  /** A URL as {@link Destinations#check} judged it: its {@code uri}, or why it was refused ({@code uri} null). */
  private record UrlCheck(URI uri, String refusal) {

    static UrlCheck of(Destinations destinations, String url) {
      try {
        return new UrlCheck(destinations.check(url), null);
      } catch (ApiException e) {
        return new UrlCheck(null, e.error().message());
      }
    }
  }

  private WebhookCall(Vertx vertx, HttpClientAgent client, HostResolver resolver, Destinations destinations,
                      long timeoutMs) {
    this.vertx = vertx;
    this.client = client;
    this.resolver = resolver;
    this.destinations = destinations;
    this.timeoutMs = timeoutMs;
  }

  /**
   * Calls as {@code settings} say, on a client of their own: HTTP/1.1 with kept-alive pooled
   * connections per receiver (no pipelining: a receiver that mishandles it would fail deliveries
   * that are otherwise fine), redirects never followed. Only from one event loop (the resolver's cache).
   */
  static WebhookCall open(Vertx vertx, Sender.Settings settings) {
    HttpClientOptions options = new HttpClientOptions()
      .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, settings.timeoutMs()))
      .setMaxRedirects(0).setKeepAlive(true).setForceSni(true).setVerifyHost(true);
    if (settings.trust() != null) {
      options.setTrustOptions(settings.trust());
    }
    HttpClientAgent client = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(settings.connectionsPerHost()));
    return new WebhookCall(vertx, client, new HostResolver(vertx, settings.timeoutMs()), settings.destinations(),
      settings.timeoutMs());
  }

  /** Closes the client (calls under way fail) and the resolver's pool. */
  Future<Void> close() {
    return client.close().compose(v -> resolver.close());
  }

  /** A failed attempt: its status code (null without a response) and what went wrong, told to the tenant. */
  static final class AttemptFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final Integer statusCode;

    AttemptFailed(Integer statusCode, String reason) {
      super(reason, null, false, false);
      this.statusCode = statusCode;
    }

    Integer statusCode() {
      return statusCode;
    }
  }

  /** One attempt at a claimed delivery: the response's status code when 2xx, else an {@link AttemptFailed}. */
  Future<Integer> attempt(JsonObject d) {
    UrlCheck check = checked.computeIfAbsent(d.getString("url"), url -> UrlCheck.of(destinations, url));
    if (check.uri() == null) {
      return Future.failedFuture(new AttemptFailed(null, "The url is no longer allowed: " + check.refusal()));
    }
    URI uri = check.uri();
    byte[] bytes = d.getString("body").getBytes(StandardCharsets.UTF_8);
    Buffer body = Buffer.buffer(bytes);
    Promise<Integer> outcome = Promise.promise();
    AtomicReference<HttpClientRequest> sent = new AtomicReference<>();
    long deadline = vertx.setTimer(timeoutMs, t -> {
      if (outcome.tryFail(new AttemptFailed(null, "No answer within " + timeoutMs + " ms.")) && sent.get() != null) {
        sent.get().reset();
      }
    });
    String host = uri.getHost();
    resolver.resolve(host)
      .recover(err -> Future.failedFuture(new AttemptFailed(null, err instanceof UnknownHostException
        ? "The host name did not resolve." : "The host name could not be resolved.")))
      .compose(addresses -> checked(host, addresses))
      .compose(address -> client.request(request(d, bytes, uri, address)))
      .compose(req -> {
        sent.set(req);
        if (outcome.future().isComplete()) {
          req.reset();
          return Future.failedFuture("timed out");
        }
        return req.send(body);
      })
      .onSuccess(response -> read(response, outcome))
      .onFailure(err -> outcome.tryFail(err instanceof AttemptFailed ? err : new AttemptFailed(null, describe(err))));
    return outcome.future().onComplete(done -> vertx.cancelTimer(deadline)).compose(code -> {
      if (code >= 200 && code < 300) {
        return Future.succeededFuture(code);
      }
      String why = code >= 300 && code < 400 ? "HTTP " + code + ": redirects are not followed." : "HTTP " + code + ".";
      return Future.failedFuture(new AttemptFailed(code, why));
    });
  }

  /** The first address, once every address is public or the operator allows the host. */
  private Future<InetAddress> checked(String host, InetAddress[] addresses) {
    if (!destinations.allowed(host)) {
      for (InetAddress a : addresses) {
        if (!Destinations.isPublic(a)) {
          return Future.failedFuture(new AttemptFailed(null,
            "The host resolves to a private, loopback or link-local address, which is not allowed."));
        }
      }
    }
    return Future.succeededFuture(addresses[0]);
  }

  /** The POST to {@code address}, signed over {@code body}: the very bytes posted. */
  private static RequestOptions request(JsonObject d, byte[] body, URI uri, InetAddress address) {
    int port = Destinations.port(uri);
    String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
      + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    long timestamp = System.currentTimeMillis() / 1000;
    List<String> secrets = d.getJsonArray("secrets").stream().map(String::valueOf).toList();
    return new RequestOptions().setMethod(HttpMethod.POST)
      .setHost(uri.getHost()).setPort(port).setSsl(uri.getScheme().equalsIgnoreCase("https"))
      .setServer(SocketAddress.inetSocketAddress(port, address.getHostAddress()))
      .setURI(path).setFollowRedirects(false)
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json").putHeader(HttpHeaders.USER_AGENT, "tasks-server-webhooks")
      .putHeader("webhook-id", d.getString("id"))
      .putHeader("webhook-timestamp", Long.toString(timestamp))
      .putHeader("webhook-signature", Signer.signature(secrets, d.getString("id"), timestamp, body));
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
  static String describe(Throwable err) {
    boolean tls = false;
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof CertificateException) {
        return "The TLS handshake failed: the receiver's certificate is not trusted (not signed by a trusted authority, "
          + "expired, or not for this host).";
      }
      tls |= t instanceof SSLException;
      if (t instanceof ConnectException) {
        return "The connection was refused or timed out.";
      }
    }
    return tls ? "The TLS handshake failed." : "The connection failed.";
  }
}
