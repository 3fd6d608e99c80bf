package dev.forge.tasks.api;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one mapping from a failure to an HTTP reply. Nothing else invents a status code. */
final class HttpErrors {

  private static final Logger LOG = LoggerFactory.getLogger(HttpErrors.class);

  private HttpErrors() {
  }

  /** Whatever failed, the client gets the JSON error of API.md and never a stack trace. */
  static void send(RoutingContext ctx, Throwable failure) {
    ApiError error = failure instanceof ApiException api ? api.error() : ApiError.fromThrowable(failure);
    if (error == null) {
      String ref = UUID.randomUUID().toString();
      LOG.error("{} {} failed, reference {}", ctx.request().method(), ctx.request().path(), ref, failure);
      error = ApiError.internal(ref);
    }
    send(ctx, error);
  }

  static void send(RoutingContext ctx, ApiError error) {
    HttpServerResponse response = ctx.response();
    if (response.headWritten()) {
      response.reset();
      return;
    }
    response.setStatusCode(error.status()).putHeader(HttpHeaders.CONTENT_TYPE, ApiHeaders.JSON);
    if (error.status() == 503) {
      response.putHeader(HttpHeaders.RETRY_AFTER, "2");
    }
    response.end(error.toResponseJson().toBuffer());
  }

  static ApiError routeNotFound(RoutingContext ctx) {
    return new ApiError(404, "route_not_found",
      "No route for " + ctx.request().method() + " " + ApiError.printable(ctx.request().path()) + ".", null);
  }

  static ApiError methodNotAllowed(RoutingContext ctx, String allow) {
    return new ApiError(405, "method_not_allowed",
      "Method " + ctx.request().method() + " is not allowed here; use " + allow + ".", null);
  }

  static ApiError bodyTooLarge(long limit) {
    return new ApiError(413, "body_too_large", "The request body is larger than " + limit + " bytes.", null);
  }

  static ApiError unsupportedMediaType() {
    return new ApiError(415, "unsupported_media_type", "The request body must be sent as application/json.", null);
  }

  static ApiError tooManyWaiters() {
    return new ApiError(503, "too_many_waiters",
      "This node holds as many waiting requests and event streams as it is configured for; retry shortly.", null);
  }

  static ApiError invalidApiKey() {
    return new ApiError(401, "invalid_api_key", "Missing or invalid API key; send Authorization: Bearer <key>.", null);
  }
}
