package dev.forge.tasks.webhook;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.util.Arrays;

/**
 * Rows of the webhook tables as the JSON objects of {@code Addresses}' webhook section. The
 * statements of {@link WebhookSql} name their columns as the JSON fields, so most are copied as
 * they are.
 */
final class WebhookRows {

  private static final String[] ENDPOINT = {"url", "description", "disabled_reason", "created_at", "updated_at"};
  private static final String[] DELIVERY = {"endpoint_id", "event", "task_id", "status", "attempts", "last_status_code",
    "last_error", "last_attempt_at", "delivered_at", "created_at"};
  private static final String[] CLAIMED = {"tenant", "endpoint_id", "task_id", "attempt", "url"};

  private WebhookRows() {
  }

  static JsonObject endpoint(Row row) {
    return copy(row, "webhook_endpoint", ENDPOINT)
      .put("events", strings(row.getArrayOfStrings("events")))
      .put("types", strings(row.getArrayOfStrings("types")))
      .put("status", row.getBoolean("enabled") ? "enabled" : "disabled");
  }

  static JsonObject delivery(Row row) {
    return copy(row, "webhook_delivery", DELIVERY)
      .put("next_attempt_at", "pending".equals(row.getString("status")) ? row.getLong("next_attempt_at") : null);
  }

  /**
   * A claimed delivery for its sender: {@code body} is the exact text to sign and post (its
   * timestamp is the delivery's creation, so every attempt sends the same bytes); {@code secrets}
   * the current one first, then the one being rotated out.
   */
  static JsonObject claimed(Row row) {
    JsonArray secrets = new JsonArray().add(row.getString("secret"));
    if (row.getString("old_secret") != null) {
      secrets.add(row.getString("old_secret"));
    }
    return copy(row, null, CLAIMED).put("secrets", secrets).put("body", row.getString("body"));
  }

  /** {@code id}, then {@code object} (unless null), then each column under its own name. */
  private static JsonObject copy(Row row, String object, String[] columns) {
    JsonObject json = new JsonObject().put("id", row.getString("id"));
    if (object != null) {
      json.put("object", object);
    }
    for (String column : columns) {
      json.put(column, row.getValue(column));
    }
    return json;
  }

  private static JsonArray strings(String[] values) {
    return values == null ? null : new JsonArray(Arrays.asList((Object[]) values));
  }
}
