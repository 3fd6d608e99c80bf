package dev.forge.tasks.api;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.file.FileIds;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One {@code POST /v1/files}: the multipart body is parsed as it arrives and the file's bytes go to
 * the files store in parts of {@value #PART_BYTES} bytes, one part in flight at a time; the request
 * is paused meanwhile, so an upload holds about two parts in the heap whatever its size. The form
 * fields are checked once the body ended (the Python client sends them after the file); any
 * failure answers the JSON error naming the part and drops what was stored.
 */
final class FileUpload implements MultipartParser.Listener {

  static final int PART_BYTES = 512 * 1024;
  static final int MAX_FIELD_BYTES = 64 * 1024;
  static final int MAX_PARTS = 16;
  /** After a refusal the rest of the body is read and dropped up to this many bytes, then the connection is closed. */
  private static final long MAX_DRAIN_BYTES = 16L * 1024 * 1024;
  private static final Set<String> FIELDS = Set.of("purpose", "id", "md5", "parse_options", "skip_exists");
  private static final Set<String> URL_FIELDS = Set.of("url", "name", "file_type");
  private static final Pattern MD5 = Pattern.compile("[0-9a-fA-F]{32}");
  private static final Pattern PURPOSE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}");

  private final Vertx vertx;
  private final RoutingContext ctx;
  private final DeliveryOptions bus;
  private final long maxBytes;
  private final String tenant;
  private final MultipartParser parser;
  private final Map<String, String> fields = new HashMap<>();
  private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
  private final MessageDigest md5;
  private String field;
  private Buffer fieldValue;
  private boolean inFile;
  private boolean sawFile;
  private String filename;
  private Buffer pending = Buffer.buffer();
  private long bytes;
  private int partNo;
  private boolean sending;
  private Future<JsonObject> begun;
  private boolean bodyEnded;
  private boolean finishing;
  private boolean done;
  private long drained;

  FileUpload(Vertx vertx, RoutingContext ctx, String boundary, DeliveryOptions bus, long maxBytes, String tenant) {
    this.vertx = vertx;
    this.ctx = ctx;
    this.bus = bus;
    this.maxBytes = maxBytes;
    this.tenant = tenant;
    this.parser = new MultipartParser(boundary, this, 16 * 1024, MAX_PARTS);
    try {
      this.md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is part of every Java platform", e);
    }
  }

  void start() {
    HttpServerRequest request = ctx.request();
    request.handler(this::onChunk);
    request.endHandler(v -> onEnd());
    request.exceptionHandler(err -> {
      if (!done) {
        done = true;
        abort();
      }
    });
    if (HttpHeaders.CONTINUE.toString().equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
      request.response().writeContinue();
    }
    request.resume(); // the router pauses a request until a handler reads its body
  }

  private void onChunk(Buffer chunk) {
    if (done) {
      drained += chunk.length();
      if (drained > MAX_DRAIN_BYTES) {
        ctx.request().connection().close();
      }
      return;
    }
    try {
      parser.feed(chunk);
    } catch (MultipartParser.Malformed e) {
      fail(ApiError.invalidParameter(null, e.getMessage()));
      return;
    } catch (ApiException e) {
      fail(e.error());
      return;
    }
    pump();
    if (sending || begun != null && !begun.isComplete()) {
      ctx.request().pause();
    }
  }

  @Override
  public void partStart(MultipartParser.Part part) {
    String name = part.name();
    if (part.filename() != null || name.equals("file")) {
      startFile(part);
      return;
    }
    if (URL_FIELDS.contains(name)) {
      throw new ApiException(ApiError.invalidParameter(name,
        "Uploads by URL are not enabled on this server: send the file's bytes in the 'file' part."));
    }
    if (!FIELDS.contains(name)) {
      throw new ApiException(ApiError.invalidParameter(printableName(name), "Unknown part '" + ApiError.printable(name)
        + "'; the parts are file, purpose, id, md5, parse_options and skip_exists."));
    }
    if (fields.containsKey(name)) {
      throw new ApiException(ApiError.invalidParameter(name, "The part '" + name + "' is given more than once."));
    }
    field = name;
    fieldValue = Buffer.buffer();
  }

  private void startFile(MultipartParser.Part part) {
    if (!part.name().equals("file")) {
      throw new ApiException(ApiError.invalidParameter(printableName(part.name()),
        "Only the part named 'file' may carry a file."));
    }
    if (sawFile) {
      throw new ApiException(ApiError.invalidParameter("file",
        "The request holds more than one 'file' part; send one file per request."));
    }
    String name = FileNames.decode(part.filename());
    String problem = FileNames.problem(name);
    if (problem != null) {
      throw new ApiException(ApiError.invalidParameter("file", problem));
    }
    sawFile = true;
    inFile = true;
    filename = name;
    String type = part.contentType() == null ? "" : part.contentType().split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    String contentType = type.isEmpty() || type.length() > 127 || type.indexOf('/') < 0 ? "application/octet-stream" : type;
    String id = fields.get("id");
    JsonObject body = new JsonObject().put("tenant", tenant).put("filename", filename).put("content_type", contentType)
      .put("id", id != null && FileIds.RULE.isValid(id) ? id : null);
    begun = vertx.eventBus().<JsonObject>request(Addresses.FILES_UPLOAD_BEGIN, body, bus).map(m -> m.body());
    begun.onComplete(started -> {
      if (started.failed()) {
        fail(started.cause());
      } else {
        pump();
      }
    });
  }

  @Override
  public void partData(Buffer data) {
    if (!inFile) {
      if (fieldValue.length() + data.length() > MAX_FIELD_BYTES) {
        throw new ApiException(ApiError.invalidParameter(field, "The part '" + field + "' is larger than 64 KiB."));
      }
      fieldValue.appendBuffer(data);
      return;
    }
    bytes += data.length();
    if (bytes > maxBytes) {
      throw new ApiException(new ApiError(413, "file_too_large",
        "The file is larger than this server's limit of " + maxBytes + " bytes.", "file"));
    }
    md5.update(data.getBytes());
    pending.appendBuffer(data);
    while (pending.length() >= PART_BYTES) {
      queue.add(pending.getBuffer(0, PART_BYTES));
      pending = pending.getBuffer(PART_BYTES, pending.length());
    }
  }

  @Override
  public void partEnd() {
    if (inFile) {
      if (pending.length() > 0) {
        queue.add(pending);
        pending = Buffer.buffer();
      }
      inFile = false;
    } else {
      fields.put(field, fieldValue.toString(StandardCharsets.UTF_8));
      field = null;
    }
  }

  private void onEnd() {
    if (done) {
      return;
    }
    bodyEnded = true;
    try {
      parser.end();
    } catch (MultipartParser.Malformed e) {
      fail(ApiError.invalidParameter(null, e.getMessage()));
      return;
    }
    if (!sawFile) {
      fail(ApiError.invalidParameter("file", "The 'file' part is required: send the file's bytes with a filename."));
      return;
    }
    pump();
  }

  /** Sends the next part, or finishes once the body ended and every part is stored. */
  private void pump() {
    if (done || sending || begun == null || !begun.succeeded()) {
      return;
    }
    Buffer next = queue.poll();
    if (next == null) {
      if (bodyEnded) {
        finish();
      } else {
        ctx.request().resume();
      }
      return;
    }
    sending = true;
    DeliveryOptions part = new DeliveryOptions(bus).addHeader(Addresses.HEADER_TENANT, tenant)
      .addHeader(Addresses.HEADER_UPLOAD, Long.toString(begun.result().getLong("upload")))
      .addHeader(Addresses.HEADER_PART, Integer.toString(partNo++));
    vertx.eventBus().request(Addresses.FILES_UPLOAD_PART, next, part).onComplete(stored -> {
      sending = false;
      if (stored.failed()) {
        fail(stored.cause());
      } else {
        pump();
      }
    });
  }

  private void finish() {
    if (finishing) {
      return;
    }
    finishing = true;
    JsonObject body;
    try {
      body = finishBody();
    } catch (ApiException e) {
      fail(e.error());
      return;
    }
    vertx.eventBus().<JsonObject>request(Addresses.FILES_UPLOAD_FINISH, body, bus).onComplete(finished -> {
      if (finished.failed()) {
        fail(finished.cause());
        return;
      }
      done = true;
      ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, ApiHeaders.JSON).end(finished.result().body().toBuffer());
    });
  }

  /** The form fields, checked, as the body of {@code files.upload.finish}. */
  private JsonObject finishBody() {
    String digest = HexFormat.of().formatHex(md5.digest());
    String givenMd5 = fields.get("md5");
    if (givenMd5 != null) {
      if (!MD5.matcher(givenMd5.trim()).matches()) {
        throw new ApiException(ApiError.invalidParameter("md5", "'md5' must be 32 hexadecimal digits."));
      }
      if (!givenMd5.trim().equalsIgnoreCase(digest)) {
        throw new ApiException(ApiError.invalidParameter("md5",
          "'md5' does not match the bytes received (their MD5 is " + digest + ")."));
      }
    }
    String purpose = fields.getOrDefault("purpose", "general").trim();
    if (!PURPOSE.matcher(purpose).matches()) {
      throw new ApiException(ApiError.invalidParameter("purpose",
        "'purpose' must be 1-64 letters, digits or _.:- (such as general or qa)."));
    }
    String id = fields.get("id");
    if (id != null && !FileIds.RULE.isValid(id)) {
      throw new ApiException(ApiError.invalidParameter("id", "'id' must match ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,120}$."));
    }
    String skip = fields.getOrDefault("skip_exists", "false").trim().toLowerCase(Locale.ROOT);
    if (!skip.equals("true") && !skip.equals("false")) {
      throw new ApiException(ApiError.invalidParameter("skip_exists", "'skip_exists' must be true or false."));
    }
    return new JsonObject().put("tenant", tenant).put("upload", begun.result().getLong("upload"))
      .put("id", id != null ? id : begun.result().getString("id")).put("purpose", purpose).put("md5", digest)
      .put("bytes", bytes).put("parts", partNo).put("parse_options", parseOptions())
      .put("skip_exists", skip.equals("true"));
  }

  private JsonObject parseOptions() {
    String raw = fields.get("parse_options");
    if (raw == null || raw.isBlank()) {
      return new JsonObject();
    }
    Object parsed;
    try {
      parsed = Buffer.buffer(raw).toJsonValue();
    } catch (DecodeException e) {
      parsed = null;
    }
    if (!(parsed instanceof JsonObject options)) {
      throw new ApiException(ApiError.invalidParameter("parse_options",
        "'parse_options' must be a JSON object such as {\"summary\": \"disable\"}."));
    }
    for (Map.Entry<String, Object> option : options) {
      if (!"enable".equals(option.getValue()) && !"disable".equals(option.getValue())) {
        throw new ApiException(ApiError.invalidParameter("parse_options",
          "'parse_options." + ApiError.printable(option.getKey()) + "' must be \"enable\" or \"disable\"."));
      }
    }
    return options;
  }

  private void fail(Throwable err) {
    if (err instanceof ApiException api) {
      fail(api.error());
    } else if (ApiError.fromThrowable(err) != null) {
      fail(ApiError.fromThrowable(err));
    } else if (!done) {
      done = true;
      abort();
      HttpErrors.send(ctx, err);
    }
  }

  private void fail(ApiError error) {
    if (done) {
      return;
    }
    done = true;
    abort();
    if (!bodyEnded) {
      // The rest of the body is read and dropped (so that the client reads this answer), then the connection closes.
      ctx.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
      ctx.request().resume();
    }
    HttpErrors.send(ctx, error);
  }

  /**
   * Answers {@code error} to an upload whose body was not read: the body is then read and dropped
   * (so that a client that writes it all before reading learns why), up to {@link #MAX_DRAIN_BYTES},
   * after which the connection is closed.
   */
  static void refuse(RoutingContext ctx, ApiError error) {
    HttpServerRequest request = ctx.request();
    long[] drained = {0};
    request.handler(chunk -> {
      drained[0] += chunk.length();
      if (drained[0] > MAX_DRAIN_BYTES) {
        request.connection().close();
      }
    });
    request.exceptionHandler(err -> { });
    ctx.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
    HttpErrors.send(ctx, error);
    request.resume();
  }

  private void abort() {
    queue.clear();
    if (begun != null) {
      begun.onSuccess(b -> vertx.eventBus().request(Addresses.FILES_UPLOAD_ABORT,
        new JsonObject().put("tenant", tenant).put("upload", b.getLong("upload")), bus));
    }
  }

  private static String printableName(String name) {
    return ApiError.printable(name);
  }
}
