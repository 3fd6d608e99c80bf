package dev.forge.tasks.webhook;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.bus.BusBodies;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** The fields of webhook requests, validated once: 400 {@code invalid_parameter} naming the field. */
final class WebhookRequests {

  /** The events an endpoint may subscribe to. */
  static final Set<String> EVENTS = Set.of("task.completed", "task.failed", "task.cancelled", "task.updated");
  static final Set<String> CREATE_FIELDS = Set.of("tenant", "url", "events", "types", "description");
  static final Set<String> UPDATE_FIELDS = Set.of("tenant", "id", "url", "events", "types", "description", "disabled",
    "rotate_secret");

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_]{1,64}");
  private static final int MAX_URL = 2048;
  private static final int MAX_DESCRIPTION = 512;
  private static final int MAX_TYPES = 100;

  private WebhookRequests() {
  }

  static void onlyFields(JsonObject body, Set<String> known) {
    for (String field : body.fieldNames()) {
      if (!known.contains(field)) {
        throw BusBodies.invalid(field, "Unknown field '" + ApiError.printable(field) + "'.");
      }
    }
  }

  /** An endpoint id; one that cannot exist is not found. */
  static String endpointId(Object id) {
    if (!(id instanceof String s) || !ID.matcher(s).matches()) {
      throw new ApiException(notFound(String.valueOf(id)));
    }
    return s;
  }

  static ApiError notFound(String id) {
    return new ApiError(404, "webhook_not_found", "No webhook endpoint with id '" + ApiError.printable(id) + "'.", null);
  }

  static ApiError deliveryNotFound(String id) {
    return new ApiError(404, "delivery_not_found", "No delivery with id '" + ApiError.printable(id) + "'.", null);
  }

  static String url(JsonObject body, Destinations destinations) {
    String url = BusBodies.string(body, "url");
    if (url.length() > MAX_URL) {
      throw BusBodies.invalid("url", "The url is longer than " + MAX_URL + " characters.");
    }
    destinations.check(url);
    return url;
  }

  static String[] events(JsonObject body) {
    Object v = body.getValue("events");
    if (!(v instanceof JsonArray a) || a.isEmpty()) {
      throw BusBodies.invalid("events", "'events' must be a non-empty array of " + EVENTS + ".");
    }
    Set<String> out = new LinkedHashSet<>();
    for (Object e : a) {
      if (!(e instanceof String s) || !EVENTS.contains(s)) {
        throw BusBodies.invalid("events", "Unknown event '" + ApiError.printable(String.valueOf(e)) + "'; use " + EVENTS + ".");
      }
      out.add(s);
    }
    return out.toArray(String[]::new);
  }

  /** Task types, or null (every type) when absent or null. */
  static String[] types(JsonObject body) {
    Object v = body.getValue("types");
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonArray a) || a.isEmpty() || a.size() > MAX_TYPES) {
      throw BusBodies.invalid("types", "'types' must be null or an array of 1 to " + MAX_TYPES + " task types.");
    }
    List<String> out = new ArrayList<>();
    for (Object t : a) {
      if (!(t instanceof String s) || s.isEmpty() || s.length() > 128) {
        throw BusBodies.invalid("types", "Each of 'types' must be a task type.");
      }
      out.add(s);
    }
    return out.toArray(String[]::new);
  }

  static String description(JsonObject body) {
    String d = BusBodies.optString(body, "description");
    if (d != null && d.length() > MAX_DESCRIPTION) {
      throw BusBodies.invalid("description", "The description is longer than " + MAX_DESCRIPTION + " characters.");
    }
    return d;
  }

  static Boolean optBool(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null || v instanceof Boolean) {
      return (Boolean) v;
    }
    throw BusBodies.invalid(key, "'" + key + "' must be true or false.");
  }
}
