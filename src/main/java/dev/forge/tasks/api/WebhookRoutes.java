package dev.forge.tasks.api;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * The {@code /v1/webhooks} handlers (issue 14): HTTP in, one bus request to the webhooks store,
 * HTTP out. Every reply is 200 (creation too, as OpenAI's and Stripe's endpoint APIs answer).
 */
final class WebhookRoutes {

  private final Vertx vertx;
  private final DeliveryOptions busOptions;

  WebhookRoutes(Vertx vertx, long busTimeoutMs) {
    this.vertx = vertx;
    this.busOptions = new DeliveryOptions().setSendTimeout(busTimeoutMs);
  }

  /** Adds the routes; {@code requireJson} refuses a body that is not {@code application/json}. */
  void register(Router router, BodyHandler body, Handler<RoutingContext> requireJson) {
    // A body handler must come first on its route: the media type is checked on a route of its own.
    router.post("/v1/webhooks").handler(requireJson);
    router.post("/v1/webhooks").handler(body).handler(this::create);
    router.get("/v1/webhooks").handler(ctx -> forward(ctx, Addresses.WEBHOOK_LIST, tenant(ctx)));
    router.get("/v1/webhooks/:id").handler(ctx -> forward(ctx, Addresses.WEBHOOK_GET, byId(ctx)));
    router.post("/v1/webhooks/:id").handler(requireJson);
    router.post("/v1/webhooks/:id").handler(body).handler(this::update);
    router.delete("/v1/webhooks/:id").handler(ctx -> forward(ctx, Addresses.WEBHOOK_DELETE, byId(ctx)));
    router.get("/v1/webhooks/:id/deliveries").handler(this::deliveries);
    router.post("/v1/webhooks/:id/deliveries/:delivery/retry").handler(body)
      .handler(ctx -> forward(ctx, Addresses.WEBHOOK_RETRY, byId(ctx).put("delivery", ctx.pathParam("delivery"))));
  }

  private void create(RoutingContext ctx) {
    JsonObject body = JsonExchange.body(ctx, null);
    if (body != null) {
      body.remove("tenant");
      forward(ctx, Addresses.WEBHOOK_CREATE, body.put("tenant", (String) ctx.get(TaskRoutes.TENANT)));
    }
  }

  private void update(RoutingContext ctx) {
    JsonObject body = JsonExchange.body(ctx, null);
    if (body != null) {
      body.remove("tenant");
      forward(ctx, Addresses.WEBHOOK_UPDATE, body.put("tenant", (String) ctx.get(TaskRoutes.TENANT))
        .put("id", ctx.pathParam("id")));
    }
  }

  private void deliveries(RoutingContext ctx) {
    JsonObject query = byId(ctx);
    try {
      String limit = QueryParams.single(ctx.queryParams(), "limit");
      query.put("limit", limit == null ? 20 : QueryParams.integer("limit", limit, 1, 100));
      query.put("before", QueryParams.single(ctx.queryParams(), "before"));
    } catch (ApiException e) {
      HttpErrors.send(ctx, e.error());
      return;
    }
    forward(ctx, Addresses.WEBHOOK_DELIVERIES, query);
  }

  private void forward(RoutingContext ctx, String address, JsonObject body) {
    JsonExchange.forward(vertx, ctx, address, body, busOptions);
  }

  private static JsonObject tenant(RoutingContext ctx) {
    return new JsonObject().put("tenant", (String) ctx.get(TaskRoutes.TENANT));
  }

  private static JsonObject byId(RoutingContext ctx) {
    return tenant(ctx).put("id", ctx.pathParam("id"));
  }
}
