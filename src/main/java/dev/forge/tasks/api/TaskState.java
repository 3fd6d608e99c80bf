package dev.forge.tasks.api;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.TaskStatus;
import dev.forge.tasks.task.TraceCache;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * A task's state as the HTTP side serves it: the Trace as JSON bytes, and what the headers and the
 * waiting handlers need (status, version, ETag).
 */
record TaskState(Buffer body, TaskStatus status, long version, String etag) {

  /** A Trace from the bus, with the headers of {@link Addresses#UPDATED}. */
  static TaskState of(JsonObject trace, MultiMap headers) {
    return new TaskState(trace.toBuffer(), TaskStatus.fromWire(headers.get(Addresses.HEADER_STATUS)),
      Long.parseLong(headers.get(Addresses.HEADER_VERSION)), headers.get(Addresses.HEADER_ETAG));
  }

  static TaskState of(TraceCache.Entry cached) {
    return new TaskState(cached.body(), cached.status(), cached.version(), cached.etag());
  }

  /** True when the task will never change again. */
  boolean terminal() {
    return status.terminal();
  }
}
