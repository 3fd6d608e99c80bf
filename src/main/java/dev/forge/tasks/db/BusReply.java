package dev.forge.tasks.db;

import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** A store's answer on the bus: a body (a JSON object or a Buffer) and its headers. */
public record BusReply(Object body, DeliveryOptions options) {

  /** An answer with no headers. */
  public static BusReply of(Object body) {
    return new BusReply(body, new DeliveryOptions());
  }

  /** The list object of API.md over {@code data}, objects that each carry their {@code id}. */
  public static JsonObject list(JsonArray data, boolean hasMore) {
    return new JsonObject()
      .put("object", "list")
      .put("data", data)
      .put("first_id", data.isEmpty() ? null : data.getJsonObject(0).getString("id"))
      .put("last_id", data.isEmpty() ? null : data.getJsonObject(data.size() - 1).getString("id"))
      .put("has_more", hasMore);
  }
}
