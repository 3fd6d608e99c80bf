package dev.forge.tasks.job;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * {@code document_analysis}: input {@code {"text": "..."}} (up to 1 MiB of UTF-8); ends with data
 * {@code {summary, keywords, sentences}} and reports its stage ({@code parsing}, {@code scoring},
 * {@code summarizing}) in {@code data.stage} as it goes. Input that is missing, empty, too large or
 * not text fails the task at once, with a reason that says which.
 */
public final class DocumentAnalysisJob implements Job {

  public static final String TYPE = "document_analysis";
  static final int MAX_TEXT_BYTES = 1024 * 1024;

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public JsonObject run(JobContext ctx) throws Exception {
    String text = validText(ctx.input());
    String[] lastStage = {null};
    // One CPU-bound section: at most 1 MiB of text, well under a second of computing.
    TextAnalysis.Result result = ctx.cpu(() -> TextAnalysis.analyse(text, 5, 10, (fraction, stage) -> {
      if (stage.equals(lastStage[0])) {
        ctx.progress(fraction);
      } else {
        lastStage[0] = stage;
        ctx.progress(fraction, new JsonObject().put("stage", stage));
      }
    }));
    return new JsonObject()
      .put("stage", "done")
      .put("summary", result.summary())
      .put("keywords", new JsonArray(result.keywords()))
      .put("sentences", result.sentences());
  }

  static String validText(JsonObject input) throws JobFailure {
    Object value = input.getValue("text");
    if (value == null) {
      throw JobFailure.fatal("input.text is required: send {\"input\": {\"text\": \"...\"}}.");
    }
    if (!(value instanceof String text)) {
      throw JobFailure.fatal("input.text must be a string.");
    }
    if (text.isBlank()) {
      throw JobFailure.fatal("input.text is empty: there is nothing to analyse.");
    }
    if (text.getBytes(StandardCharsets.UTF_8).length > MAX_TEXT_BYTES) {
      throw JobFailure.fatal("input.text is larger than 1 MiB.");
    }
    long control = text.chars().filter(c -> Character.isISOControl(c) && !Character.isWhitespace(c)).count();
    if (control > text.length() / 10 || text.codePoints().noneMatch(Character::isLetter)) {
      throw JobFailure.fatal("input.text does not look like text: it has no words to analyse.");
    }
    return text;
  }
}
