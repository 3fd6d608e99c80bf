package dev.forge.tasks.api;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;

/** Strict parsing of query-string values: out of range or malformed is refused, never clamped. */
final class QueryParams {

  private QueryParams() {
  }

  static int integer(String name, String value, int min, int max) {
    if (value.length() > 0 && value.length() <= 10 && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      long n = Long.parseLong(value);
      if (n >= min && n <= max) {
        return (int) n;
      }
    }
    throw new ApiException(ApiError.invalidParameter(name,
      "'" + name + "' must be a whole number from " + min + " to " + max + "."));
  }
}
