package dev.forge.tasks.vector;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.core.json.JsonObject;

/**
 * {@code expires_after}: {@code {"anchor": "last_active_at", "days": 1..365}}, as OpenAI's vector
 * stores take it. A store with one expires {@code days} after it was last active (created,
 * modified, searched): from then on its {@code status} is {@code "expired"} and a search of it is
 * refused (409 {@code vector_store_expired}) until a modify makes it active again. The store object
 * says when: {@code expires_at} (epoch seconds, null without a policy) and {@code last_active_at}.
 */
final class Expiry {

  static final String ANCHOR = "last_active_at";
  static final int MAX_DAYS = 365;
  /** A search raises {@code last_active_at} only when it is older than this: not one write per search. */
  static final long TOUCH_AFTER_SECONDS = 60;

  private Expiry() {
  }

  /** The policy of a request, checked: null when none was given. */
  static JsonObject policy(JsonObject body) {
    Object given = body.getValue("expires_after");
    if (given == null) {
      return null;
    }
    if (given instanceof JsonObject p && ANCHOR.equals(p.getValue("anchor")) && p.getValue("days") instanceof Number n
      && n.doubleValue() == Math.rint(n.doubleValue()) && n.longValue() >= 1 && n.longValue() <= MAX_DAYS
      && p.size() == 2) {
      return new JsonObject().put("anchor", ANCHOR).put("days", n.intValue());
    }
    throw new ApiException(ApiError.invalidParameter("expires_after",
      "'expires_after' must be {\"anchor\": \"last_active_at\", \"days\": n} with n from 1 to " + MAX_DAYS + "."));
  }

  static ApiError expired(String id) {
    return ApiError.conflict("vector_store_expired", "The vector store '" + ApiError.printable(id)
      + "' has expired (see its expires_after); modify it to make it active again.");
  }
}
