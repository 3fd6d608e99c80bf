package dev.forge.tasks.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The routes that need no API key: the dashboard's static files (bundled in the jar under
 * {@code webroot/dashboard}, plain ES modules, nothing fetched from elsewhere), {@code /} and
 * {@code /dashboard} redirecting to it, and the OpenAPI document at {@code /openapi.json}. The
 * page asks the user for a key and sends it on its own API calls.
 */
final class DashboardRoutes {

  /** Only this server's own files: scripts, styles and API calls from the same origin, no inline script. */
  private static final String CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

  private DashboardRoutes() {
  }

  /** {@code authRequired}: API keys are configured, so the page must ask for one. */
  static void mount(Router router, boolean authRequired) {
    Buffer config = new JsonObject().put("auth_required", authRequired).toBuffer();
    router.get("/dashboard/config.json").handler(ctx -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, ApiHeaders.JSON)
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store").end(config));
    router.get("/").handler(ctx -> redirect(ctx, "/dashboard/"));
    router.get("/dashboard").handler(ctx -> {
      // The route also matches "/dashboard/" (Vert.x ignores a trailing slash): redirect only the bare path.
      if (ctx.request().path().equals("/dashboard")) {
        redirect(ctx, "/dashboard/");
      } else {
        ctx.next();
      }
    });
    router.get("/dashboard/*").handler(ctx -> {
      ctx.response().putHeader(ApiHeaders.CONTENT_SECURITY_POLICY, CSP).putHeader(ApiHeaders.X_CONTENT_TYPE_OPTIONS, "nosniff")
        .putHeader(ApiHeaders.REFERRER_POLICY, "no-referrer");
      ctx.next();
    }).handler(StaticHandler.create("webroot/dashboard").setCachingEnabled(false).setDirectoryListing(false));
    router.get("/openapi.json").handler(ctx -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, ApiHeaders.JSON)
      .sendFile("webroot/openapi.json"));
  }

  private static void redirect(RoutingContext ctx, String location) {
    ctx.response().setStatusCode(302).putHeader(HttpHeaders.LOCATION, location).end();
  }
}
