package dev.forge.tasks.api;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A 405's {@code Allow} header, read from the router's own routes, so that it can never disagree
 * with what the routes answer.
 */
final class AllowedMethods {

  /** The order methods are listed in; any other comes after these, by name. */
  private static final List<HttpMethod> ORDER = List.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST,
    HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE, HttpMethod.OPTIONS);

  private AllowedMethods() {
  }

  /** The methods of {@code router}'s routes for {@code path}, such as {@code "GET, POST"}; GET when none. */
  static String of(Router router, String path) {
    String p = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    Set<HttpMethod> methods = new TreeSet<>(Comparator.comparingInt(AllowedMethods::rank).thenComparing(HttpMethod::name));
    for (Route route : router.getRoutes()) {
      // Routes for every method (authentication, body handlers, static files) say nothing of what is allowed.
      if (route.methods() != null && route.getPath() != null && matches(route, p)) {
        methods.addAll(route.methods());
      }
    }
    return methods.isEmpty() ? HttpMethod.GET.name() : methods.stream().map(HttpMethod::name).collect(Collectors.joining(", "));
  }

  /** Whether {@code path} is one {@code route} serves: its template, {@code :name} standing for one segment. */
  private static boolean matches(Route route, String path) {
    String template = route.getPath();
    if (!route.isExactPath()) {
      return path.startsWith(template);
    }
    String[] want = template.split("/", -1);
    String[] got = path.split("/", -1);
    if (want.length != got.length) {
      return false;
    }
    for (int i = 0; i < want.length; i++) {
      boolean param = want[i].startsWith(":") && !got[i].isEmpty();
      if (!param && !want[i].equals(got[i])) {
        return false;
      }
    }
    return true;
  }

  private static int rank(HttpMethod method) {
    int i = ORDER.indexOf(method);
    return i < 0 ? ORDER.size() : i;
  }
}
