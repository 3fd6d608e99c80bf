package dev.forge.tasks.webhook;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Rows of the webhook tables as the JSON objects of {@code Addresses}' webhook section. */
final class WebhookRows {

  private WebhookRows() {
  }

  static JsonObject endpoint(Row row) {
    String[] types = row.getArrayOfStrings("types");
    boolean enabled = row.getBoolean("enabled");
    return new JsonObject()
      .put("id", row.getString("id"))
      .put("object", "webhook_endpoint")
      .put("url", row.getString("url"))
      .put("events", new JsonArray(Arrays.asList((Object[]) row.getArrayOfStrings("events"))))
      .put("types", types == null ? null : new JsonArray(Arrays.asList((Object[]) types)))
      .put("description", row.getString("description"))
      .put("status", enabled ? "enabled" : "disabled")
      .put("disabled_reason", row.getString("disabled_reason"))
      .put("created_at", row.getLong("created_s"))
      .put("updated_at", row.getLong("updated_s"));
  }

  static JsonObject delivery(Row row) {
    return new JsonObject()
      .put("id", row.getString("id"))
      .put("object", "webhook_delivery")
      .put("endpoint_id", row.getString("endpoint_id"))
      .put("event", row.getString("event"))
      .put("task_id", row.getString("task_id"))
      .put("status", row.getString("status"))
      .put("attempts", row.getInteger("attempts"))
      .put("last_status_code", row.getInteger("last_status_code"))
      .put("last_error", row.getString("last_error"))
      .put("last_attempt_at", row.getLong("last_attempt_s"))
      .put("next_attempt_at", "pending".equals(row.getString("status")) ? row.getLong("next_attempt_s") : null)
      .put("delivered_at", row.getLong("delivered_s"))
      .put("created_at", row.getLong("created_s"));
  }

  /**
   * A claimed delivery for its sender: {@code body} is the exact text to sign and post (its
   * timestamp is the delivery's creation, so every attempt sends the same bytes).
   */
  static JsonObject claimed(Row row) {
    Object payload = row.getValue("payload");
    String body = new JsonObject()
      .put("type", row.getString("event"))
      .put("timestamp", row.getString("created_iso"))
      .put("data", payload instanceof JsonObject json ? json : new JsonObject())
      .encode();
    List<String> secrets = new ArrayList<>(2);
    secrets.add(row.getString("secret"));
    if (row.getString("old_secret") != null) {
      secrets.add(row.getString("old_secret"));
    }
    return new JsonObject()
      .put("id", row.getString("id"))
      .put("tenant", row.getString("tenant"))
      .put("endpoint_id", row.getString("endpoint_id"))
      .put("task_id", row.getString("task_id"))
      .put("attempt", row.getInteger("attempts"))
      .put("url", row.getString("url"))
      .put("secrets", new JsonArray(secrets))
      .put("body", body);
  }
}
