package dev.forge.tasks.vector;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.job.Job;
import dev.forge.tasks.job.JobBus;
import dev.forge.tasks.job.JobContext;
import dev.forge.tasks.job.JobFailure;
import dev.forge.tasks.bus.TaskStatus;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code vector_store_creation} (task {@code create-<id>}) and {@code vectorization} (task
 * {@code vectorize-<id>}), input {@code {vector_store_id}}: both bring a store up to date. Each
 * round reads the store's files still in progress; a processed file gets its missing vectors
 * ({@link SegmentEmbedding}) and becomes completed, a file whose processing failed becomes failed,
 * a file still processing is waited for: until a file task of the tenant ends on this node
 * ({@link Addresses#UPDATED}), or {@link #WAIT_MS} at most (a file processed on another node).
 * The job ends only when a round finds nothing in
 * progress, so files joined while it runs are embedded too. Progress follows the chunks embedded;
 * {@code data}: {@code vector_store_id, files_total, files_completed, files_failed,
 * chunks_embedded} (chunks of the store's files now holding vectors, found or made by this attempt),
 * {@code vectors_created} (made by this attempt) and {@code stage}. Idempotent: a rescued job
 * finds the work done so far and repeats none of it.
 */
public final class VectorStoreJob implements Job {

  public static final String CREATION = "vector_store_creation";
  public static final String VECTORIZATION = "vectorization";
  private static final Logger LOG = LoggerFactory.getLogger(VectorStoreJob.class);
  private static final long BUS_TIMEOUT_MS = 30_000;
  /** The longest a job waiting for files still being processed waits before it looks again. */
  static final long WAIT_MS = 250;

  private final String type;
  private final SegmentEmbedding embedding;

  public VectorStoreJob(String type, SegmentEmbedding embedding) {
    if (!type.equals(CREATION) && !type.equals(VECTORIZATION)) {
      throw new IllegalArgumentException("Not a vector-store job type: " + type);
    }
    this.type = type;
    this.embedding = embedding;
  }

  public VectorStoreJob(String type) {
    this(type, SegmentEmbedding.shared());
  }

  @Override
  public String type() {
    return type;
  }

  @Override
  public JsonObject run(JobContext ctx) throws Exception {
    Object given = ctx.input().getValue("vector_store_id");
    if (!(given instanceof String storeId) || !VectorStoreIds.isValid(storeId)) {
      throw JobFailure.fatal("input.vector_store_id must name a vector store.");
    }
    JobBus bus = JobBus.current(ctx.taskId(), BUS_TIMEOUT_MS);
    Progress progress = new Progress(ctx, storeId);
    FileEnds ends = new FileEnds(Vertx.currentContext().owner(), ctx.tenant());
    try {
      return rounds(ctx, bus, storeId, progress, ends);
    } finally {
      ends.close();
    }
  }

  private JsonObject rounds(JobContext ctx, JobBus bus, String storeId, Progress progress, FileEnds ends)
    throws Exception {
    while (true) {
      ends.drain(); // a file ending from now on wakes the wait below
      JsonObject pending = pending(bus, ctx, storeId);
      progress.counts(pending);
      List<String> files = pending.getJsonArray("pending").stream().map(String.class::cast).toList();
      if (files.isEmpty()) {
        LOG.info("Task {}: vector store {} is up to date ({} chunks embedded by this attempt)", ctx.taskId(), storeId,
          progress.chunks);
        return progress.data().put("stage", "done");
      }
      progress.remaining(files.size());
      boolean settled = false;
      for (String fileId : files) {
        settled |= settle(ctx, bus, storeId, fileId, progress);
        progress.remaining(progress.remaining - 1);
      }
      if (!settled) {
        progress.report("waiting_for_files");
        ends.await(WAIT_MS);
      }
    }
  }

  private static JsonObject pending(JobBus bus, JobContext ctx, String storeId) throws JobFailure {
    try {
      return bus.request(Addresses.VECTOR_STORES_JOB_PENDING, new JsonObject().put("tenant", ctx.tenant())
        .put("id", storeId));
    } catch (ApiException e) {
      throw JobFailure.fatal("The vector store " + storeId + " was deleted.");
    }
  }

  /** Embeds or fails one file of the store; false when it is still being processed. */
  private boolean settle(JobContext ctx, JobBus bus, String storeId, String fileId, Progress progress) throws Exception {
    JsonObject file;
    try {
      file = bus.request(Addresses.FILES_GET, new JsonObject().put("tenant", ctx.tenant()).put("id", fileId));
    } catch (ApiException gone) {
      return true; // deleted: it left the store with its rows
    }
    switch (file.getString("status", "")) {
      case "processed" -> {
        progress.report("embedding");
        SegmentEmbedding.Outcome outcome = embedding.embedFile(ctx, fileId, n -> progress.chunks(fileId, n));
        progress.created(outcome.embedded());
        fileDone(bus, ctx, storeId, fileId, "completed", null);
        LOG.debug("Task {}: file {} of store {} completed, {} segments, {} embedded now", ctx.taskId(), fileId, storeId,
          outcome.segments(), outcome.embedded());
        return true;
      }
      case "failed" -> {
        String why = file.getString("processing_error_message", "The file could not be processed.");
        fileDone(bus, ctx, storeId, fileId, "failed", why);
        return true;
      }
      default -> {
        return false;
      }
    }
  }

  private static void fileDone(JobBus bus, JobContext ctx, String storeId, String fileId, String status, String error)
    throws JobFailure {
    bus.request(Addresses.VECTOR_STORES_JOB_FILE_DONE, new JsonObject().put("tenant", ctx.tenant()).put("id", storeId)
      .put("file_id", fileId).put("status", status).put("error", error));
  }

  /**
   * Hears the ends of the tenant's file tasks ({@code upload-<id>}) on this node. Its handler runs
   * on the job verticle's event loop, never on the job thread that waits.
   */
  private static final class FileEnds {
    private final Semaphore ended = new Semaphore(0);
    private final MessageConsumer<Object> consumer;

    FileEnds(Vertx vertx, String tenant) throws Exception {
      consumer = vertx.eventBus().localConsumer(Addresses.UPDATED, m -> {
        String task = m.headers().get(Addresses.HEADER_TASK_ID);
        String status = m.headers().get(Addresses.HEADER_STATUS);
        if (task != null && task.startsWith("upload-") && tenant.equals(m.headers().get(Addresses.HEADER_TENANT))
          && TaskStatus.terminalWire(status)) {
          ended.release();
        }
      });
      consumer.completion().toCompletionStage().toCompletableFuture().get(BUS_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    void drain() {
      ended.drainPermits();
    }

    void await(long maxMs) throws InterruptedException {
      ended.tryAcquire(maxMs, TimeUnit.MILLISECONDS);
    }

    void close() {
      consumer.unregister();
    }
  }

  /**
   * Progress by chunks: those embedded (or found embedded) by this attempt over those expected,
   * the files of the round not reached yet counted at the mean size of the files read.
   */
  private static final class Progress {
    private final JobContext ctx;
    private final String storeId;
    private final Map<String, Integer> chunksOf = new HashMap<>();
    private long chunks;
    private long created;
    private int remaining;
    private JsonObject counts = new JsonObject();

    Progress(JobContext ctx, String storeId) {
      this.ctx = ctx;
      this.storeId = storeId;
    }

    void counts(JsonObject pending) {
      counts = new JsonObject().put("files_total", pending.getLong("files_total"))
        .put("files_completed", pending.getLong("files_completed")).put("files_failed", pending.getLong("files_failed"));
    }

    void remaining(int files) {
      remaining = files;
    }

    void chunks(String fileId, int n) {
      chunks += n;
      chunksOf.merge(fileId, n, Integer::sum);
      report("embedding");
    }

    void created(int vectors) {
      created += vectors;
    }

    void report(String stage) {
      double mean = chunksOf.isEmpty() ? 1 : (double) chunks / chunksOf.size();
      double expected = chunks + remaining * Math.max(1, mean);
      double fraction = expected <= 0 ? 0 : 0.02 + 0.96 * chunks / expected;
      ctx.progress(Math.min(0.98, fraction), data().put("stage", stage));
    }

    JsonObject data() {
      return counts.copy().put("vector_store_id", storeId).put("chunks_embedded", chunks).put("vectors_created", created);
    }
  }
}
