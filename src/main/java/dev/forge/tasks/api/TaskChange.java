package dev.forge.tasks.api;

import dev.forge.tasks.bus.Addresses;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;

/** One change of a task, as the store published it on {@link Addresses#UPDATED}: its new state, or its deletion. */
record TaskChange(TaskState state, boolean deleted) {

  static TaskChange of(JsonObject trace, MultiMap headers) {
    return new TaskChange(TaskState.of(trace, headers), "true".equals(headers.get(Addresses.HEADER_DELETED)));
  }

  long version() {
    return state.version();
  }
}
