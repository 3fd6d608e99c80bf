package dev.forge.tasks.vector;

import java.util.ArrayList;
import java.util.List;

/**
 * A sentence-embedding model: text in, a unit-length vector out, so that the dot product of two
 * vectors is their cosine similarity. Implementations are thread-safe and compute on the calling
 * thread (callers decide which thread that is: a job thread inside {@code JobContext.cpu}, or the
 * search pool), never on threads of their own.
 */
public interface Embedder {

  /** The model's name as the API shows it ({@code embedding_model}), and as vectors are stored under. */
  String model();

  /** The length of every vector this model returns. */
  int dimensions();

  /** The unit-length embedding of {@code text}. */
  float[] embed(String text);

  /** The embeddings of {@code texts}, in order. */
  default List<float[]> embedAll(List<String> texts) {
    List<float[]> out = new ArrayList<>(texts.size());
    for (String t : texts) {
      out.add(embed(t));
    }
    return out;
  }
}
