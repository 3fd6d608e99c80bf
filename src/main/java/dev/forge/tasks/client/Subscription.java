package dev.forge.tasks.client;

import io.vertx.core.Future;

/** A running watch; {@link #close()} stops it (no call to its handler starts after the returned future completes). */
public interface Subscription {

  Future<Void> close();
}
