package dev.forge.tasks.api;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.task.TraceCache;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API of API.md. It never touches the database: every task operation is one request to
 * the store over the event bus, and every failure goes through {@link HttpErrors}.
 */
public final class HttpVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(HttpVerticle.class);

  /** {@code apiKeys} maps each key to its tenant; empty means the server is open. */
  public record Settings(String host, int port, int bodyLimitBytes, long busTimeoutMs, Map<String, String> apiKeys,
                         int maxWaiters, long keepAliveMs, boolean benchRoutes, long fileMaxBytes) {
  }

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final Settings settings;
  private final PrometheusMeterRegistry metrics;
  private final TraceCache cache;
  private final HttpLimits limits;
  private HttpServer server;
  private Router router;

  /**
   * An API that serves {@code registry} at {@code GET /metrics} in Prometheus' text format (when
   * not null) and answers reads from {@code cache} when it holds the task (when not null).
   */
  public HttpVerticle(Settings settings, PrometheusMeterRegistry registry, TraceCache cache) {
    this(settings, registry, cache, HttpLimits.defaults());
  }

  /** As above, under {@code limits}: the one object that every instance of a node shares. */
  public HttpVerticle(Settings settings, PrometheusMeterRegistry registry, TraceCache cache, HttpLimits limits) {
    this.settings = settings;
    this.metrics = registry;
    this.cache = cache;
    this.limits = limits;
  }

  @Override
  public Future<?> start() {
    router = Router.router(vertx);
    Watchers watchers = new Watchers(settings.maxWaiters());
    if (metrics != null) {
      Gauge.builder("tasks.waiters", watchers, Watchers::size)
        .description("Long polls and event streams held by this HTTP verticle").tag("instance", Integer.toString(INSTANCES.incrementAndGet()))
        .register(metrics);
    }
    TaskRoutes tasks = new TaskRoutes(vertx, settings.busTimeoutMs(), watchers, settings.keepAliveMs(), cache);

    router.get("/health").handler(ctx -> JsonExchange.send(ctx, new JsonObject().put("status", "ok")));
    router.get("/ready").handler(this::ready);
    if (metrics != null) {
      router.get("/metrics").handler(PrometheusScrapingHandler.create(metrics));
    }
    if (settings.benchRoutes()) {
      router.get("/bench/constant").handler(BenchRoute::constant);
    }

    DashboardRoutes.mount(router, !settings.apiKeys().isEmpty());
    EventRoutes events = new EventRoutes(vertx, watchers, settings.busTimeoutMs(), settings.keepAliveMs());
    events.mountBeforeAuth(router);
    router.route("/v1/*").handler(this::authenticate);
    if (limits.rateLimiter() != null) {
      router.route("/v1/*").handler(limits.rateLimiter().handler());
    }
    events.mount(router);
    BodyHandler body = BodyHandler.create(false).setBodyLimit(settings.bodyLimitBytes());
    router.post("/v1/tasks").handler(this::requireJson);
    router.post("/v1/tasks").handler(body).handler(tasks::create);
    router.get("/v1/tasks").handler(tasks::list);
    router.get("/v1/tasks/:id").handler(tasks::get);
    router.get("/v1/tasks/:id/events").handler(tasks::events);
    router.delete("/v1/tasks/:id").handler(tasks::delete);
    router.post("/v1/tasks/:id/cancel").handler(body).handler(tasks::cancel);
    FileRoutes files = new FileRoutes(vertx, settings.busTimeoutMs(), settings.fileMaxBytes());
    router.post("/v1/files").handler(files::upload);
    router.get("/v1/files").handler(files::list);
    router.get("/v1/files/:id").handler(files::get);
    router.delete("/v1/files/:id").handler(files::delete);
    router.get("/v1/files/:id/content").handler(files::content);
    router.post("/v1/files/:id/content").handler(body).handler(files::updateContent);
    new VectorStoreRoutes(vertx, settings.busTimeoutMs()).mount(router, body);
    new WebhookRoutes(vertx, settings.busTimeoutMs()).register(router, body, this::requireJson);

    router.errorHandler(404, ctx -> HttpErrors.send(ctx, HttpErrors.routeNotFound(ctx)));
    router.errorHandler(405, ctx -> {
      String allow = AllowedMethods.of(router, ctx.request().path());
      ctx.response().putHeader(HttpHeaders.ALLOW, allow);
      HttpErrors.send(ctx, HttpErrors.methodNotAllowed(ctx, allow));
    });
    router.errorHandler(413, ctx -> HttpErrors.send(ctx, HttpErrors.bodyTooLarge(settings.bodyLimitBytes())));
    router.errorHandler(500, ctx -> HttpErrors.send(ctx, ctx.failure()));

    HttpServerOptions options = new HttpServerOptions()
      .setHost(settings.host()).setPort(settings.port())
      .setMaxInitialLineLength(16 * 1024).setMaxHeaderSize(16 * 1024)
      .setCompressionSupported(false)
      // Off so that every connection reaches the connection handler when accepted (RequestDeadline).
      .setHttp2ClearTextEnabled(false);
    RequestDeadline deadline = new RequestDeadline(vertx, limits);
    deadline.start();
    server = vertx.createHttpServer(options)
      .connectionHandler(deadline::connected)
      .requestHandler(deadline.around(router))
      .invalidRequestHandler(req -> req.response().setStatusCode(400).putHeader(HttpHeaders.CONTENT_TYPE, ApiHeaders.JSON)
        .end(ApiError.invalidParameter(null, "The HTTP request is malformed or its line or headers are too large.")
          .toResponseJson().toBuffer()));
    return watchers.start(vertx).compose(v -> server.listen()).onSuccess(s -> LOG.debug("HTTP listening on {}:{}", settings.host(), s.actualPort()));
  }

  /**
   * Every route's method and path, e.g. {@code "GET /v1/tasks/:id"}, with a trailing {@code *} for a
   * prefix route (the OpenAPI document must describe each: {@code OpenApiRoutesTest}).
   */
  public List<String> routes() {
    List<String> out = new ArrayList<>();
    for (Route r : router.getRoutes()) {
      if (r.getPath() != null && r.methods() != null) {
        String path = r.isExactPath() ? r.getPath() : r.getPath() + "*";
        r.methods().forEach(m -> out.add(m.name() + " " + path));
      }
    }
    return out;
  }

  /** The port the server listens on (useful when configured with port 0). */
  public int actualPort() {
    return server.actualPort();
  }

  private void authenticate(RoutingContext ctx) {
    if (ctx.get(TaskRoutes.TENANT) != null) { // an event-stream ticket named it (EventRoutes)
      ctx.next();
      return;
    }
    if (settings.apiKeys().isEmpty()) {
      ctx.put(TaskRoutes.TENANT, Addresses.DEFAULT_TENANT);
      ctx.next();
      return;
    }
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    String tenant = null;
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
      // Compare against every key, without early exit, so timing tells nothing about the keys.
      for (Map.Entry<String, String> key : settings.apiKeys().entrySet()) {
        if (MessageDigest.isEqual(given, key.getKey().getBytes(StandardCharsets.UTF_8))) {
          tenant = key.getValue();
        }
      }
    }
    if (tenant == null) {
      ctx.response().putHeader(ApiHeaders.WWW_AUTHENTICATE, "Bearer");
      HttpErrors.send(ctx, HttpErrors.invalidApiKey());
      return;
    }
    ctx.put(TaskRoutes.TENANT, tenant);
    ctx.next();
  }

  private void requireJson(RoutingContext ctx) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    String media = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    if (!media.equals(ApiHeaders.JSON)) {
      HttpErrors.send(ctx, HttpErrors.unsupportedMediaType());
      return;
    }
    ctx.next();
  }

  private void ready(RoutingContext ctx) {
    vertx.eventBus().request(Addresses.PING, new JsonObject(), new DeliveryOptions().setSendTimeout(settings.busTimeoutMs()))
      .onSuccess(ok -> JsonExchange.send(ctx, new JsonObject().put("status", "ready").put("database", "ok")))
      .onFailure(err -> HttpErrors.send(ctx, err));
  }}
