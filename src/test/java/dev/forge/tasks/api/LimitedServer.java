package dev.forge.tasks.api;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.support.TestNodes;
import dev.forge.tasks.bus.TaskStatus;
import dev.forge.tasks.task.Trace;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * A node's HTTP side as {@code TasksNode} deploys it (several instances sharing one
 * {@link HttpLimits}, {@code /metrics}) on a free loopback port, with fake store consumers: every
 * task exists, is in progress and never changes unless the test publishes a change.
 */
final class LimitedServer {

  final int port;
  final HttpLimits limits;
  final PrometheusMeterRegistry registry;

  private LimitedServer(int port, HttpLimits limits, PrometheusMeterRegistry registry) {
    this.port = port;
    this.limits = limits;
    this.registry = registry;
  }

  /** {@code instances} HTTP verticles under {@code limits}; SSE keep-alives every {@code sseKeepAliveMs}. */
  static Future<LimitedServer> start(Vertx vertx, HttpLimits limits, Map<String, String> apiKeys, int instances,
                                     long sseKeepAliveMs, PrometheusMeterRegistry registry) {
    int port = TestNodes.freePort();
    HttpVerticle.Settings settings = new HttpVerticle.Settings("127.0.0.1", port, HttpFixture.BODY_LIMIT,
      HttpFixture.BUS_TIMEOUT_MS, apiKeys, 10_000, sseKeepAliveMs, false, HttpFixture.FILE_MAX_BYTES);
    return vertx.eventBus().<JsonObject>consumer(Addresses.GET, m -> {
      Trace t = running(m.body().getString("tenant"), m.body().getString("id"), 1);
      m.reply(t.toJson(), t.headers());
    }).completion()
      .compose(v -> vertx.eventBus().<JsonObject>consumer(Addresses.CREATE, m -> {
        Trace t = running(m.body().getString("tenant"), "task_created0000000000000000", 1);
        DeliveryOptions headers = t.headers();
        headers.getHeaders().add(Addresses.HEADER_CREATED, "true");
        m.reply(t.toJson(), headers);
      }).completion())
      .compose(v -> vertx.eventBus().<JsonObject>consumer(Addresses.PING, m -> m.reply(new JsonObject())).completion())
      .compose(v -> vertx.deployVerticle(() -> new HttpVerticle(settings, registry, null, limits),
        new DeploymentOptions().setInstances(instances)))
      .map(id -> new LimitedServer(port, limits, registry));
  }

  static Future<LimitedServer> start(Vertx vertx, HttpLimits limits, Map<String, String> apiKeys) {
    return start(vertx, limits, apiKeys, 2, 15_000, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  /** The task as the fake store has it, at {@code version}. */
  static Trace running(String tenant, String id, long version) {
    return new Trace(tenant, id, 17, "document_analysis", TaskStatus.IN_PROGRESS, 0.42,
      new JsonObject().put("operation", "document_analysis"), 1699061776L, 1699061876L, null, version);
  }

  /** Publishes a change of the task, as the store does after persisting one. */
  static void publish(Vertx vertx, Trace t) {
    vertx.eventBus().publish(Addresses.UPDATED, t.toJson(), t.headers());
  }
}
