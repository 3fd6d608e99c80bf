package dev.forge.tasks.vector;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.job.JobBus;
import dev.forge.tasks.job.JobContext;
import dev.forge.tasks.job.JobFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Embeds a processed file's segments that have no vector of the model yet, page by page: read a
 * page of segments from the files store, ask the vector store which lack a vector, embed those
 * within the CPU budget ({@link JobContext#cpu}, a few segments per section), store them. Whatever
 * already has a vector (an earlier attempt, another store, {@code parse_options.vectorize}) is not
 * embedded again, so a rescued job repeats nothing and no vector is ever duplicated.
 */
public final class SegmentEmbedding {

  /** Segments read (and checked for vectors) per request. */
  static final int PAGE = 256;
  /**
   * Vectors stored per request, each store followed by a progress report: a file's progress moves
   * (and a cancel or a join is heard) every 64 segments, not only once a page is done.
   */
  static final int STORE = 64;
  /** Segments per CPU section: about a tenth of a second of one core. */
  static final int CPU_BATCH = 8;
  private static final long BUS_TIMEOUT_MS = 30_000;

  private final Embedder embedder;

  public SegmentEmbedding(Embedder embedder) {
    this.embedder = embedder;
  }

  /** The node's embedding, with the shared all-MiniLM-L6-v2. */
  public static SegmentEmbedding shared() {
    return new SegmentEmbedding(MiniLmEmbedder.shared());
  }

  /** What a file's embedding found: its segments, and how many were embedded now. */
  public record Outcome(int segments, int embedded) {
  }

  /**
   * Embeds what is missing of file {@code fileId} of the job's tenant, from the job's thread;
   * {@code done} hears of each page of segments now holding vectors (the number of segments). The
   * file's segments being gone (deleted, or processed again) ends it early with what was done.
   */
  public Outcome embedFile(JobContext ctx, String fileId, IntConsumer done) throws Exception {
    JobBus bus = JobBus.current(ctx.taskId(), BUS_TIMEOUT_MS);
    int after = -1;
    int segments = 0;
    int embedded = 0;
    while (true) {
      JsonObject page;
      try {
        page = bus.request(Addresses.FILES_SEGMENTS, new JsonObject().put("tenant", ctx.tenant()).put("id", fileId)
          .put("after", after).put("limit", PAGE));
      } catch (ApiException gone) {
        return new Outcome(segments, embedded);
      }
      JsonArray list = page.getJsonArray("segments", new JsonArray());
      if (list.isEmpty()) {
        return new Outcome(segments, embedded);
      }
      JsonArray indexes = new JsonArray();
      for (int i = 0; i < list.size(); i++) {
        indexes.add(list.getJsonObject(i).getInteger("index"));
      }
      JsonObject missing = bus.request(Addresses.VECTOR_STORES_JOB_MISSING, new JsonObject().put("tenant", ctx.tenant())
        .put("file_id", fileId).put("model", embedder.model()).put("indexes", indexes));
      Set<Integer> todo = new HashSet<>();
      missing.getJsonArray("missing").forEach(i -> todo.add(((Number) i).intValue()));
      List<Integer> idx = new ArrayList<>();
      List<String> texts = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        JsonObject s = list.getJsonObject(i);
        if (todo.contains(s.getInteger("index"))) {
          idx.add(s.getInteger("index"));
          texts.add(s.getString("content"));
        }
      }
      int reported = 0;
      for (int from = 0; from < idx.size(); from += STORE) {
        int to = Math.min(idx.size(), from + STORE);
        if (!store(ctx, bus, fileId, idx.subList(from, to), embed(ctx, texts.subList(from, to)))) {
          return new Outcome(segments + reported, embedded);
        }
        embedded += to - from;
        reported += to - from;
        done.accept(to - from);
      }
      segments += list.size();
      if (list.size() > reported) {
        done.accept(list.size() - reported); // those that had vectors already
      }
      after = indexes.getInteger(indexes.size() - 1);
      if (!page.getBoolean("has_more", false)) {
        return new Outcome(segments, embedded);
      }
    }
  }

  private List<float[]> embed(JobContext ctx, List<String> texts) throws Exception {
    List<float[]> out = new ArrayList<>(texts.size());
    for (int from = 0; from < texts.size(); from += CPU_BATCH) {
      List<String> batch = texts.subList(from, Math.min(texts.size(), from + CPU_BATCH));
      out.addAll(ctx.cpu(() -> embedder.embedAll(batch)));
      ctx.progress(0); // a report, so that a cancel stops the job within one batch
    }
    return out;
  }

  /** Stores the vectors; false when the file's segments are gone. */
  private boolean store(JobContext ctx, JobBus bus, String fileId, List<Integer> idx, List<float[]> vectors)
    throws JobFailure {
    JsonArray out = new JsonArray();
    for (int i = 0; i < idx.size(); i++) {
      out.add(new JsonObject().put("index", idx.get(i)).put("vector", bytes(vectors.get(i))));
    }
    try {
      bus.request(Addresses.VECTOR_STORES_JOB_VECTORS, new JsonObject().put("tenant", ctx.tenant())
        .put("file_id", fileId).put("model", embedder.model()).put("vectors", out));
      return true;
    } catch (ApiException e) {
      if (e.error().status() == 404) {
        return false;
      }
      throw e;
    }
  }

  /** A vector as stored: float32 little-endian. */
  static byte[] bytes(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return b.array();
  }

  /** A stored vector back to floats. */
  static float[] floats(byte[] bytes) {
    float[] v = new float[bytes.length / 4];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
    return v;
  }
}
