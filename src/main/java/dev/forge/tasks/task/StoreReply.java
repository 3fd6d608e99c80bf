package dev.forge.tasks.task;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.db.BusReply;
import dev.forge.tasks.db.Keyset;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.stream.Collectors;

/** A store's answer on the bus, shaped as {@link Addresses} documents each reply: body and headers. */
final class StoreReply {

  private StoreReply() {
  }

  /** An answer with no headers. */
  static BusReply of(JsonObject body) {
    return BusReply.of(body);
  }

  /** The Trace, with the headers of {@link Trace#headers()}. */
  static BusReply trace(Trace t) {
    return new BusReply(t.toJson(), t.headers());
  }

  /** The Trace, and {@link Addresses#HEADER_CREATED} telling whether this request created it. */
  static BusReply created(TaskStore.Created c) {
    BusReply reply = trace(c.trace());
    reply.options().addHeader(Addresses.HEADER_CREATED, Boolean.toString(c.created()));
    return reply;
  }

  /** The deletion object of API.md, with the Trace's headers and {@link Addresses#HEADER_DELETED}. */
  static BusReply deleted(Trace t) {
    return new BusReply(new JsonObject().put("id", t.id()).put("object", "task.deleted").put("deleted", true),
      t.headers().addHeader(Addresses.HEADER_DELETED, "true"));
  }

  /** The list object of API.md, with {@link Addresses#HEADER_VERSIONS} naming each listed task's version. */
  static BusReply list(Keyset.Page<Trace> page) {
    JsonArray data = new JsonArray();
    List<Trace> traces = page.items();
    traces.forEach(t -> data.add(t.toJson()));
    return new BusReply(BusReply.list(data, page.hasMore()), new DeliveryOptions().addHeader(Addresses.HEADER_VERSIONS,
      traces.stream().map(t -> Long.toString(t.version())).collect(Collectors.joining(","))));
  }

  /** The jobs of {@link Addresses#JOB_CLAIM}, each leased for {@code leaseMs}. */
  static BusReply claimed(List<JobStore.Claimed> claimed, long leaseMs) {
    JsonArray jobs = new JsonArray();
    for (JobStore.Claimed c : claimed) {
      Trace t = c.trace();
      jobs.add(new JsonObject().put("tenant", t.tenant()).put("id", t.id()).put("type", t.type())
        .put("attempt", c.attempt()).put("input", c.input()).put("data", t.data()).put("lease_ms", leaseMs));
    }
    return of(new JsonObject().put("jobs", jobs));
  }
}
