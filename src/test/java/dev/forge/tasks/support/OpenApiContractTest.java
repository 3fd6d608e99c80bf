package dev.forge.tasks.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The contract checker itself: it accepts what the document describes and catches what it does not. */
class OpenApiContractTest {

  private static final OpenApiContract CONTRACT = OpenApiContract.get();
  private static final JsonObject TRACE = new JsonObject().put("id", "task_1").put("object", "task").put("type", "sleep")
    .put("status", "pending").put("progress", 0.0).put("data", new JsonObject().put("operation", "sleep"))
    .put("created_at", 1).put("updated_at", 1).putNull("failure_reason");

  private static MultiMap json() {
    return MultiMap.caseInsensitiveMultiMap().add("Content-Type", "application/json");
  }

  private static MultiMap traceHeaders() {
    return json().add("ETag", "\"1-1\"");
  }

  @Test
  void aDescribedExchangeAgrees() {
    assertEquals(List.of(), CONTRACT.exchange(HttpMethod.GET, "/v1/tasks/task_1?wait=5", MultiMap.caseInsensitiveMultiMap(), null,
      200, traceHeaders(), TRACE.toBuffer()));
    assertEquals(List.of(), CONTRACT.exchange(HttpMethod.POST, "/v1/tasks", json(),
      new JsonObject().put("type", "sleep").toBuffer(), 202, traceHeaders().add("Location", "/v1/tasks/task_1"), TRACE.toBuffer()));
  }

  @Test
  void aResponseAgainstTheSchemaOrAnUndescribedStatusIsCaught() {
    JsonObject missing = TRACE.copy();
    missing.remove("failure_reason");
    assertFalse(CONTRACT.exchange(HttpMethod.GET, "/v1/tasks/task_1", MultiMap.caseInsensitiveMultiMap(), null,
      200, traceHeaders(), missing.toBuffer()).isEmpty());
    assertFalse(CONTRACT.exchange(HttpMethod.GET, "/v1/tasks/task_1", MultiMap.caseInsensitiveMultiMap(), null,
      418, json(), Buffer.buffer("{}")).isEmpty());
    assertFalse(CONTRACT.exchange(HttpMethod.GET, "/v1/tasks/task_1", MultiMap.caseInsensitiveMultiMap(), null,
      200, json(), TRACE.toBuffer()).isEmpty(), "the ETag header is required");
  }

  @Test
  void aRequestTheDocumentRefusesMustBeRefused() {
    List<String> accepted = CONTRACT.exchange(HttpMethod.GET, "/v1/tasks?limit=500", MultiMap.caseInsensitiveMultiMap(), null,
      200, json(), new JsonObject().put("object", "list").put("data", List.of()).putNull("first_id").putNull("last_id")
        .put("has_more", false).toBuffer());
    assertTrue(accepted.toString().contains("does not allow"), accepted.toString());
    Buffer error = new JsonObject().put("error", new JsonObject().put("message", "m").put("type", "invalid_request_error")
      .putNull("param").put("code", "invalid_parameter")).toBuffer();
    assertEquals(List.of(), CONTRACT.exchange(HttpMethod.GET, "/v1/tasks?limit=500", MultiMap.caseInsensitiveMultiMap(), null,
      400, json(), error));
    assertFalse(CONTRACT.exchange(HttpMethod.GET, "/v1/tasks?colour=red", MultiMap.caseInsensitiveMultiMap(), null,
      200, json(), Buffer.buffer("{}")).isEmpty(), "an undeclared parameter");
    assertFalse(CONTRACT.exchange(HttpMethod.GET, "/nowhere", MultiMap.caseInsensitiveMultiMap(), null,
      200, json(), Buffer.buffer("{}")).isEmpty(), "an unknown path");
  }
}
