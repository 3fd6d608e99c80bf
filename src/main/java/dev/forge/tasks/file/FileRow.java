package dev.forge.tasks.file;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

/**
 * One row of {@code files}, as read by {@link FileSql#COLUMNS}; the one place that maps a row and
 * shapes the file object and the document of FILES.md. {@code status} here is the stored one:
 * {@link FilesVerticle} reconciles a stored {@code processing} with the file's task before any
 * client sees it.
 */
record FileRow(String tenant, String id, long seq, boolean visible, String filename, String purpose,
               String contentType, long bytes, int parts, String md5, JsonObject parseOptions, String status,
               String error, int processingAttempt, String title, String author, JsonObject metadata,
               String abstractText, String summary, JsonArray keywords, String language, String fileType,
               int pageCount, int segmentCount, long createdAt, long updatedAt) {

  static FileRow fromRow(Row row) {
    return new FileRow(row.getString("tenant"), row.getString("id"), row.getLong("seq"), row.getBoolean("visible"),
      row.getString("filename"), row.getString("purpose"), row.getString("content_type"), row.getLong("bytes"),
      row.getInteger("parts"), row.getString("md5"), (JsonObject) row.getJson("parse_options"), row.getString("status"),
      row.getString("error"), row.getInteger("processing_attempt"), row.getString("title"), row.getString("author"),
      (JsonObject) row.getJson("metadata"), row.getString("abstract"), row.getString("summary"),
      (JsonArray) row.getJson("keywords"), row.getString("language"), row.getString("file_type"),
      row.getInteger("page_count"), row.getInteger("segment_count"), row.getLong("created_s"), row.getLong("updated_s"));
  }

  /** The same row with another status and error (after reconciling with the task). */
  FileRow withStatus(String newStatus, String newError) {
    return new FileRow(tenant, id, seq, visible, filename, purpose, contentType, bytes, parts, md5, parseOptions,
      newStatus, newError, processingAttempt, title, author, metadata, abstractText, summary, keywords, language,
      fileType, pageCount, segmentCount, createdAt, updatedAt);
  }

  /** The file object of FILES.md; never a null where the client's models want a value. */
  JsonObject toJson() {
    JsonObject json = new JsonObject()
      .put("id", id)
      .put("object", "file")
      .put("filename", filename)
      .put("bytes", bytes)
      .put("purpose", purpose)
      .put("created_at", createdAt)
      .put("updated_at", updatedAt)
      .put("md5", md5)
      .put("content_type", contentType)
      .put("status", status)
      .put("task_id", FileIds.taskId(id))
      .put("metadata", metadata.copy())
      .put("parse_options", parseOptions.copy());
    if (error != null) {
      json.put("processing_error_message", error);
    }
    return json;
  }

  /**
   * The document of {@code GET /v1/files/{id}/content}: the file object's fields plus the
   * document model's, with {@code content.segments} as given (empty until processed).
   */
  JsonObject toDocument(JsonArray segments, boolean segmentsTruncated) {
    return toJson().put("title", title).put("author", author).put("md5sum", md5).put("mime_type", contentType)
      .put("vector_store_ids", new JsonArray()).put("content", content(segments, segmentsTruncated));
  }

  /** The document's {@code content}: what the analysis found, then the segments. */
  private JsonObject content(JsonArray segments, boolean segmentsTruncated) {
    JsonObject contentMetadata = new JsonObject().put("segments_total", segmentCount);
    if (segmentsTruncated) {
      contentMetadata.put("segments_truncated", true);
    }
    return new JsonObject().put("id", md5).put("status", status)
      .put("abstract", abstractText).put("summary", summary).put("keywords", keywords.copy()).put("outline", "")
      .put("language", language).put("file_type", fileType).put("page_count", pageCount)
      .put("metadata", contentMetadata).put("vector_store_ids", new JsonArray()).put("segments", segments);
  }
}
