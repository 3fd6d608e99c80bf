package dev.forge.tasks.api;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.file.FileErrors;
import dev.forge.tasks.file.FileIds;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Locale;

/**
 * The {@code /v1/files} handlers of FILES.md: HTTP in, requests to the files store over the bus,
 * HTTP out. Uploads stream through {@link FileUpload}; nothing here touches the database.
 */
final class FileRoutes {

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
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    String boundary = MultipartParser.boundaryOf(type);
    if (boundary == null) {
      FileUpload.refuse(ctx, type != null && type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")
        ? ApiError.invalidParameter(null, "The multipart Content-Type needs a valid boundary parameter.")
        : new ApiError(415, "unsupported_media_type", "Upload files as multipart/form-data.", null));
      return;
    }
    String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
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
    String id = fileId(ctx);
    if (id != null) {
      sendDocument(ctx, Addresses.FILES_DOCUMENT, key(ctx, id));
    }
  }

  void delete(RoutingContext ctx) {
    byId(ctx, Addresses.FILES_DELETE);
  }

  void list(RoutingContext ctx) {
    JsonObject query;
    try {
      query = QueryParams.page(ctx.queryParams(), FileIds.RULE::isValid, "a file id")
        .put("purpose", QueryParams.single(ctx.queryParams(), "purpose"));
    } catch (ApiException e) {
      HttpErrors.send(ctx, e.error());
      return;
    }
    JsonExchange.forward(vertx, ctx, Addresses.FILES_LIST, query.put("tenant", (String) ctx.get(TaskRoutes.TENANT)), bus);
  }

  /** {@code POST /v1/files/{id}/content}: title, author and metadata; other fields are ignored. */
  void updateContent(RoutingContext ctx) {
    String id = fileId(ctx);
    JsonObject body = id == null ? null : JsonExchange.body(ctx, null);
    if (body == null) {
      return;
    }
    JsonObject update = key(ctx, id);
    for (String field : List.of("title", "author", "metadata")) {
      if (body.containsKey(field)) {
        update.put(field, body.getValue(field));
      }
    }
    sendDocument(ctx, Addresses.FILES_DOCUMENT_UPDATE, update);
  }

  /** A document, with {@code vector_store_ids} filled by the vector store. */
  private void sendDocument(RoutingContext ctx, String address, JsonObject body) {
    JsonExchange.respond(ctx, vertx.eventBus().<JsonObject>request(address, body, bus)
      .compose(m -> VectorStoreRoutes.withStoreIds(vertx, bus, body.getString("tenant"), m.body())));
  }

  private void byId(RoutingContext ctx, String address) {
    String id = fileId(ctx);
    if (id != null) {
      JsonExchange.forward(vertx, ctx, address, key(ctx, id), bus);
    }
  }

  /** The file id of the path, or null after answering 404 for one that cannot exist. */
  private static String fileId(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (FileIds.RULE.isValid(id)) {
      return id;
    }
    HttpErrors.send(ctx, FileErrors.notFound(id));
    return null;
  }

  private static JsonObject key(RoutingContext ctx, String id) {
    return new JsonObject().put("tenant", (String) ctx.get(TaskRoutes.TENANT)).put("id", id);
  }
}
