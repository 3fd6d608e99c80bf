package dev.forge.tasks.api;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.bus.CreateRequest;
import dev.forge.tasks.bus.TaskStatus;
import dev.forge.tasks.bus.TaskIds;
import dev.forge.tasks.task.TraceCache;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** The {@code /v1/tasks} handlers: HTTP in, one bus request to the store, HTTP out. */
final class TaskRoutes {

  static final String TENANT = "tenant";

  private final Vertx vertx;
  private final DeliveryOptions busOptions;
  private final Watchers watchers;
  private final long keepAliveMs;

  private final TraceCache cache;
  private final TaskReader reader;

  TaskRoutes(Vertx vertx, long busTimeoutMs, Watchers watchers, long keepAliveMs, TraceCache cache) {
    this.vertx = vertx;
    this.cache = cache;
    this.busOptions = new DeliveryOptions().setSendTimeout(busTimeoutMs);
    this.watchers = watchers;
    this.keepAliveMs = keepAliveMs;
    this.reader = new TaskReader(vertx, busOptions, cache);
  }

  void get(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (!TaskIds.isValid(id)) {
      HttpErrors.send(ctx, ApiError.taskNotFound(id));
      return;
    }
    int wait;
    try {
      String waitParam = QueryParams.single(ctx.queryParams(), "wait");
      wait = waitParam == null ? 0 : QueryParams.integer("wait", waitParam, 0, 60);
    } catch (ApiException e) {
      HttpErrors.send(ctx, e.error());
      return;
    }
    if (wait > 0) {
      new LongPoll(vertx, watchers, ctx, ctx.get(TENANT), id).start(wait, reader);
      return;
    }
    reader.read(ctx.get(TENANT), id).onComplete(done -> {
      if (done.failed()) {
        HttpErrors.send(ctx, done.cause());
      } else {
        sendState(ctx, done.result(), ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH));
      }
    });
  }

  void events(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (!TaskIds.isValid(id)) {
      HttpErrors.send(ctx, ApiError.taskNotFound(id));
      return;
    }
    new EventStream(vertx, watchers, ctx, ctx.get(TENANT), id, keepAliveMs).start(reader);
  }

  /** 304 when {@code ifNoneMatch} names the state's tag, else 200 with the Trace. */
  static void sendState(RoutingContext ctx, TaskState state, String ifNoneMatch) {
    HttpServerResponse response = ctx.response().putHeader(HttpHeaders.ETAG, state.etag());
    if (!state.terminal()) {
      response.putHeader(ApiHeaders.POLL_AFTER_MS, state.status() == TaskStatus.PENDING ? "1000" : "500");
    }
    if (etagMatches(ifNoneMatch, state.etag())) {
      response.setStatusCode(304).end();
    } else {
      response.putHeader(HttpHeaders.CONTENT_TYPE, ApiHeaders.JSON).end(state.body());
    }
  }

  void create(RoutingContext ctx) {
    JsonObject body = JsonExchange.body(ctx, null);
    if (body == null) {
      return;
    }
    for (String field : body.fieldNames()) {
      if (!CreateRequest.FIELDS.contains(field)) {
        HttpErrors.send(ctx, ApiError.invalidParameter(field, "Unknown field '" + ApiError.printable(field) + "'."));
        return;
      }
    }
    request(Addresses.CREATE, body.copy().put("tenant", (String) ctx.get(TENANT))).onComplete(done -> {
      if (done.failed()) {
        HttpErrors.send(ctx, done.cause());
        return;
      }
      Message<Object> reply = acknowledged(done.result());
      boolean created = "true".equals(reply.headers().get(Addresses.HEADER_CREATED));
      if (created) {
        ctx.response().putHeader(HttpHeaders.LOCATION, "/v1/tasks/" + ((JsonObject) reply.body()).getString("id"));
      }
      sendTrace(ctx, reply, created ? 202 : 200);
    });
  }

  void list(RoutingContext ctx) {
    JsonObject query;
    try {
      query = QueryParams.listQuery(ctx.queryParams()).put("tenant", (String) ctx.get(TENANT));
    } catch (ApiException e) {
      HttpErrors.send(ctx, e.error());
      return;
    }
    JsonExchange.respond(ctx, request(Addresses.LIST, query).map(reply -> (JsonObject) reply.body()));
  }

  void cancel(RoutingContext ctx) {
    byId(ctx, Addresses.CANCEL);
  }

  void delete(RoutingContext ctx) {
    byId(ctx, Addresses.DELETE);
  }

  private void byId(RoutingContext ctx, String address) {
    String id = ctx.pathParam("id");
    if (!TaskIds.isValid(id)) {
      HttpErrors.send(ctx, ApiError.taskNotFound(id));
      return;
    }
    request(address, key(ctx, id)).onComplete(done -> {
      if (done.failed()) {
        HttpErrors.send(ctx, done.cause());
        return;
      }
      JsonObject reply = (JsonObject) acknowledged(done.result()).body();
      if ("task.deleted".equals(reply.getString("object"))) {
        JsonExchange.send(ctx, reply);
      } else {
        sendTrace(ctx, done.result(), 200);
      }
    });
  }

  /**
   * A mutation's reply, written into this node's cache before the client hears of it: in a cluster
   * the store that persisted the change may be on another node, whose {@code tasks.updated} event
   * could reach this node after the client's next GET.
   */
  private Message<Object> acknowledged(Message<Object> reply) {
    if (cache != null && reply.body() instanceof JsonObject trace) {
      cache.offer(reply.headers(), trace);
    }
    return reply;
  }

  private Future<Message<Object>> request(String address, JsonObject body) {
    return vertx.eventBus().request(address, body, busOptions);
  }

  private static JsonObject key(RoutingContext ctx, String id) {
    return new JsonObject().put("tenant", (String) ctx.get(TENANT)).put("id", id);
  }

  private static void sendTrace(RoutingContext ctx, Message<Object> reply, int status) {
    ctx.response().setStatusCode(status);
    sendState(ctx, TaskState.of((JsonObject) reply.body(), reply.headers()), null);
  }

  /** {@code If-None-Match} may list several tags, weak or strong, or be {@code *}. */
  static boolean etagMatches(String ifNoneMatch, String etag) {
    if (ifNoneMatch == null || etag == null) {
      return false;
    }
    for (String candidate : ifNoneMatch.split(",")) {
      String c = candidate.trim();
      if (c.startsWith("W/")) {
        c = c.substring(2);
      }
      if (c.equals("*") || c.equals(etag)) {
        return true;
      }
    }
    return false;
  }
}
