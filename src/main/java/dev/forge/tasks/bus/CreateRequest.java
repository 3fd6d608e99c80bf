package dev.forge.tasks.bus;

import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * The body of {@link Addresses#CREATE} (without the tenant), validated: the store reads every body
 * with it, and the HTTP side refuses fields it does not know ({@link #FIELDS}).
 *
 * @param id the client's id, or a new server-made one when the body names none
 * @param data the Trace's initial data: {@code operation} (the type) and the body's {@code data}
 * @param input the job's input, or null
 * @param maxAttempts 1-100, or null for the store's default
 */
public record CreateRequest(String type, String id, JsonObject data, JsonObject input, Integer maxAttempts) {

  /** Every field a create body may hold besides {@code tenant}. */
  public static final Set<String> FIELDS = Set.of("type", "id", "input", "data", "max_attempts");

  /**
   * Reads a {@code tasks.create} body: 400 {@code unknown_task_type} when the type is not one of
   * {@code knownTypes}, 400 {@code invalid_parameter}, naming the field, when a value is wrong.
   */
  public static CreateRequest from(JsonObject body, Set<String> knownTypes) {
    String type = BusBodies.string(body, "type");
    if (!knownTypes.contains(type)) {
      throw new ApiException(ApiError.unknownType(type));
    }
    String id = body.getValue("id") == null ? TaskIds.newId() : BusBodies.string(body, "id");
    if (!TaskIds.isValid(id)) {
      throw BusBodies.invalid("id", "'id' must match ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$.");
    }
    JsonObject data = new JsonObject().put("operation", type);
    JsonObject extra = BusBodies.optObject(body, "data");
    if (extra != null) {
      extra.forEach(e -> {
        if (!e.getKey().equals("operation")) {
          data.put(e.getKey(), e.getValue());
        }
      });
    }
    JsonObject input = BusBodies.optObject(body, "input");
    Integer maxAttempts = body.getValue("max_attempts") == null ? null : BusBodies.integer(body, "max_attempts", 1, 100, 0);
    return new CreateRequest(type, id, data, input, maxAttempts);
  }
}
