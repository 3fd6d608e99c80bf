package dev.forge.tasks.api;

import io.vertx.core.Future;

/** Reads a task's current state through the store, for the handlers that then wait on it. */
@FunctionalInterface
interface TaskReader {
  Future<Watchers.Update> read(String tenant, String id);
}
