package dev.forge.tasks.api;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.vector.VectorStoreErrors;
import dev.forge.tasks.vector.VectorStoreIds;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The {@code /v1/vector_stores} handlers of FILES.md: HTTP in, one request to the vector store
 * over the bus, HTTP out (200 with the store's JSON on success). Nothing here touches the database.
 */
final class VectorStoreRoutes {

  private final Vertx vertx;
  private final DeliveryOptions bus;
  /** Searches embed a query and may load a store into memory first: they get longer than a plain read. */
  private final DeliveryOptions slowBus;

  VectorStoreRoutes(Vertx vertx, long busTimeoutMs) {
    this.vertx = vertx;
    this.bus = new DeliveryOptions().setSendTimeout(busTimeoutMs);
    this.slowBus = new DeliveryOptions().setSendTimeout(Math.max(busTimeoutMs, 30_000));
  }

  void mount(Router router, BodyHandler body) {
    router.post("/v1/vector_stores").handler(body).handler(ctx -> withJson(ctx, json ->
      send(ctx, Addresses.VECTOR_STORES_CREATE, copy(json, "id", "name", "description", "file_ids", "metadata",
        "expires_after"), bus)));
    router.get("/v1/vector_stores").handler(this::list);
    router.get("/v1/vector_stores/:id").handler(ctx -> byId(ctx, Addresses.VECTOR_STORES_GET, new JsonObject(), bus));
    router.post("/v1/vector_stores/:id").handler(body).handler(ctx -> withJson(ctx, json ->
      byId(ctx, Addresses.VECTOR_STORES_UPDATE, copy(json, "name", "description", "metadata", "expires_after",
        "join_file_ids", "left_file_ids"), slowBus)));
    router.delete("/v1/vector_stores/:id").handler(ctx -> byId(ctx, Addresses.VECTOR_STORES_DELETE, new JsonObject(), bus));
    router.get("/v1/vector_stores/:id/files").handler(ctx -> byId(ctx, Addresses.VECTOR_STORES_FILES, new JsonObject(), bus));
    router.post("/v1/vector_stores/:id/search").handler(body).handler(ctx -> withJson(ctx, json ->
      byId(ctx, Addresses.VECTOR_STORES_SEARCH, copy(json, "query", "top_k", "filters", "score_threshold"), slowBus)));
    router.get("/v1/vector_stores/:id/summary").handler(this::summary);
  }

  /** Adds {@code vector_store_ids} (the stores holding the file) to a document of {@code /v1/files/{id}/content}. */
  static Future<JsonObject> withStoreIds(Vertx vertx, DeliveryOptions bus, String tenant, JsonObject document) {
    return vertx.eventBus().<JsonObject>request(Addresses.VECTOR_STORES_OF_FILE,
        new JsonObject().put("tenant", tenant).put("file_id", document.getString("id")), bus)
      .map(m -> document.put("vector_store_ids", m.body().getJsonArray("vector_store_ids", new JsonArray())));
  }

  private void list(RoutingContext ctx) {
    JsonObject query;
    try {
      query = QueryParams.page(ctx.queryParams(), VectorStoreIds::isValid, "a vector store id");
    } catch (ApiException e) {
      HttpErrors.send(ctx, e.error());
      return;
    }
    send(ctx, Addresses.VECTOR_STORES_LIST, query, bus);
  }

  private void summary(RoutingContext ctx) {
    JsonObject query = new JsonObject();
    try {
      String model = QueryParams.single(ctx.queryParams(), "model");
      if (model != null) {
        query.put("model", model);
      }
      String maxTokens = QueryParams.single(ctx.queryParams(), "max_tokens");
      if (maxTokens != null) {
        query.put("max_tokens", QueryParams.integer("max_tokens", maxTokens, 1, 100_000));
      }
    } catch (ApiException e) {
      HttpErrors.send(ctx, e.error());
      return;
    }
    byId(ctx, Addresses.VECTOR_STORES_SUMMARY, query, slowBus);
  }

  /** Runs {@code then} with the body as a JSON object ({@code {}} when empty), or answers 415 / 400. */
  private static void withJson(RoutingContext ctx, Consumer<JsonObject> then) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    String media = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    Buffer raw = ctx.body().buffer();
    if (raw != null && raw.length() > 0 && !media.equals(ApiHeaders.JSON)) {
      HttpErrors.send(ctx, HttpErrors.unsupportedMediaType());
      return;
    }
    JsonObject json = JsonExchange.body(ctx, new JsonObject());
    if (json != null) {
      then.accept(json);
    }
  }

  private static JsonObject copy(JsonObject from, String... keys) {
    JsonObject out = new JsonObject();
    for (String k : keys) {
      if (from.containsKey(k)) {
        out.put(k, from.getValue(k));
      }
    }
    return out;
  }

  private void byId(RoutingContext ctx, String address, JsonObject body, DeliveryOptions options) {
    String id = ctx.pathParam("id");
    if (!VectorStoreIds.isValid(id)) {
      HttpErrors.send(ctx, VectorStoreErrors.notFound(id));
      return;
    }
    send(ctx, address, body.put("id", id), options);
  }

  private void send(RoutingContext ctx, String address, JsonObject body, DeliveryOptions options) {
    JsonExchange.forward(vertx, ctx, address, body.put("tenant", (String) ctx.get(TaskRoutes.TENANT)), options);
  }
}
