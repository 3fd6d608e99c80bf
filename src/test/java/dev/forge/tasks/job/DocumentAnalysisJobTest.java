package dev.forge.tasks.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/** {@code document_analysis}: input validation (fatal failures with a clear reason) and what a run reports. */
class DocumentAnalysisJobTest {

  /** A JobContext that records the reports of a job run on the test thread, and which of them came from a CPU section. */
  private static final class RecordingContext implements JobContext {
    private final JsonObject input;
    final List<Double> progress = new ArrayList<>();
    final List<JsonObject> data = new ArrayList<>();
    int cpuSections;
    int reportsOutsideCpu;
    private boolean inCpu;

    RecordingContext(JsonObject input) {
      this.input = input;
    }

    @Override
    public String taskId() {
      return "task_x";
    }

    @Override
    public String tenant() {
      return "acme";
    }

    @Override
    public int attempt() {
      return 1;
    }

    @Override
    public JsonObject input() {
      return input;
    }

    @Override
    public void progress(double progress) {
      this.progress.add(progress);
      reportsOutsideCpu += inCpu ? 0 : 1;
    }

    @Override
    public void progress(double progress, JsonObject data) {
      progress(progress);
      this.data.add(data);
    }

    @Override
    public <T> T cpu(Callable<T> work) throws Exception {
      cpuSections++;
      inCpu = true;
      try {
        return work.call();
      } finally {
        inCpu = false;
      }
    }

    @Override
    public boolean isCancelled() {
      return false;
    }
  }

  private static final String TEXT = String.join(" ",
    "The weather was mild on Tuesday morning.",
    "Lunch arrived late again.",
    "Postgres stores every task row that vertx workers claim.",
    "Nobody noticed the parking meter.",
    "A cat slept near the window.",
    "Rain began after dinner.",
    "The museum closed early.",
    "Trains were delayed by snow.",
    "Postgres and vertx keep postgres tasks durable for vertx.",
    "Children played in the park.");

  @Test
  void aRunSummarisesAndReportsEachStageOnce() throws Exception {
    RecordingContext ctx = new RecordingContext(new JsonObject().put("text", TEXT));
    JsonObject result = new DocumentAnalysisJob().run(ctx);
    assertEquals("done", result.getString("stage"));
    assertEquals("Postgres stores every task row that vertx workers claim. "
      + "Postgres and vertx keep postgres tasks durable for vertx.", result.getString("summary"));
    JsonArray keywords = result.getJsonArray("keywords");
    assertEquals(List.of("postgres", "vertx"), keywords.getList().subList(0, 2));
    assertEquals(10, keywords.size());
    assertEquals(10, result.getInteger("sentences"));
    assertEquals(List.of(new JsonObject().put("stage", "parsing"), new JsonObject().put("stage", "scoring"),
      new JsonObject().put("stage", "summarizing")), ctx.data, "data.stage is sent when the stage changes only");
    for (int i = 0; i < ctx.progress.size(); i++) {
      double p = ctx.progress.get(i);
      assertTrue(p >= 0.0 && p <= 1.0 && (i == 0 || p >= ctx.progress.get(i - 1)), "progress " + ctx.progress);
    }
    assertEquals(DocumentAnalysisJob.TYPE, new DocumentAnalysisJob().type());
    assertEquals(1, ctx.cpuSections, "the analysis is one section within the node's CPU budget");
    assertEquals(0, ctx.reportsOutsideCpu, "every stage of the analysis ran inside it");
  }

  @Test
  void badInputFailsAtOnceAndForGoodWithAReasonThatSaysWhy() {
    Map<JsonObject, String> cases = Map.of(
      new JsonObject(), "input.text is required",
      new JsonObject().putNull("text"), "input.text is required",
      new JsonObject().put("text", ""), "input.text is empty",
      new JsonObject().put("text", " \n\t "), "input.text is empty",
      new JsonObject().put("text", 42), "input.text must be a string",
      new JsonObject().put("text", new JsonObject().put("a", "b")), "input.text must be a string",
      new JsonObject().put("text", new JsonArray().add("Some text.")), "input.text must be a string",
      new JsonObject().put("text", "1234 5678, 90 !!! 3.14"), "does not look like text",
      new JsonObject().put("text", "Hi there" + "\u0001\u0002\u0003".repeat(5)), "does not look like text",
      new JsonObject().put("text", "a".repeat(DocumentAnalysisJob.MAX_TEXT_BYTES + 1)), "larger than 1 MiB");
    cases.forEach((input, reason) -> {
      RecordingContext ctx = new RecordingContext(input);
      JobFailure failure = assertThrows(JobFailure.class, () -> new DocumentAnalysisJob().run(ctx), reason);
      assertFalse(failure.retryable(), "retrying cannot fix the input: " + reason);
      assertTrue(failure.getMessage().contains(reason), "expected '" + reason + "' in: " + failure.getMessage());
      assertTrue(failure.getMessage().length() < 200, failure.getMessage());
      assertEquals(List.of(), ctx.progress, "bad input fails before any work: " + reason);
    });
  }

  @Test
  void theSizeLimitCountsUtf8BytesUpToExactlyOneMebibyte() throws JobFailure {
    int max = DocumentAnalysisJob.MAX_TEXT_BYTES;
    String exactly = "a".repeat(max);
    assertEquals(exactly, DocumentAnalysisJob.validText(new JsonObject().put("text", exactly)));
    // Fewer characters than the limit, but two bytes each.
    String accented = "é".repeat(max / 2 + 1);
    JobFailure failure = assertThrows(JobFailure.class,
      () -> DocumentAnalysisJob.validText(new JsonObject().put("text", accented)));
    assertFalse(failure.retryable());
    assertTrue(failure.getMessage().contains("larger than 1 MiB"), failure.getMessage());
  }

  @Test
  void ordinaryWhitespaceAndForeignScriptsAreText() throws JobFailure {
    for (String text : List.of("Hello\n\n\n\n\tworld.\r\n", "Ünïcödé wörter sind Wörter.", "日本語の文章です。", "x")) {
      assertEquals(text, DocumentAnalysisJob.validText(new JsonObject().put("text", text)));
    }
  }
}
