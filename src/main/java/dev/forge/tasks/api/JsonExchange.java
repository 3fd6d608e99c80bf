package dev.forge.tasks.api;

import dev.forge.tasks.bus.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * What the JSON handlers share: reading a request body that must be a JSON object, and answering
 * with the JSON a bus request replies (200), or its failure through {@link HttpErrors}.
 */
final class JsonExchange {

  private JsonExchange() {
  }

  /**
   * The body as a JSON object, or null after answering 400 {@code invalid_json}; an empty body is
   * {@code ifEmpty}, or refused when that is null.
   */
  static JsonObject body(RoutingContext ctx, JsonObject ifEmpty) {
    Buffer raw = ctx.body().buffer();
    if (raw == null || raw.length() == 0) {
      if (ifEmpty == null) {
        HttpErrors.send(ctx, ApiError.invalidJson("The request body is empty; send a JSON object."));
      }
      return ifEmpty;
    }
    try {
      if (raw.toJsonValue() instanceof JsonObject json) {
        return json;
      }
      HttpErrors.send(ctx, ApiError.invalidJson("The request body must be a JSON object."));
    } catch (DecodeException e) {
      HttpErrors.send(ctx, ApiError.invalidJson("The request body is not valid JSON."));
    }
    return null;
  }

  /** Sends {@code body} to {@code address} and answers with its JSON reply. */
  static void forward(Vertx vertx, RoutingContext ctx, String address, JsonObject body, DeliveryOptions options) {
    respond(ctx, vertx.eventBus().<JsonObject>request(address, body, options).map(Message::body));
  }

  /** 200 with the JSON {@code reply} completes with, or its failure. */
  static void respond(RoutingContext ctx, Future<JsonObject> reply) {
    reply.onComplete(done -> {
      if (done.failed()) {
        HttpErrors.send(ctx, done.cause());
      } else {
        send(ctx, done.result());
      }
    });
  }

  /** 200 with {@code json}. */
  static void send(RoutingContext ctx, JsonObject json) {
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, ApiHeaders.JSON).end(json.toBuffer());
  }
}
