package dev.forge.tasks.api;

import io.vertx.core.http.HttpHeaders;

/** The header names and media types of API.md that {@link HttpHeaders} does not name. */
final class ApiHeaders {

  private ApiHeaders() {
  }

  /** How long a client should wait before it polls a task again (absent on terminal states). */
  static final String POLL_AFTER_MS = "Poll-After-Ms";
  /** The last event id an SSE client has seen, sent when it reconnects. */
  static final String LAST_EVENT_ID = "Last-Event-ID";
  /** Tells nginx-style proxies not to buffer an event stream. */
  static final String X_ACCEL_BUFFERING = "X-Accel-Buffering";
  /** How to authenticate, on a 401 (RFC 9110; Netty's names have it, Vert.x' do not). */
  static final String WWW_AUTHENTICATE = "WWW-Authenticate";
  /** Where the dashboard may load scripts, styles and data from. */
  static final String CONTENT_SECURITY_POLICY = "Content-Security-Policy";
  /** {@code nosniff}: browsers must trust our Content-Type, never guess one. */
  static final String X_CONTENT_TYPE_OPTIONS = "X-Content-Type-Options";
  /** How much of the page's URL a browser may send on to others. */
  static final String REFERRER_POLICY = "Referrer-Policy";

  static final String JSON = "application/json";
  static final String EVENT_STREAM = "text/event-stream; charset=utf-8";
}
