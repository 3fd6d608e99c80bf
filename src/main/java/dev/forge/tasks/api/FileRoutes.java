package dev.forge.tasks.api;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.file.FileErrors;
import dev.forge.tasks.file.FileIds;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * The {@code /v1/files} handlers of FILES.md: HTTP in, requests to the files store over the bus,
 * HTTP out. Uploads stream through {@link FileUpload}; nothing here touches the database.
 */
final class FileRoutes {

  /** The key of the upload limit in the HTTP verticle's deployment config. */
  static final String MAX_BYTES_KEY = "fileMaxBytes";
  static final long DEFAULT_MAX_BYTES = 64L * 1024 * 1024;
  /** What a multipart body may add to the file's bytes: boundaries, part headers and the form fields. */
  private static final long MULTIPART_OVERHEAD = 1024 * 1024;

  private final Vertx vertx;
  private final DeliveryOptions bus;
  private final long maxBytes;

  FileRoutes(Vertx vertx, long busTimeoutMs, long maxBytes) {
    this.vertx = vertx;
    this.bus = new DeliveryOptions().setSendTimeout(busTimeoutMs);
    this.maxBytes = maxBytes;
  }

  void upload(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    String boundary = MultipartParser.boundaryOf(type);
    if (boundary == null) {
      FileUpload.refuse(ctx, type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data")
        ? ApiError.invalidParameter(null, "The multipart Content-Type needs a valid boundary parameter.")
        : new ApiError(415, "unsupported_media_type", "Upload files as multipart/form-data.", null));
      return;
    }
    String length = ctx.request().getHeader("Content-Length");
    if (length != null && length.chars().allMatch(Character::isDigit) && length.length() < 19
      && Long.parseLong(length) > maxBytes + MULTIPART_OVERHEAD) {
      // Refused before a byte of the body is read (a client that sent Expect: 100-continue sends none).
      FileUpload.refuse(ctx, new ApiError(413, "file_too_large",
        "The file is larger than this server's limit of " + maxBytes + " bytes.", "file"));
      return;
    }
    new FileUpload(vertx, ctx, boundary, bus, maxBytes, ctx.get(TaskRoutes.TENANT)).start();
  }

  void get(RoutingContext ctx) {
    byId(ctx, Addresses.FILES_GET);
  }

  void content(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (!FileIds.isValid(id)) {
      HttpErrors.send(ctx, FileErrors.notFound(id));
      return;
    }
    sendDocument(ctx, Addresses.FILES_DOCUMENT, new JsonObject().put("tenant", (String) ctx.get(TaskRoutes.TENANT))
      .put("id", id));
  }

  void delete(RoutingContext ctx) {
    byId(ctx, Addresses.FILES_DELETE);
  }

  void list(RoutingContext ctx) {
    JsonObject query = new JsonObject().put("tenant", (String) ctx.get(TaskRoutes.TENANT));
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
        if (v != null && !FileIds.isValid(v)) {
          throw new ApiException(ApiError.invalidParameter(cursor, "'" + cursor + "' must be a file id."));
        }
        query.put(cursor, v);
      }
      query.put("purpose", QueryParams.single(ctx.queryParams(), "purpose"));
    } catch (ApiException e) {
      HttpErrors.send(ctx, e.error());
      return;
    }
    send(ctx, Addresses.FILES_LIST, query);
  }

  /** {@code POST /v1/files/{id}/content}: title, author and metadata; other fields are ignored. */
  void updateContent(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (!FileIds.isValid(id)) {
      HttpErrors.send(ctx, FileErrors.notFound(id));
      return;
    }
    Buffer raw = ctx.body().buffer();
    Object parsed;
    try {
      parsed = raw == null || raw.length() == 0 ? null : raw.toJsonValue();
    } catch (DecodeException e) {
      HttpErrors.send(ctx, ApiError.invalidJson("The request body is not valid JSON."));
      return;
    }
    if (!(parsed instanceof JsonObject body)) {
      HttpErrors.send(ctx, ApiError.invalidJson("The request body must be a JSON object."));
      return;
    }
    JsonObject update = new JsonObject().put("tenant", (String) ctx.get(TaskRoutes.TENANT)).put("id", id);
    for (String field : List.of("title", "author", "metadata")) {
      if (body.containsKey(field)) {
        update.put(field, body.getValue(field));
      }
    }
    sendDocument(ctx, Addresses.FILES_DOCUMENT_UPDATE, update);
  }

  /** A document, with {@code vector_store_ids} filled by the vector store. */
  private void sendDocument(RoutingContext ctx, String address, JsonObject body) {
    vertx.eventBus().<JsonObject>request(address, body, bus)
      .compose(m -> VectorStoreRoutes.withStoreIds(vertx, bus, body.getString("tenant"), m.body()))
      .onComplete(done -> {
        if (done.failed()) {
          HttpErrors.send(ctx, done.cause());
        } else {
          ctx.response().putHeader("Content-Type", "application/json").end(done.result().toBuffer());
        }
      });
  }

  private void byId(RoutingContext ctx, String address) {
    String id = ctx.pathParam("id");
    if (!FileIds.isValid(id)) {
      HttpErrors.send(ctx, FileErrors.notFound(id));
      return;
    }
    send(ctx, address, new JsonObject().put("tenant", (String) ctx.get(TaskRoutes.TENANT)).put("id", id));
  }

  private void send(RoutingContext ctx, String address, JsonObject body) {
    vertx.eventBus().<JsonObject>request(address, body, bus).onComplete(done -> {
      if (done.failed()) {
        HttpErrors.send(ctx, done.cause());
      } else {
        ctx.response().putHeader("Content-Type", "application/json").end(done.result().body().toBuffer());
      }
    });
  }
}
