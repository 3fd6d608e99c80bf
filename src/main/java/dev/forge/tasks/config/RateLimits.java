package dev.forge.tasks.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code TASKS_RATE_LIMIT} read: requests per second that one tenant may send to one node, as
 * {@code N} for every tenant and {@code tenant=N} for one (comma-separated, e.g. {@code 100,acme=500}).
 * A tenant with no rate of its own and no default is not limited.
 *
 * @param defaultPerSecond the rate of a tenant without an override; {@link #UNLIMITED} for none
 * @param overrides        rates by tenant name
 */
public record RateLimits(int defaultPerSecond, Map<String, Integer> overrides) {

  /** No limit: the value of {@link #defaultPerSecond()} and of {@link #perSecond(String)} for it. */
  public static final int UNLIMITED = 0;

  /** The highest rate accepted, so that a token is never shorter than a microsecond. */
  public static final int MAX_PER_SECOND = 1_000_000;

  /** No limit for anyone (the setting unset). */
  public static final RateLimits NONE = new RateLimits(UNLIMITED, Map.of());

  public RateLimits {
    overrides = Map.copyOf(overrides);
  }

  /**
   * Parses the setting; null or blank is {@link #NONE}. Throws {@link IllegalArgumentException}
   * with a message saying which entry is wrong and why ({@link ConfigLoader} adds the key and source).
   */
  public static RateLimits parse(String raw) {
    if (raw == null || raw.isBlank()) {
      return NONE;
    }
    int fallback = UNLIMITED;
    Map<String, Integer> byTenant = new LinkedHashMap<>();
    for (String part : raw.split(",", -1)) {
      String entry = part.trim();
      if (entry.isEmpty()) {
        throw new IllegalArgumentException("an entry is empty; write N or tenant=N, comma-separated");
      }
      int eq = entry.indexOf('=');
      if (eq < 0) {
        if (fallback != UNLIMITED) {
          throw new IllegalArgumentException("the rate for every tenant is given twice ('" + entry + "')");
        }
        fallback = rate(entry, entry);
        continue;
      }
      String tenant = entry.substring(0, eq).trim();
      if (tenant.isEmpty()) {
        throw new IllegalArgumentException("entry '" + entry + "' names no tenant; write tenant=N");
      }
      if (byTenant.put(tenant, rate(entry.substring(eq + 1).trim(), entry)) != null) {
        throw new IllegalArgumentException("tenant '" + tenant + "' is given twice");
      }
    }
    return new RateLimits(fallback, byTenant);
  }

  /** Requests per second for {@code tenant}, or {@link #UNLIMITED}. */
  public int perSecond(String tenant) {
    Integer own = overrides.get(tenant);
    return own != null ? own : defaultPerSecond;
  }

  /** True when at least one tenant is limited. */
  public boolean any() {
    return defaultPerSecond != UNLIMITED || !overrides.isEmpty();
  }

  private static int rate(String text, String entry) {
    try {
      int n = Integer.parseInt(text);
      if (n >= 1 && n <= MAX_PER_SECOND) {
        return n;
      }
    } catch (NumberFormatException e) {
      // Reported below with the entry that holds it.
    }
    throw new IllegalArgumentException("entry '" + entry + "': the rate must be a whole number of requests per second from 1 to "
      + MAX_PER_SECOND);
  }
}
