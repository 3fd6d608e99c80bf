package dev.forge.tasks.vector;

import dev.forge.tasks.job.TextAnalysis;
import java.util.Locale;

/**
 * The stand-in that search quality is measured against: a bag of words (the content words of
 * {@link TextAnalysis#words}, stop words left out) hashed into as many dimensions as the real model
 * has, then scaled to unit length. Two texts are similar only as far as they share words; a text
 * without content words embeds as the zero vector.
 */
final class BagOfWordsEmbedder implements Embedder {

  @Override
  public String model() {
    return "bag-of-words";
  }

  @Override
  public int dimensions() {
    return MiniLmEmbedder.DIMENSIONS;
  }

  @Override
  public float[] embed(String text) {
    float[] v = new float[dimensions()];
    for (String w : TextAnalysis.words(text.toLowerCase(Locale.ROOT))) {
      v[Math.floorMod(w.hashCode(), v.length)] += 1;
    }
    double norm = 0;
    for (float x : v) {
      norm += x * x;
    }
    if (norm > 0) {
      float scale = (float) (1 / Math.sqrt(norm));
      for (int i = 0; i < v.length; i++) {
        v[i] *= scale;
      }
    }
    return v;
  }
}
