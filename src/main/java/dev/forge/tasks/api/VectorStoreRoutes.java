package dev.forge.tasks.api;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.vector.VectorStoreErrors;
import dev.forge.tasks.vector.VectorStoreIds;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.Locale;

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

  /** The methods a vector-store path allows, for 405 replies. */
  static String allowed(String path) {
    if (path.equals("/v1/vector_stores") || path.equals("/v1/vector_stores/")) {
      return "GET, POST";
    }
    if (path.endsWith("/search")) {
      return "POST";
    }
    if (path.endsWith("/files") || path.endsWith("/summary")) {
      return "GET";
    }
    return "GET, POST, DELETE";
  }

  /** Adds {@code vector_store_ids} (the stores holding the file) to a document of {@code /v1/files/{id}/content}. */
  static Future<JsonObject> withStoreIds(Vertx vertx, DeliveryOptions bus, String tenant, JsonObject document) {
    return vertx.eventBus().<JsonObject>request(Addresses.VECTOR_STORES_OF_FILE,
        new JsonObject().put("tenant", tenant).put("file_id", document.getString("id")), bus)
      .map(m -> document.put("vector_store_ids", m.body().getJsonArray("vector_store_ids", new JsonArray())));
  }

  private void list(RoutingContext ctx) {
    JsonObject query = new JsonObject();
    try {
      String limit = QueryParams.single(ctx.queryParams(), "limit");
      if (limit != null) {
        query.put("limit", QueryParams.integer("limit", limit, 1, 100));
      }
      String order = QueryParams.single(ctx.queryParams(), "order");
      if (order != null && !order.equals("asc") && !order.equals("desc")) {
        throw new ApiException(ApiError.invalidParameter("order", "'order' must be 'asc' or 'desc'."));
      }
      query.put("order", order);
      for (String cursor : List.of("after", "before")) {
        String v = QueryParams.single(ctx.queryParams(), cursor);
        if (v != null && !VectorStoreIds.isValid(v)) {
          throw new ApiException(ApiError.invalidParameter(cursor, "'" + cursor + "' must be a vector store id."));
        }
        query.put(cursor, v);
      }
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

  /** Runs {@code then} with the body as a JSON object, or answers 415 / 400. */
  private static void withJson(RoutingContext ctx, java.util.function.Consumer<JsonObject> then) {
    String type = ctx.request().getHeader("Content-Type");
    String media = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    Buffer raw = ctx.body().buffer();
    boolean empty = raw == null || raw.length() == 0;
    if (!empty && !media.equals("application/json")) {
      HttpErrors.send(ctx, HttpErrors.unsupportedMediaType());
      return;
    }
    Object parsed;
    try {
      parsed = empty ? new JsonObject() : raw.toJsonValue();
    } catch (DecodeException e) {
      HttpErrors.send(ctx, ApiError.invalidJson("The request body is not valid JSON."));
      return;
    }
    if (!(parsed instanceof JsonObject json)) {
      HttpErrors.send(ctx, ApiError.invalidJson("The request body must be a JSON object."));
      return;
    }
    then.accept(json);
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
    body.put("tenant", (String) ctx.get(TaskRoutes.TENANT));
    vertx.eventBus().<JsonObject>request(address, body, options).onComplete(done -> {
      if (done.failed()) {
        HttpErrors.send(ctx, done.cause());
      } else {
        ctx.response().putHeader("Content-Type", "application/json").end(done.result().body().toBuffer());
      }
    });
  }
}
