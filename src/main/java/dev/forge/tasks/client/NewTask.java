package dev.forge.tasks.client;

import io.vertx.core.json.JsonObject;

/**
 * What {@link TasksClient#create(NewTask)} sends: {@code NewTask.of("document_analysis").withInput(input)}.
 *
 * @param type the task type (one the nodes accept)
 * @param id your own id, or null for a server-made one; with an id, creating again returns the
 *           existing task, so that a create can be retried safely
 * @param input given to the job, never shown; may be null
 * @param data merged into the task's data at once; may be null
 * @param maxAttempts attempts before the task fails, or null for the server's default
 */
public record NewTask(String type, String id, JsonObject input, JsonObject data, Integer maxAttempts) {

  public static NewTask of(String type) {
    return new NewTask(type, null, null, null, null);
  }

  public NewTask withId(String id) {
    return new NewTask(type, id, input, data, maxAttempts);
  }

  public NewTask withInput(JsonObject input) {
    return new NewTask(type, id, input, data, maxAttempts);
  }

  public NewTask withData(JsonObject data) {
    return new NewTask(type, id, input, data, maxAttempts);
  }

  public NewTask withMaxAttempts(int maxAttempts) {
    return new NewTask(type, id, input, data, maxAttempts);
  }

  JsonObject toJson() {
    JsonObject body = new JsonObject().put("type", type);
    if (id != null) {
      body.put("id", id);
    }
    if (input != null) {
      body.put("input", input.copy());
    }
    if (data != null) {
      body.put("data", data.copy());
    }
    if (maxAttempts != null) {
      body.put("max_attempts", maxAttempts);
    }
    return body;
  }
}
