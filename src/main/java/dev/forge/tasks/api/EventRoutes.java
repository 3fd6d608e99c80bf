package dev.forge.tasks.api;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The tenant-wide routes: {@code GET /v1/events} (see {@link TenantEventStream}),
 * {@code POST /v1/events/tickets} and {@code GET /v1/task_counts}.
 *
 * <p>Tickets: a browser's {@code EventSource} cannot send an {@code Authorization} header, and an
 * API key in a URL would end up in access logs and browser history. So a client holding a key asks
 * {@code POST /v1/events/tickets} (with the key) for a ticket: 32 random bytes, valid for
 * {@link #TICKET_TTL_MS} and for one stream only, kept in a cluster-wide map (Hazelcast when
 * clustered) so that any node redeems it. {@code GET /v1/events?ticket=...} then needs no header;
 * the ticket in the log is spent by the time anyone reads it.
 */
final class EventRoutes {

  /** The shared-data map of unredeemed tickets (ticket → tenant). Not an event-bus address. */
  static final String TICKETS_MAP = "tasks.events.tickets";
  static final long TICKET_TTL_MS = 60_000;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Vertx vertx;
  private final DeliveryOptions busOptions;
  private final TenantEventStream.Feed feed;

  EventRoutes(Vertx vertx, Watchers watchers, long busTimeoutMs, long keepAliveMs) {
    this.vertx = vertx;
    this.busOptions = new DeliveryOptions().setSendTimeout(busTimeoutMs);
    // Postgres' statement_timeout is busTimeoutMs - 500: no write takes longer to commit than this.
    long replayWindowMs = busTimeoutMs + 1000;
    this.feed = new TenantEventStream.Feed(vertx, new TenantWatchers(vertx, watchers), keepAliveMs, replayWindowMs,
      query -> vertx.eventBus().<JsonObject>request(Addresses.EVENTS_REPLAY, query, busOptions).map(m -> m.body()));
  }

  /** The handler that must run before authentication: a valid ticket names the tenant instead of a key. */
  void mountBeforeAuth(Router router) {
    router.get("/v1/events").handler(this::redeem);
  }

  /** The routes themselves, after authentication. */
  void mount(Router router) {
    router.get("/v1/events").handler(this::events);
    router.post("/v1/events/tickets").handler(this::issue);
    router.get("/v1/task_counts").handler(this::counts);
  }

  private Future<AsyncMap<String, String>> tickets() {
    return vertx.sharedData().getAsyncMap(TICKETS_MAP);
  }

  private void issue(RoutingContext ctx) {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    String ticket = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    String tenant = ctx.get(TaskRoutes.TENANT);
    tickets().compose(map -> map.put(ticket, tenant, TICKET_TTL_MS)).onComplete(done -> {
      if (done.failed()) {
        HttpErrors.send(ctx, done.cause());
        return;
      }
      long expires = (System.currentTimeMillis() + TICKET_TTL_MS) / 1000;
      ctx.response().setStatusCode(201).putHeader(HttpHeaders.CONTENT_TYPE, ApiHeaders.JSON).putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(new JsonObject().put("object", "event_ticket").put("ticket", ticket).put("expires_at", expires).toBuffer());
    });
  }

  /** With {@code ?ticket=}, spends the ticket and names its tenant; without, authentication decides. */
  private void redeem(RoutingContext ctx) {
    String ticket;
    try {
      ticket = QueryParams.single(ctx.queryParams(), "ticket");
    } catch (ApiException e) {
      HttpErrors.send(ctx, e.error());
      return;
    }
    if (ticket == null) {
      ctx.next();
      return;
    }
    if (ticket.isEmpty() || ticket.length() > 64) {
      refuse(ctx);
      return;
    }
    tickets().compose(map -> map.remove(ticket)).onComplete(done -> {
      if (done.failed()) {
        HttpErrors.send(ctx, done.cause());
      } else if (done.result() == null) {
        refuse(ctx);
      } else {
        ctx.put(TaskRoutes.TENANT, done.result());
        ctx.next();
      }
    });
  }

  private static void refuse(RoutingContext ctx) {
    HttpErrors.send(ctx, new ApiError(401, "invalid_api_key",
      "The event-stream ticket is unknown, expired or already used; ask POST /v1/events/tickets for a new one.", null));
  }

  private void events(RoutingContext ctx) {
    TenantEventStream.Filter filter;
    String lastEventId = ctx.request().getHeader(ApiHeaders.LAST_EVENT_ID);
    try {
      // The list's status and type filters, with the list's rules; its paging parameters mean nothing here.
      MultiMap only = MultiMap.caseInsensitiveMultiMap();
      only.add("status", ctx.queryParams().getAll("status")).add("type", ctx.queryParams().getAll("type"));
      filter = TenantEventStream.Filter.of(QueryParams.listQuery(only));
      String fromQuery = QueryParams.single(ctx.queryParams(), "last_event_id");
      if (lastEventId == null) {
        lastEventId = fromQuery;
      }
    } catch (ApiException e) {
      HttpErrors.send(ctx, e.error());
      return;
    }
    new TenantEventStream(feed, ctx, filter).start(lastEventId);
  }

  private void counts(RoutingContext ctx) {
    String type;
    try {
      type = QueryParams.single(ctx.queryParams(), "type");
      if (type != null && (type.isEmpty() || type.length() > 128)) {
        throw new ApiException(ApiError.invalidParameter("type", "'type' must be a task type."));
      }
    } catch (ApiException e) {
      HttpErrors.send(ctx, e.error());
      return;
    }
    vertx.eventBus().<JsonObject>request(Addresses.COUNTS, new JsonObject().put("tenant", (String) ctx.get(TaskRoutes.TENANT))
        .put("type", type), busOptions)
      .onComplete(done -> {
        if (done.failed()) {
          HttpErrors.send(ctx, done.cause());
        } else {
          ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, ApiHeaders.JSON).end(done.result().body().toBuffer());
        }
      });
  }
}
