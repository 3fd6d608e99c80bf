package dev.forge.tasks.api;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.OpenApiContract;
import dev.forge.tasks.support.TestNodes;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The OpenAPI document and the server's {@code Router} describe the same routes: a route the
 * document lacks (or an operation no route serves) fails here.
 */
@ExtendWith(VertxExtension.class)
class OpenApiRoutesTest {

  @Test
  void everyRouteOfTheRouterIsInTheDocumentAndEveryOperationHasARoute(Vertx vertx) throws Exception {
    // Every optional route on: metrics and the benchmark route.
    HttpVerticle http = new HttpVerticle(new HttpVerticle.Settings("127.0.0.1", TestNodes.freePort(), 1024, 1000,
      Map.of(), 10, 15_000, true, 1024), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), null);
    await(vertx.deployVerticle(http));
    JsonObject paths = OpenApiContract.get().document().getJsonObject("paths");

    Set<String> routes = new TreeSet<>();
    List<String> wildcards = new ArrayList<>();
    for (String route : http.routes()) {
      String[] parts = route.split(" ", 2);
      String path = parts[1].replaceAll(":[^/]+", "{}");
      if (route.endsWith("*")) {
        wildcards.add(parts[0] + " " + path.substring(0, path.length() - 1));
        path = path.substring(0, path.length() - 1) + "{}";
      }
      routes.add(parts[0] + " " + path);
    }
    Set<String> documented = new TreeSet<>();
    for (String path : paths.fieldNames()) {
      for (String method : paths.getJsonObject(path).fieldNames()) {
        if (Set.of("get", "post", "put", "delete", "patch", "head", "options").contains(method)) {
          documented.add(method.toUpperCase(Locale.ROOT) + " " + path.replaceAll("\\{[^}]+}", "{}"));
        }
      }
    }
    Set<String> undocumented = new TreeSet<>(routes);
    undocumented.removeAll(documented);
    assertEquals(Set.of(), undocumented, "routes the OpenAPI document does not describe");
    Set<String> unserved = new TreeSet<>(documented);
    unserved.removeAll(routes);
    // A path served by a wildcard route (the dashboard's static files) counts as served.
    unserved.removeIf(op -> wildcards.stream().anyMatch(op::startsWith));
    assertEquals(Set.of(), unserved, "operations of the OpenAPI document that no route serves");
    assertTrue(routes.size() >= 15, routes.toString());
  }
}
