package dev.forge.tasks.vector;

import static dev.forge.tasks.bus.BusBodies.invalid;

import dev.forge.tasks.bus.BusBodies;
import dev.forge.tasks.job.TextAnalysis;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * {@code vector_stores.search} and {@code vector_stores.summary}: the database parts on the
 * verticle's event loop, the computation (embedding the query, scanning, summarising) on the
 * {@link SearchPool}.
 */
record Searches(Context context, VectorStoreDb db, SearchIndex index, SearchPool pool, Embedder embedder) {

  /** What {@code model_used} says: the summary is extractive, whatever model was asked for. */
  static final String SUMMARY_MODEL = "extractive-word-frequency";
  /** The most characters of file summaries a store summary reads. */
  static final int SUMMARY_SOURCE_CHARS = 200_000;

  Future<JsonObject> search(String tenant, String id, JsonObject body) {
    Object q = body.getValue("query");
    if (!(q instanceof String query) || query.isBlank() || query.length() > 10_000) {
      throw invalid("query", "'query' must be a non-empty string of at most 10000 characters.");
    }
    int topK = BusBodies.integer(body, "top_k", 1, 100, 10);
    JsonObject filters = BusBodies.optObject(body, "filters");
    Object t = body.getValue("score_threshold");
    if (t != null && !(t instanceof Number n && Double.isFinite(n.doubleValue()))) {
      throw invalid("score_threshold", "'score_threshold' must be a number (a cosine similarity, -1 to 1).");
    }
    float threshold = t == null ? Float.NEGATIVE_INFINITY : ((Number) t).floatValue();
    boolean filtered = filters != null && !filters.isEmpty();
    SearchIndex.Entry held = filtered ? null : index.held(tenant, id);
    if (held != null) {
      // The usual case: this node holds a copy. Its scan runs while Postgres answers whether it is
      // still current (and whether the store exists and has not expired), so the read costs no time;
      // a copy found stale is rebuilt and scanned again, as without one.
      Future<Long> version = index.version(tenant, id);
      Future<List<ExactSearch.Hit>> scan = scan(query, held.blocks(), topK, threshold);
      return Future.all(version, scan).compose(both -> version.result() == held.version()
        ? page(tenant, id, query, topK, held.members(), held.blocks(), scan.result())
        : searchCurrent(tenant, id, query, topK, null, threshold));
    }
    return searchCurrent(tenant, id, query, topK, filtered ? filters : null, threshold);
  }

  /** A search on the store as of its version now: its copy rebuilt first if stale. */
  private Future<JsonObject> searchCurrent(String tenant, String id, String query, int topK, JsonObject filters,
                                          float threshold) {
    return index.current(tenant, id).compose(entry -> (filters == null
        ? Future.<Set<String>>succeededFuture(null) : db.filtered(tenant, id, filters))
      .compose(allowed -> {
        List<FileVectors> blocks = new ArrayList<>();
        List<VectorStoreDb.Member> members = new ArrayList<>();
        for (int i = 0; i < entry.members().size(); i++) {
          if (allowed == null || allowed.contains(entry.members().get(i).fileId())) {
            members.add(entry.members().get(i));
            blocks.add(entry.blocks().get(i));
          }
        }
        return scan(query, blocks, topK, threshold).compose(hits -> page(tenant, id, query, topK, members, blocks, hits));
      }));
  }

  /** Embeds the query and scans {@code blocks} on the search pool; completes on the verticle's context. */
  private Future<List<ExactSearch.Hit>> scan(String query, List<FileVectors> blocks, int topK, float threshold) {
    return Future.fromCompletionStage(pool.submit(() -> blocks.isEmpty() ? List.<ExactSearch.Hit>of()
      : pool.topK(embedder.embed(query), blocks, topK, threshold)), context);
  }

  private Future<JsonObject> page(String tenant, String id, String query, int topK, List<VectorStoreDb.Member> members,
                                  List<FileVectors> blocks, List<ExactSearch.Hit> hits) {
    String[] files = new String[hits.size()];
    Integer[] indexes = new Integer[hits.size()];
    for (int i = 0; i < hits.size(); i++) {
      files[i] = members.get(hits.get(i).block()).fileId();
      indexes[i] = blocks.get(hits.get(i).block()).segments()[hits.get(i).row()];
    }
    return db.hitTexts(tenant, files, indexes).map(texts -> {
      JsonArray data = new JsonArray();
      for (int i = 0; i < hits.size(); i++) {
        VectorStoreDb.HitText text = texts.get(files[i] + "\u0000" + indexes[i]);
        if (text == null) {
          continue; // the file was deleted since the copy was read
        }
        VectorStoreDb.Member m = members.get(hits.get(i).block());
        double score = Math.round(hits.get(i).score() * 1e6) / 1e6;
        JsonObject attributes = new JsonObject().put("segment_index", indexes[i]);
        data.add(new JsonObject()
          .put("file_id", m.fileId()).put("filename", m.filename()).put("score", score)
          .put("attributes", attributes)
          .put("content", new JsonArray().add(new JsonObject().put("type", "text").put("text", text.content())))
          // The client's other result model (VectorStoreQueryResultItem) reads these:
          .put("id", m.fileId() + "-" + indexes[i]).put("vector_store_id", id).put("text", text.content())
          .put("metadata", text.metadata().copy().put("segment_index", indexes[i])));
      }
      return new JsonObject().put("object", "vector_store.search_results.page").put("search_query", query)
        .put("data", data).put("has_more", false).put("next_page", (String) null)
        .put("request_id", "req_" + UUID.randomUUID().toString().replace("-", ""))
        .put("vector_store_id", id).put("query", query).put("top_k", topK);
    });
  }

  Future<JsonObject> summary(String tenant, String id, JsonObject body) {
    BusBodies.optString(body, "model"); // any model is accepted; model_used says what ran
    int maxTokens = BusBodies.integer(body, "max_tokens", 1, 100_000, 1000);
    return db.summarySources(tenant, id).compose(sources -> Future.fromCompletionStage(pool.submit(() -> {
      StringBuilder text = new StringBuilder();
      for (String[] s : sources) {
        if (text.length() + s[1].length() > SUMMARY_SOURCE_CHARS) {
          break;
        }
        text.append(s[1]).append("\n\n");
      }
      return summarise(text.toString(), maxTokens);
    }), context)).map(summary -> new JsonObject().put("vector_store_id", id).put("summary_text", summary)
      .put("model_used", SUMMARY_MODEL).put("created_at", Instant.now().getEpochSecond())
      .put("token_count", TextAnalysis.words(summary).size() == 0 ? 0 : summary.split("\\s+").length));
  }

  /** The best sentences of {@code text} in their order, at most about {@code maxTokens} words. */
  static String summarise(String text, int maxTokens) {
    if (text.isBlank()) {
      return "";
    }
    TextAnalysis.Result result = TextAnalysis.analyse(text, 12, 0, (fraction, stage) -> { });
    StringBuilder out = new StringBuilder();
    int words = 0;
    for (String sentence : TextAnalysis.sentences(result.summary())) {
      int n = sentence.split("\\s+").length;
      if (words > 0 && words + n > maxTokens) {
        break;
      }
      out.append(out.length() == 0 ? "" : " ").append(sentence);
      words += n;
    }
    return out.toString();
  }
}
