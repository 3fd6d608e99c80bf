package dev.forge.tasks.file;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.job.Job;
import dev.forge.tasks.job.JobContext;
import dev.forge.tasks.job.JobFailure;
import dev.forge.tasks.job.TextAnalysis;
import dev.forge.tasks.vector.SegmentEmbedding;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;
import org.apache.tika.io.TikaInputStream;
import org.apache.tika.mime.MediaType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.Set;

/**
 * {@code file_processing}, task {@code upload-<file id>}, input {@code {file_id}}: reads the file's
 * bytes part by part from the files store ({@link PartStream}), extracts the text (Tika, by content)
 * within the CPU budget, cuts it into segments ({@link Chunker}) that go to the files store in
 * batches as they are made, analyses the start of the text for {@code abstract}, {@code summary} and
 * {@code keywords} (unless {@code parse_options} disables them) while the last batches are stored,
 * then marks the file processed. Stages in
 * {@code data.stage}: {@code extracting}, {@code chunking}, {@code analysing}, {@code done}; ends
 * with {@code data.chunks_created}.
 *
 * <p>Idempotent: an attempt first takes the file over (clearing an earlier attempt's segments), and
 * a file an earlier attempt finished is not processed again. Unreadable input fails the task at
 * once with a reason (also stored on the file).
 */
public final class FileProcessingJob implements Job {

  public static final String TYPE = FileTasks.TYPE;
  private static final Logger LOG = LoggerFactory.getLogger(FileProcessingJob.class);
  private static final long BUS_TIMEOUT_MS = 30_000;
  /** The most text a file may yield, whatever its size. */
  static final long MAX_TEXT_CHARS = 64L * 1024 * 1024;
  static final long PARSE_TIMEOUT_MS = 300_000;
  private static final int BATCH_SEGMENTS = 500;
  private static final int BATCH_CHARS = 256 * 1024;
  private static final int WRITES_IN_FLIGHT = 2;

  @Override
  public String type() {
    return TYPE;
  }

  /** Parsing is CPU-bound and runs within the node's CPU budget anyway: two at a time per node are plenty. */
  @Override
  public int concurrency() {
    return 2;
  }

  @Override
  public JsonObject run(JobContext ctx) throws Exception {
    String fileId = ctx.input().getValue("file_id") instanceof String s && FileIds.RULE.isValid(s) ? s : null;
    if (fileId == null) {
      throw JobFailure.fatal("input.file_id must name a file.");
    }
    FilesBus bus = FilesBus.current(ctx.taskId(), BUS_TIMEOUT_MS);
    JsonObject key = new JsonObject().put("tenant", ctx.tenant()).put("id", fileId);
    JsonObject started = bus.request(Addresses.FILES_JOB_START, key.copy().put("attempt", ctx.attempt()));
    JsonObject file = started.getJsonObject("file");
    if (started.getBoolean("processed", false)) {
      LOG.info("Task {}: file {} was processed by an earlier attempt", ctx.taskId(), fileId);
      return done(fileId, file.getInteger("segment_count", 0)).put("attempt", ctx.attempt());
    }
    try {
      try {
        return process(ctx, bus, key, file);
      } catch (SegmentWriteFailed e) {
        throw e.failure();
      }
    } catch (JobFailure f) {
      if (!f.retryable()) {
        ctx.progress(0.0, new JsonObject().put("error", f.getMessage())); // FILES.md: data.error repeats the reason
        try {
          bus.request(Addresses.FILES_JOB_FAILED, key.copy().put("attempt", ctx.attempt()).put("error", f.getMessage()));
        } catch (JobFailure ignored) {
          // The task's failure says it anyway; the file's status follows its task.
          LOG.debug("Task {}: could not record the failure on file {}", ctx.taskId(), fileId);
        }
      }
      throw f;
    }
  }

  private JsonObject process(JobContext ctx, FilesBus bus, JsonObject key, JsonObject file) throws Exception {
    String fileId = key.getString("id");
    long bytes = file.getLong("bytes");
    int parts = file.getInteger("parts");
    JsonObject options = file.getJsonObject("parse_options", new JsonObject());
    if (bytes == 0) {
      throw JobFailure.fatal("The file is empty: there is no text to extract.");
    }
    ctx.progress(0.01, new JsonObject().put("stage", "extracting").put("file_id", fileId).put("chunks_created", 0)
      .put("attempt", ctx.attempt()));
    long t0 = System.nanoTime();
    SegmentWriter writer = new SegmentWriter(ctx, bus, key);
    Chunker chunker = new Chunker(writer::add);
    TextSink sink = new TextSink(chunker);
    PartStream source = new PartStream(ctx, bus, key, parts, bytes);
    TextExtractor.Extracted extracted = ctx.cpu(() -> extract(ctx, source, bytes, file.getString("filename"), sink));
    if (sink.chars() == 0) {
      throw JobFailure.fatal("No text was found in the file (a scanned document or an image without a text layer?).");
    }
    ctx.progress(0.7, new JsonObject().put("stage", "chunking"));
    int chunks = chunker.finish();
    // The last batches are stored while the analysis runs; waited for before the file is done.
    writer.send();
    long t1 = System.nanoTime();
    long waitedWhileExtracting = writer.waitedMs();
    ctx.progress(0.75, new JsonObject().put("stage", "analysing").put("chunks_created", chunks));
    String text = sink.analysisText();
    boolean wanted = !(disabled(options, "abstract") && disabled(options, "summary") && disabled(options, "keywords"));
    boolean vectorize = "enable".equals(options.getValue("vectorize"));
    double analysed = vectorize ? 0.8 : 0.95;
    TextAnalysis.Result analysis = wanted
      ? ctx.cpu(() -> TextAnalysis.analyse(text, 5, 10, (fraction, stage) -> ctx.progress(0.75 + (analysed - 0.75) * fraction)))
      : new TextAnalysis.Result("", List.of(), 0);
    JsonObject fields = key.copy().put("attempt", ctx.attempt()).put("segment_count", chunks)
      .put("abstract", disabled(options, "abstract") ? "" : abstractOf(analysis.summary()))
      .put("summary", disabled(options, "summary") ? "" : analysis.summary())
      .put("keywords", disabled(options, "keywords") ? new JsonArray() : new JsonArray(analysis.keywords()))
      .put("language", language(text)).put("file_type", extracted.fileType()).put("page_count", extracted.pageCount());
    long t2 = System.nanoTime();
    writer.flush();
    long t3 = System.nanoTime();
    bus.request(Addresses.FILES_JOB_DONE, fields);
    long t4 = System.nanoTime();
    if (vectorize) {
      // parse_options.vectorize: the segments get their vectors now, so that joining the file to a
      // store later finds them embedded (the vector store's jobs embed only what is missing).
      ctx.progress(analysed, new JsonObject().put("stage", "embedding"));
      int[] embedded = {0};
      SegmentEmbedding.shared().embedFile(ctx, fileId, n -> {
        embedded[0] += n;
        ctx.progress(analysed + (0.99 - analysed) * embedded[0] / Math.max(1, chunks),
          new JsonObject().put("chunks_embedded", embedded[0]));
      });
    }
    LOG.info("Task {}: file {} processed: {} {} bytes, {} characters, {} segments; ms: extracting and writing {} "
        + "(waiting for writes {}, for parts {}), analysis {}, last writes {}, done {}", ctx.taskId(), fileId,
      extracted.fileType(), bytes, sink.chars(), chunks, (t1 - t0) / 1_000_000, waitedWhileExtracting, source.waitedMs(),
      (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000, (t4 - t3) / 1_000_000);
    return done(fileId, chunks).put("file_type", extracted.fileType()).put("page_count", extracted.pageCount())
      .put("attempt", ctx.attempt());
  }

  private static JsonObject done(String fileId, int chunks) {
    return new JsonObject().put("stage", "done").put("file_id", fileId).put("chunks_created", chunks);
  }

  private static TextExtractor.Extracted extract(JobContext ctx, InputStream raw, long bytes, String filename, TextSink sink)
    throws Exception {
    try (TextExtractor.CountingStream counted = new TextExtractor.CountingStream(raw);
         TikaInputStream stream = TikaInputStream.get(counted)) {
      MediaType type = TextExtractor.detect(stream);
      if (!TextExtractor.supported(type)) {
        throw JobFailure.fatal("The file's format (" + type.getBaseType() + ") is not one this server reads: "
          + "it reads text, Markdown, HTML, PDF and Word (.docx) files, by their content.");
      }
      if (bytes > TextExtractor.maxBytes(type)) {
        throw JobFailure.fatal("The file is " + TextExtractor.fileTypeOf(type, filename) + " of " + bytes
          + " bytes; such files are processed up to " + TextExtractor.maxBytes(type) + " bytes.");
      }
      long maxChars = Math.min(MAX_TEXT_CHARS, 200 * bytes + 1_000_000);
      return TextExtractor.extract(stream, type, filename, sink, maxChars, PARSE_TIMEOUT_MS,
        read -> ctx.progress(0.05 + 0.6 * Math.min(1.0, (double) read / bytes)), counted);
    } catch (TextExtractor.SourceFailed e) {
      throw e.reason();
    } catch (IOException e) {
      throw JobFailure.retryable("The file could not be read: " + e.getMessage());
    }
  }

  private static boolean disabled(JsonObject options, String key) {
    return "disable".equals(options.getValue(key));
  }

  /** The abstract: the summary's first sentences, up to about 400 characters. */
  static String abstractOf(String summary) {
    StringBuilder out = new StringBuilder();
    for (String sentence : TextAnalysis.sentences(summary)) {
      if (out.length() > 0 && out.length() + sentence.length() > 400) {
        break;
      }
      out.append(out.length() == 0 ? "" : " ").append(sentence);
    }
    return out.toString();
  }

  /** {@code en} when English function words are frequent in the text, else {@code ""} (unknown). */
  static String language(String text) {
    String[] words = text.substring(0, Math.min(text.length(), 20_000)).toLowerCase(Locale.ROOT).split("[^\\p{L}]+");
    int english = 0;
    int total = 0;
    for (String w : words) {
      if (!w.isEmpty()) {
        total++;
        if (ENGLISH.contains(w)) {
          english++;
        }
      }
    }
    return total >= 20 && english * 10 >= total ? "en" : "";
  }

  private static final Set<String> ENGLISH = Set.of("the", "and", "of", "to", "in", "is", "that",
    "it", "for", "was", "on", "are", "with", "as", "be", "this", "by", "an", "or", "from", "at", "which", "not");

  /**
   * Segments to the files store in batches, as the chunker makes them, with up to
   * {@value #WRITES_IN_FLIGHT} batches in flight: the parse goes on while the store writes (on
   * another core), and the heap holds at most that many batches plus the one being filled. A wait
   * for a write holds no CPU permit: another file's job computes meanwhile.
   */
  private static final class SegmentWriter {
    private final JobContext ctx;
    private final FilesBus bus;
    private final JsonObject key;
    private final ArrayDeque<Sent> inFlight = new ArrayDeque<>();
    private JsonArray batch = new JsonArray();
    private int batchChars;
    private int written;
    private long waitedNanos;

    /** A batch sent, and its size. */
    private record Sent(Future<Message<JsonObject>> reply, int segments) {
    }

    SegmentWriter(JobContext ctx, FilesBus bus, JsonObject key) {
      this.ctx = ctx;
      this.bus = bus;
      this.key = key;
    }

    void add(Chunker.Chunk chunk) {
      JsonObject metadata = chunk.page() > 0 ? new JsonObject().put("page", chunk.page()) : new JsonObject();
      batch.add(new JsonObject().put("index", chunk.index()).put("content", chunk.text()).put("metadata", metadata));
      batchChars += chunk.text().length();
      if (batch.size() >= BATCH_SEGMENTS || batchChars >= BATCH_CHARS) {
        try {
          send();
        } catch (JobFailure f) {
          throw new SegmentWriteFailed(f);
        }
      }
    }

    /** Sends the batch being filled, first waiting for the oldest write if {@value #WRITES_IN_FLIGHT} are in flight. */
    void send() throws JobFailure {
      if (batch.isEmpty()) {
        return;
      }
      while (inFlight.size() >= WRITES_IN_FLIGHT) {
        awaitOldest();
      }
      inFlight.add(new Sent(bus.send(Addresses.FILES_JOB_SEGMENTS, key.copy().put("attempt", ctx.attempt())
        .put("segments", batch)), batch.size()));
      batch = new JsonArray();
      batchChars = 0;
    }

    private void awaitOldest() throws JobFailure {
      Sent oldest = inFlight.poll();
      long t0 = System.nanoTime();
      ctx.waitOutsideCpu(() -> bus.await(oldest.reply()));
      waitedNanos += System.nanoTime() - t0;
      written += oldest.segments();
      ctx.progress(0.05, new JsonObject().put("chunks_created", written));
    }

    /** Sends what is left and waits until every batch is stored. */
    void flush() throws JobFailure {
      send();
      while (!inFlight.isEmpty()) {
        awaitOldest();
      }
    }

    /** Time spent waiting for the store, in ms. */
    long waitedMs() {
      return waitedNanos / 1_000_000;
    }
  }

  /** A failed write from inside the parse (the chunker's callback cannot throw checked exceptions). */
  static final class SegmentWriteFailed extends RuntimeException {
    private final JobFailure failure;

    SegmentWriteFailed(JobFailure failure) {
      super(failure.getMessage(), null, false, false);
      this.failure = failure;
    }

    JobFailure failure() {
      return failure;
    }
  }
}
