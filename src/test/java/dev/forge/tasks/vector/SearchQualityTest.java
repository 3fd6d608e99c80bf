package dev.forge.tasks.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.job.TextAnalysis;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Search quality on the corpus under {@code src/test/resources/vectors}: eight short documents on
 * distinct subjects, and queries that each paraphrase one passage while sharing almost no word
 * with its document. A query passes when its document's best passage scores strictly above every
 * passage of every other document. The real model must pass every query; a bag of words, which can
 * only match shared words, must fail the same check, which shows that the check measures meaning.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SearchQualityTest {

  record Query(String file, String text) {
  }

  record Outcome(int passed, List<String> failures) {
  }

  static final List<String> FILES = List.of("bees.txt", "volcanoes.txt", "bread.txt", "chess.txt", "tides.txt",
    "vaccines.txt", "photosynthesis.txt", "lighthouses.txt");
  static List<List<String>> passages;
  static List<Query> queries;

  @BeforeAll
  static void load() throws IOException {
    passages = new ArrayList<>();
    for (String f : FILES) {
      passages.add(List.of(read("vectors/corpus/" + f).strip().split("\\n\\s*\\n")));
    }
    queries = new ArrayList<>();
    for (String line : read("vectors/queries.tsv").split("\\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        String[] parts = line.split("\\t", 2);
        queries.add(new Query(parts[0], parts[1]));
      }
    }
  }

  static String read(String resource) throws IOException {
    try (InputStream in = SearchQualityTest.class.getClassLoader().getResourceAsStream(resource)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Embeds the corpus with {@code embedder} and runs every query through {@link ExactSearch}. */
  static Outcome check(Embedder embedder) {
    List<FileVectors> blocks = new ArrayList<>();
    for (int f = 0; f < FILES.size(); f++) {
      List<String> texts = passages.get(f);
      int[] segments = java.util.stream.IntStream.range(0, texts.size()).toArray();
      blocks.add(FileVectors.of(FILES.get(f), embedder.dimensions(), segments, embedder.embedAll(texts)));
    }
    int passed = 0;
    List<String> failures = new ArrayList<>();
    for (Query q : queries) {
      float[] v = embedder.embed(q.text());
      float expected = Float.NEGATIVE_INFINITY;
      float bestOther = Float.NEGATIVE_INFINITY;
      String bestOtherFile = null;
      for (int b = 0; b < blocks.size(); b++) {
        float best = ExactSearch.topK(v, List.of(blocks.get(b)), 1, Float.NEGATIVE_INFINITY).get(0).score();
        if (FILES.get(b).equals(q.file())) {
          expected = best;
        } else if (best > bestOther) {
          bestOther = best;
          bestOtherFile = FILES.get(b);
        }
      }
      // The whole index at once must agree: the top hit of a full search is in the expected file.
      String top = blocks.get(ExactSearch.topK(v, blocks, 1, Float.NEGATIVE_INFINITY).get(0).block()).fileId();
      if (expected > bestOther && top.equals(q.file())) {
        passed++;
      } else {
        failures.add(String.format("'%s': %s %.3f, but %s %.3f", q.text(), q.file(), expected, bestOtherFile, bestOther));
      }
    }
    return new Outcome(passed, failures);
  }

  @Test
  void everyQuerySharesAlmostNoWordWithItsDocument() {
    for (Query q : queries) {
      Set<String> doc = new HashSet<>(TextAnalysis.words(String.join(" ", passages.get(FILES.indexOf(q.file())))
        .toLowerCase(java.util.Locale.ROOT)));
      List<String> shared = TextAnalysis.words(q.text().toLowerCase(java.util.Locale.ROOT)).stream()
        .filter(doc::contains).toList();
      assertTrue(shared.size() <= 1, "'" + q.text() + "' shares " + shared + " with " + q.file());
    }
    assertTrue(queries.size() >= 8, "too few queries: " + queries.size());
  }

  @Test
  void theModelFindsEveryParaphrasedPassagesDocumentFirst() {
    Outcome model = check(MiniLmEmbedder.shared());
    assertEquals(queries.size(), model.passed(), "all-MiniLM-L6-v2 missed: " + model.failures());
  }

  @Test
  void aBagOfWordsFailsTheSameCheck() {
    Outcome words = check(new BagOfWordsEmbedder());
    assertTrue(words.passed() < queries.size() / 2,
      "the bag of words passed " + words.passed() + " of " + queries.size() + ": the queries share too many words");
  }
}
