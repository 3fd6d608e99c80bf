package dev.forge.tasks.bus;

import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * A failure that a client may see: the HTTP status, the stable {@code code} of API.md and a
 * human-readable message that never holds a stack trace, SQL or an internal host name.
 *
 * <p>On the event bus an {@code ApiError} travels as a {@link ReplyException} whose failure code is
 * {@link #status()} and whose message is the JSON object
 * {@code {"code": ..., "message": ..., "param": ...}}. {@link #fromThrowable(Throwable)} reads it
 * back, and turns bus timeouts and missing handlers into {@code store_timeout} and
 * {@code store_unavailable}.
 */
public record ApiError(int status, String code, String message, String param) {

  public static ApiError taskNotFound(String id) {
    return new ApiError(404, "task_not_found", "No task with id '" + printable(id) + "'.", null);
  }

  public static ApiError invalidParameter(String param, String message) {
    return new ApiError(400, "invalid_parameter", message, param);
  }

  public static ApiError invalidJson(String message) {
    return new ApiError(400, "invalid_json", message, null);
  }

  public static ApiError unknownType(String type) {
    return new ApiError(400, "unknown_task_type", "Unknown task type '" + printable(type) + "'.", "type");
  }

  public static ApiError conflict(String code, String message) {
    return new ApiError(409, code, message, null);
  }

  public static ApiError storeUnavailable() {
    return new ApiError(503, "store_unavailable", "The task store is unavailable; retry shortly.", null);
  }

  public static ApiError storeTimeout() {
    return new ApiError(504, "store_timeout", "The task store did not answer in time; retry shortly.", null);
  }

  public static ApiError internal(String correlationId) {
    return new ApiError(500, "internal_error",
      "Internal error (reference " + correlationId + "); it has been logged.", null);
  }

  /** The OpenAI error {@code type} that goes with the HTTP status. */
  public String type() {
    return switch (status) {
      case 400, 405, 413, 415 -> "invalid_request_error";
      case 401 -> "authentication_error";
      case 404 -> "not_found_error";
      case 409 -> "conflict_error";
      case 503 -> "service_unavailable_error";
      case 504 -> "timeout_error";
      default -> "server_error";
    };
  }

  /** The body that REST clients get: {@code {"error": {message, type, param, code}}}. */
  public JsonObject toResponseJson() {
    return new JsonObject().put("error", new JsonObject()
      .put("message", message)
      .put("type", type())
      .put("param", param)
      .put("code", code));
  }

  /** Answers a bus request with this error. */
  public void failReply(Message<?> message) {
    message.fail(status, new JsonObject().put("code", code).put("message", this.message).put("param", param).encode());
  }

  /**
   * Reads an error back from a failed bus request; {@code null} when {@code t} is not one of ours
   * (the caller then treats it as an internal error).
   */
  public static ApiError fromThrowable(Throwable t) {
    if (!(t instanceof ReplyException re)) {
      return null;
    }
    return switch (re.failureType()) {
      case TIMEOUT -> storeTimeout();
      case NO_HANDLERS -> storeUnavailable();
      default -> parse(re);
    };
  }

  private static ApiError parse(ReplyException re) {
    String text = re.getMessage();
    if (text == null || !text.startsWith("{")) {
      return null;
    }
    try {
      JsonObject json = new JsonObject(text);
      String code = json.getString("code");
      return code == null ? null : new ApiError(re.failureCode(), code, json.getString("message"), json.getString("param"));
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }

  /** Shortens and strips control characters, so that an echoed id cannot forge log or body lines. */
  public static String printable(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder(Math.min(s.length(), 64));
    for (int i = 0; i < s.length() && b.length() < 64; i++) {
      char c = s.charAt(i);
      b.append(Character.isISOControl(c) ? '?' : c);
    }
    if (s.length() > 64) {
      b.append("...");
    }
    return b.toString();
  }
}
