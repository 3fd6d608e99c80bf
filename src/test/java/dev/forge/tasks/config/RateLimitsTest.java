package dev.forge.tasks.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** TASKS_RATE_LIMIT: {@code N} for every tenant, {@code tenant=N} overrides; a bad entry stops start-up. */
class RateLimitsTest {

  @Test
  void aDefaultAndOverrides() {
    RateLimits r = RateLimits.parse(" 100, acme=500 ,beta = 7");
    assertEquals(100, r.perSecond("default"));
    assertEquals(500, r.perSecond("acme"));
    assertEquals(7, r.perSecond("beta"));
    assertTrue(r.any());
  }

  @Test
  void overridesAloneLeaveTheOtherTenantsUnlimited() {
    RateLimits r = RateLimits.parse("acme=5");
    assertEquals(5, r.perSecond("acme"));
    assertEquals(RateLimits.UNLIMITED, r.perSecond("other"));
  }

  @Test
  void unsetOrBlankIsNone() {
    assertSame(RateLimits.NONE, RateLimits.parse(null));
    assertSame(RateLimits.NONE, RateLimits.parse("  "));
    assertFalse(RateLimits.NONE.any());
  }

  @Test
  void badValuesStopStartUpNamingTheKeySourceAndEntry() {
    Map<String, String> cases = Map.of(
      "0", "entry '0': the rate must be a whole number of requests per second from 1 to 1000000",
      "100,acme=fast", "entry 'acme=fast': the rate must be a whole number of requests per second from 1 to 1000000",
      "100,200", "the rate for every tenant is given twice ('200')",
      "acme=1,acme=2", "tenant 'acme' is given twice",
      "=5", "entry '=5' names no tenant; write tenant=N",
      "100,,acme=5", "an entry is empty; write N or tenant=N, comma-separated",
      "2000000", "entry '2000000': the rate must be a whole number of requests per second from 1 to 1000000");
    cases.forEach((value, why) -> {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConfigLoader.load(new JsonObject(), Map.of("TASKS_RATE_LIMIT", value)), value);
      assertEquals("Invalid rateLimit = '" + value + "' from environment variable TASKS_RATE_LIMIT: " + why, e.getMessage());
    });
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
      () -> ConfigLoader.load(new JsonObject().put("rateLimit", "-3"), Map.of()));
    assertTrue(e.getMessage().startsWith("Invalid rateLimit = '-3' from config key 'rateLimit': "), e.getMessage());
    assertEquals("100,acme=500", ConfigLoader.load(new JsonObject(), Map.of("TASKS_RATE_LIMIT", "100,acme=500")).rateLimit());
  }
}
