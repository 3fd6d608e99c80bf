package dev.forge.tasks.task;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.TaskStatus;
import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

/**
 * One task as stored: the public Trace of API.md plus the tenant, the version that drives the ETag
 * and the row's sequence number (creation order, also the list cursor).
 */
public record Trace(
  String tenant, String id, long seq, String type, TaskStatus status, double progress,
  JsonObject data, long createdAt, long updatedAt, String failureReason, long version) {

  /**
   * The columns every query returns, in the order {@link #fromRow} reads them. Times are truncated
   * to whole seconds: a cast of the epoch alone would round, and put half of all times in the future.
   */
  static final String COLUMNS = columns("");

  /** {@link #COLUMNS} qualified by a table alias such as {@code "t."}. */
  static String columns(String p) {
    return p + "tenant, " + p + "id, " + p + "seq, " + p + "type, " + p + "status, " + p + "progress, "
      + p + "data, " + p + "failure_reason, floor(extract(epoch from " + p + "created_at))::bigint AS created_s, "
      + "floor(extract(epoch from " + p + "updated_at))::bigint AS updated_s, " + p + "version";
  }

  static Trace fromRow(Row row) {
    Object data = row.getValue("data");
    return new Trace(
      row.getString("tenant"), row.getString("id"), row.getLong("seq"), row.getString("type"),
      TaskStatus.fromWire(row.getString("status")), row.getDouble("progress"),
      data instanceof JsonObject json ? json : new JsonObject(),
      row.getLong("created_s"), row.getLong("updated_s"), row.getString("failure_reason"),
      row.getLong("version"));
  }

  /** The task object of API.md: every key present, absent values as {@code null}. */
  public JsonObject toJson() {
    return new JsonObject()
      .put("id", id)
      .put("object", "task")
      .put("type", type)
      .put("status", status.wire())
      .put("progress", progress)
      .put("data", data)
      .put("created_at", createdAt)
      .put("updated_at", updatedAt)
      .put("failure_reason", failureReason);
  }

  /** Changes whenever the task changes, and differs between a deleted task and a new one of the same id. */
  public String etag() {
    return "\"" + Long.toString(seq, 36) + "-" + version + "\"";
  }

  /** The row sequence number inside an {@link #etag()}. */
  static long seqOf(String etag) {
    return Long.parseLong(etag.substring(1, etag.indexOf('-')), 36);
  }

  /**
   * The headers that go with this Trace on the bus. A plain case-insensitive map: bus headers are
   * not HTTP headers, and {@code addHeader} on fresh options would check every name and value
   * against HTTP's rules on every change (it showed in the profile of the job pipeline).
   */
  public DeliveryOptions headers() {
    return new DeliveryOptions().setHeaders(MultiMap.caseInsensitiveMultiMap()
      .add(Addresses.HEADER_TASK_ID, id)
      .add(Addresses.HEADER_TENANT, tenant)
      .add(Addresses.HEADER_VERSION, Long.toString(version))
      .add(Addresses.HEADER_ETAG, etag())
      .add(Addresses.HEADER_STATUS, status.wire()));
  }
}
