package dev.forge.tasks.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The body of {@link Addresses#JOB_CLAIM}, validated.
 *
 * @param types the task types to claim, each once
 * @param limit how many jobs at most, 1-100
 * @param worker who holds the leases
 */
public record ClaimRequest(List<String> types, int limit, String worker) {

  /** The most jobs one claim may take. */
  public static final int MAX_LIMIT = 100;

  /** Reads a {@code tasks.job.claim} body; 400 {@code invalid_parameter}, naming the field, when a value is wrong. */
  public static ClaimRequest from(JsonObject body) {
    if (!(body.getValue("types") instanceof JsonArray array) || array.isEmpty()) {
      throw BusBodies.invalid("types", "'types' must be a non-empty array of task types.");
    }
    List<String> types = new ArrayList<>();
    for (Object t : array) {
      if (!(t instanceof String s)) {
        throw BusBodies.invalid("types", "'types' must hold strings only.");
      }
      if (!types.contains(s)) {
        types.add(s);
      }
    }
    int limit = BusBodies.integer(body, "limit", 1, MAX_LIMIT, 1);
    return new ClaimRequest(List.copyOf(types), limit, BusBodies.string(body, "worker"));
  }
}
