package dev.forge.tasks.webhook;

import static dev.forge.tasks.bus.BusBodies.tenant;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.bus.BusBodies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The endpoint API's side of the webhook tables, for {@link WebhookStoreVerticle}: endpoints
 * (create, read, update, rotate, delete) and their deliveries (list, retry). Secrets leave it only
 * in the reply to a create or a rotation. Creating, changing or deleting an endpoint also switches
 * the tasks table's task.updated triggers on or off in the same transaction (V8__webhook_trigger_switch.sql,
 * V10; endings need none: {@link Outbox}).
 */
final class WebhookEndpoints {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookEndpoints.class);

  /** How long a rotated-out secret is still signed with, so that receivers can switch without a gap. */
  static final long OVERLAP_MS = 24 * 3600_000L;

  private final Pool pool;
  private final Destinations destinations;
  private final DeliveryLedger ledger;

  WebhookEndpoints(Pool pool, Destinations destinations, DeliveryLedger ledger) {
    this.pool = pool;
    this.destinations = destinations;
    this.ledger = ledger;
  }

  /** The addresses it answers: the endpoint API's. */
  Map<String, Function<JsonObject, Future<JsonObject>>> handlers() {
    return Map.of(Addresses.WEBHOOK_CREATE, this::create, Addresses.WEBHOOK_LIST, this::list,
      Addresses.WEBHOOK_GET, this::get, Addresses.WEBHOOK_UPDATE, this::update, Addresses.WEBHOOK_DELETE, this::delete,
      Addresses.WEBHOOK_DELIVERIES, this::deliveries, Addresses.WEBHOOK_RETRY, this::retry);
  }

  private Future<JsonObject> create(JsonObject body) {
    WebhookRequests.onlyFields(body, WebhookRequests.CREATE_FIELDS);
    String id = "we_" + UUID.randomUUID().toString().replace("-", "");
    String secret = Signer.newSecret();
    Tuple args = Tuple.of(tenant(body), id, WebhookRequests.url(body, destinations),
      WebhookRequests.events(body), WebhookRequests.types(body), WebhookRequests.description(body), secret);
    return pool.preparedQuery(WebhookSql.INSERT).execute(args).map(rows -> {
      LOG.info("Webhook endpoint {} of tenant {} created", id, ApiError.printable(tenant(body)));
      return WebhookRows.endpoint(rows.iterator().next()).put("secret", secret);
    });
  }

  private Future<JsonObject> list(JsonObject body) {
    return pool.preparedQuery(WebhookSql.LIST).execute(Tuple.of(tenant(body))).map(rows -> {
      JsonArray data = new JsonArray();
      rows.forEach(row -> data.add(WebhookRows.endpoint(row)));
      return new JsonObject().put("object", "list").put("data", data).put("has_more", false);
    });
  }

  private Future<JsonObject> get(JsonObject body) {
    String id = WebhookRequests.endpointId(body.getValue("id"));
    return pool.preparedQuery(WebhookSql.GET).execute(Tuple.of(tenant(body), id)).map(rows -> endpoint(rows, id));
  }

  private Future<JsonObject> update(JsonObject body) {
    WebhookRequests.onlyFields(body, WebhookRequests.UPDATE_FIELDS);
    String tenant = tenant(body);
    String id = WebhookRequests.endpointId(body.getValue("id"));
    String url = body.getValue("url") == null ? null : WebhookRequests.url(body, destinations);
    String[] events = body.getValue("events") == null ? null : WebhookRequests.events(body);
    Boolean disabled = WebhookRequests.optBool(body, "disabled");
    boolean rotate = Boolean.TRUE.equals(WebhookRequests.optBool(body, "rotate_secret"));
    String secret = rotate ? Signer.newSecret() : null;
    Tuple args = Tuple.tuple().addString(tenant).addString(id).addString(url).addArrayOfString(events)
      .addArrayOfString(WebhookRequests.types(body)).addBoolean(body.containsKey("types"))
      .addString(WebhookRequests.description(body)).addBoolean(body.containsKey("description"))
      .addValue(disabled == null ? null : !disabled).addString(secret).addLong(OVERLAP_MS);
    return pool.preparedQuery(WebhookSql.UPDATE).execute(args).compose(rows -> {
      JsonObject endpoint = endpoint(rows, id);
      if (rotate) {
        LOG.info("Webhook endpoint {}: secret rotated, the old one signs too for {} ms", id, OVERLAP_MS);
        endpoint.put("secret", secret);
      }
      return Boolean.TRUE.equals(disabled) ? ledger.failPending(tenant, id, "The endpoint was disabled.").map(endpoint)
        : Future.succeededFuture(endpoint);
    });
  }

  private Future<JsonObject> delete(JsonObject body) {
    String id = WebhookRequests.endpointId(body.getValue("id"));
    return pool.preparedQuery(WebhookSql.DELETE).execute(Tuple.of(tenant(body), id)).map(rows -> {
      if (rows.rowCount() == 0) {
        throw new ApiException(WebhookRequests.notFound(id));
      }
      return new JsonObject().put("id", id).put("object", "webhook_endpoint.deleted").put("deleted", true);
    });
  }

  private Future<JsonObject> deliveries(JsonObject body) {
    String tenant = tenant(body);
    String id = WebhookRequests.endpointId(body.getValue("id"));
    int limit = BusBodies.integer(body, "limit", 1, 100, 20);
    String before = BusBodies.optString(body, "before");
    Future<Long> bound = before == null ? Future.succeededFuture(null)
      : pool.preparedQuery(WebhookSql.SEQ_OF).execute(Tuple.of(tenant, id, before)).map(rows -> {
        if (rows.size() == 0) {
          throw BusBodies.invalid("before", "No delivery '" + ApiError.printable(before) + "' of this endpoint.");
        }
        return rows.iterator().next().getLong("seq");
      });
    return get(body).compose(endpoint -> bound)
      .compose(seq -> pool.preparedQuery(WebhookSql.DELIVERIES).execute(Tuple.of(tenant, id, seq, limit + 1)))
      .map(rows -> {
        JsonArray data = new JsonArray();
        for (Row row : rows) {
          if (data.size() < limit) {
            data.add(WebhookRows.delivery(row));
          }
        }
        return new JsonObject().put("object", "list").put("data", data).put("has_more", rows.size() > limit);
      });
  }

  private Future<JsonObject> retry(JsonObject body) {
    String tenant = tenant(body);
    String id = WebhookRequests.endpointId(body.getValue("id"));
    String delivery = BusBodies.string(body, "delivery");
    return get(body).compose(endpoint -> {
      if (!"enabled".equals(endpoint.getString("status"))) {
        throw new ApiException(ApiError.conflict("webhook_disabled", "Webhook endpoint '" + id
          + "' is disabled; enable it first."));
      }
      return pool.preparedQuery(WebhookSql.RETRY).execute(Tuple.of(tenant, id, delivery));
    }).map(rows -> {
      if (rows.size() == 0) {
        throw new ApiException(WebhookRequests.deliveryNotFound(delivery));
      }
      return WebhookRows.delivery(rows.iterator().next());
    });
  }

  private static JsonObject endpoint(RowSet<Row> rows, String id) {
    if (rows.size() == 0) {
      throw new ApiException(WebhookRequests.notFound(id));
    }
    return WebhookRows.endpoint(rows.iterator().next());
  }
}
