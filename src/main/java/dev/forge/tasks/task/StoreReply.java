package dev.forge.tasks.task;

import dev.forge.tasks.bus.Addresses;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** A store's answer on the bus, shaped as {@link Addresses} documents each reply: body and headers. */
record StoreReply(Object body, DeliveryOptions options) {

  /** An answer with no headers. */
  static StoreReply of(JsonObject body) {
    return new StoreReply(body, new DeliveryOptions());
  }

  /** The Trace, with the headers of {@link Trace#headers()}. */
  static StoreReply trace(Trace t) {
    return new StoreReply(t.toJson(), t.headers());
  }

  /** The Trace, and {@link Addresses#HEADER_CREATED} telling whether this request created it. */
  static StoreReply created(TaskStore.Created c) {
    StoreReply reply = trace(c.trace());
    reply.options().addHeader(Addresses.HEADER_CREATED, Boolean.toString(c.created()));
    return reply;
  }

  /** The deletion object of API.md, with the Trace's headers and {@link Addresses#HEADER_DELETED}. */
  static StoreReply deleted(Trace t) {
    return new StoreReply(new JsonObject().put("id", t.id()).put("object", "task.deleted").put("deleted", true),
      t.headers().addHeader(Addresses.HEADER_DELETED, "true"));
  }

  /** The list object of API.md. */
  static StoreReply list(TaskStore.Page page) {
    JsonArray data = new JsonArray();
    List<Trace> traces = page.traces();
    traces.forEach(t -> data.add(t.toJson()));
    return of(new JsonObject()
      .put("object", "list")
      .put("data", data)
      .put("first_id", traces.isEmpty() ? null : traces.get(0).id())
      .put("last_id", traces.isEmpty() ? null : traces.get(traces.size() - 1).id())
      .put("has_more", page.hasMore()));
  }

  /** The jobs of {@link Addresses#JOB_CLAIM}, each leased for {@code leaseMs}. */
  static StoreReply claimed(List<JobStore.Claimed> claimed, long leaseMs) {
    JsonArray jobs = new JsonArray();
    for (JobStore.Claimed c : claimed) {
      Trace t = c.trace();
      jobs.add(new JsonObject().put("tenant", t.tenant()).put("id", t.id()).put("type", t.type())
        .put("attempt", c.attempt()).put("input", c.input()).put("data", t.data()).put("lease_ms", leaseMs));
    }
    return of(new JsonObject().put("jobs", jobs));
  }
}
