package dev.forge.tasks.file;

import static dev.forge.tasks.bus.BusBodies.tenant;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.BusBodies;
import dev.forge.tasks.db.BusReply;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upload addresses of the files store: a staged, invisible file receives its bytes part by
 * part; finishing it creates its task and only then shows the file, so that every file a client
 * can see has its task {@code upload-<id>} already.
 */
final class FileUploads {

  private static final Logger LOG = LoggerFactory.getLogger(FileUploads.class);
  static final int MAX_PART_BYTES = 1024 * 1024;

  private final FileStore store;
  private final FileTasks tasks;

  FileUploads(FileStore store, FileTasks tasks) {
    this.store = store;
    this.tasks = tasks;
  }

  Future<BusReply> begin(JsonObject body) {
    String given = BusBodies.optString(body, "id");
    if (given != null && !FileIds.RULE.isValid(given)) {
      throw BusBodies.invalid("id", "'id' must match ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,120}$.");
    }
    String id = given == null ? FileIds.RULE.newId() : given;
    String filename = BusBodies.requiredString(body, "filename");
    String contentType = BusBodies.requiredString(body, "content_type");
    return store.begin(tenant(body), id, filename, contentType, titleOf(filename))
      .map(seq -> BusReply.of(new JsonObject().put("upload", seq).put("id", id)));
  }

  Future<BusReply> part(Message<Object> message) {
    if (!(message.body() instanceof Buffer data) || data.length() > MAX_PART_BYTES) {
      throw BusBodies.invalid(null, "A part must be a Buffer of at most 1 MiB.");
    }
    String tenant = message.headers().get(Addresses.HEADER_TENANT);
    long seq = header(message, Addresses.HEADER_UPLOAD);
    long part = header(message, Addresses.HEADER_PART);
    if (tenant == null || part > Integer.MAX_VALUE) {
      throw BusBodies.invalid(Addresses.HEADER_TENANT, "A part needs its tenant, upload and part headers.");
    }
    return store.part(tenant, seq, (int) part, data).map(v -> BusReply.of(new JsonObject()));
  }

  private static long header(Message<Object> message, String name) {
    try {
      long v = Long.parseLong(String.valueOf(message.headers().get(name)));
      if (v >= 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // Refused below.
    }
    throw BusBodies.invalid(name, "Header '" + name + "' must be a whole number.");
  }

  Future<BusReply> finish(JsonObject body) {
    String tenant = tenant(body);
    long seq = BusBodies.number(body, "upload", 0, Long.MAX_VALUE, -1);
    String id = BusBodies.requiredString(body, "id");
    if (!FileIds.RULE.isValid(id)) {
      throw BusBodies.invalid("id", "'id' must match ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,120}$.");
    }
    String purpose = BusBodies.requiredString(body, "purpose");
    String md5 = BusBodies.requiredString(body, "md5");
    long bytes = BusBodies.number(body, "bytes", 0, Long.MAX_VALUE, 0);
    int parts = BusBodies.integer(body, "parts", 0, Integer.MAX_VALUE, 0);
    JsonObject options = BusBodies.optObject(body, "parse_options");
    boolean skipExists = BusBodies.bool(body, "skip_exists", false);
    return store.finish(tenant, seq, id, purpose, md5, bytes, parts, options == null ? new JsonObject() : options,
        skipExists)
      .compose(finished -> {
        if (!finished.created()) {
          LOG.info("Upload {} of tenant {} has the bytes of file {}: that file is returned", seq, tenant,
            finished.file().id());
          return Future.succeededFuture(created(finished.file().toJson(), false));
        }
        return tasks.create(tenant, id)
          .compose(v -> store.publish(tenant, id))
          .map(file -> {
            LOG.info("File {} of tenant {} stored ({} bytes); task {} created", id, tenant, bytes, FileIds.taskId(id));
            return created(file.toJson(), true);
          })
          .recover(err -> store.abort(tenant, seq).otherwiseEmpty().compose(v -> Future.failedFuture(err)));
      });
  }

  Future<BusReply> abort(JsonObject body) {
    long seq = BusBodies.number(body, "upload", 0, Long.MAX_VALUE, -1);
    return store.abort(tenant(body), seq).map(v -> BusReply.of(new JsonObject()));
  }

  private static BusReply created(JsonObject file, boolean created) {
    return new BusReply(file, new DeliveryOptions().addHeader(Addresses.HEADER_CREATED, Boolean.toString(created)));
  }

  /** The default title: the file name without its extension. */
  static String titleOf(String filename) {
    int dot = filename.lastIndexOf('.');
    return dot > 0 ? filename.substring(0, dot) : filename;
  }
}
