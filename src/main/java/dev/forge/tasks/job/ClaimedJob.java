package dev.forge.tasks.job;

import io.vertx.core.json.JsonObject;

/**
 * One job of a {@code tasks.job.claim} reply: the attempt a {@link RunningJob} runs and reports on.
 *
 * @param input the task's {@code input} ({@code {}} when none)
 * @param leaseMs how long the lease holds without a report
 */
record ClaimedJob(String tenant, String taskId, int attempt, JsonObject input, long leaseMs) {

  static ClaimedJob from(JsonObject job) {
    JsonObject input = job.getJsonObject("input");
    return new ClaimedJob(job.getString("tenant"), job.getString("id"), job.getInteger("attempt"),
      input == null ? new JsonObject() : input, job.getLong("lease_ms", 30_000L));
  }

  /** What names the attempt in every report: {@code {tenant, id, attempt}}, a new object each call. */
  JsonObject key() {
    return new JsonObject().put("tenant", tenant).put("id", taskId).put("attempt", attempt);
  }
}
