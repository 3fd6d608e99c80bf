package dev.forge.tasks.webhook;

import static dev.forge.tasks.bus.BusBodies.tenant;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.bus.BusBodies;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.VertxException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only owner of the webhook tables: endpoints (create, read, update, rotate, delete) and their
 * deliveries (list, retry) here; the senders' claims and results through its {@link DeliveryLedger}. Deliveries themselves are written by
 * the database's triggers, in the transaction of the task change that causes them (V4__webhooks.sql).
 * Secrets leave this verticle only in the reply to a create or a rotation, and in claims.
 */
public final class WebhookStoreVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookStoreVerticle.class);

  /** How long a rotated-out secret is still signed with, so that receivers can switch without a gap. */
  public static final long OVERLAP_MS = 24 * 3600_000L;

  /** What the store needs: the database, the destination rules, and the retry policy. */
  public record Settings(PgConnectOptions connect, int poolSize, Destinations destinations, long retryForMs,
                         long retryBaseMs) {
  }

  private final Settings settings;
  private Pool pool;
  private DeliveryLedger ledger;

  public WebhookStoreVerticle(Settings settings) {
    this.settings = settings;
  }

  @Override
  public Future<?> start() {
    pool = PgBuilder.pool()
      .with(new PoolOptions().setMaxSize(settings.poolSize()).setConnectionTimeout(3).setMaxWaitQueueSize(1024)
        .setName("webhooks-store"))
      .with(new NetClientOptions().setConnectTimeout(3000))
      .connectingTo(settings.connect())
      .using(vertx)
      .build();
    ledger = new DeliveryLedger(pool, settings.retryForMs(), settings.retryBaseMs());
    return Future.all(List.of(
      consume(Addresses.WEBHOOK_CREATE, this::create),
      consume(Addresses.WEBHOOK_LIST, this::list),
      consume(Addresses.WEBHOOK_GET, this::get),
      consume(Addresses.WEBHOOK_UPDATE, this::update),
      consume(Addresses.WEBHOOK_DELETE, this::delete),
      consume(Addresses.WEBHOOK_DELIVERIES, this::deliveries),
      consume(Addresses.WEBHOOK_RETRY, this::retry),
      consume(Addresses.WEBHOOK_CLAIM, ledger::claim),
      consume(Addresses.WEBHOOK_RESULT, ledger::results)));
  }

  @Override
  public Future<?> stop() {
    return pool == null ? Future.succeededFuture() : pool.close();
  }

  private Future<JsonObject> create(JsonObject body) {
    WebhookRequests.onlyFields(body, WebhookRequests.CREATE_FIELDS);
    String id = "we_" + UUID.randomUUID().toString().replace("-", "");
    String secret = Signer.newSecret();
    Tuple args = Tuple.of(tenant(body), id, WebhookRequests.url(body, settings.destinations()),
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
    String url = body.getValue("url") == null ? null : WebhookRequests.url(body, settings.destinations());
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

  private Future<Void> consume(String address, Function<JsonObject, Future<JsonObject>> handler) {
    return vertx.eventBus().<Object>consumer(address, message -> {
      Future<JsonObject> result;
      try {
        result = handler.apply(BusBodies.body(message.body()));
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      result.onSuccess(message::reply).onFailure(err -> toApiError(err, address).failReply(message));
    }).completion();
  }

  /**
   * Our own refusals as they are; Postgres' statement timeout as 504; Postgres refusing or
   * unreachable as 503 with a one-line warning; anything else as 503, logged with its stack.
   */
  private static ApiError toApiError(Throwable failure, String address) {
    if (failure instanceof ApiException api) {
      return api.error();
    }
    if (failure instanceof PgException pg) {
      if ("57014".equals(pg.getSqlState())) {
        return ApiError.storeTimeout();
      }
      LOG.warn("Webhooks store: {} refused by Postgres (SQLSTATE {})", address, pg.getSqlState());
      return ApiError.storeUnavailable();
    }
    if (failure instanceof IOException || failure instanceof TimeoutException || failure.getClass() == VertxException.class) {
      LOG.warn("Webhooks store: {} failed, Postgres unreachable or the pool closed", address);
      return ApiError.storeUnavailable();
    }
    LOG.error("Webhooks store: {} failed", address, failure);
    return ApiError.storeUnavailable();
  }
}
