package dev.forge.tasks.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Exact top-k against a full sort of every score, on seeded random unit vectors. */
class ExactSearchTest {

  static final ExecutorService POOL = Executors.newFixedThreadPool(3);

  @AfterAll
  static void close() {
    POOL.shutdown();
  }

  static float[] unit(Random r, int dim) {
    float[] v = new float[dim];
    double n = 0;
    for (int i = 0; i < dim; i++) {
      v[i] = (float) r.nextGaussian();
      n += v[i] * v[i];
    }
    for (int i = 0; i < dim; i++) {
      v[i] /= (float) Math.sqrt(n);
    }
    return v;
  }

  static FileVectors block(Random r, String id, int count, int dim, List<float[]> rows) {
    int[] segments = new int[count];
    List<float[]> mine = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      mine.add(unit(r, dim));
      segments[i] = i * 2; // segment numbers need not be the row numbers
    }
    rows.addAll(mine);
    return FileVectors.of(id, dim, segments, mine);
  }

  static float naiveDot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return (float) s;
  }

  @Test
  void topKIsTheHeadOfTheFullSortForManySeedsAndSizes() {
    for (long seed = 1; seed <= 40; seed++) {
      Random r = new Random(seed);
      int dim = 1 + r.nextInt(400); // also dimensions that are not a multiple of 8
      List<FileVectors> blocks = new ArrayList<>();
      List<ExactSearch.Hit> all = new ArrayList<>();
      float[] q = unit(r, dim);
      for (int b = 0, n = r.nextInt(6); b < n; b++) {
        List<float[]> rows = new ArrayList<>();
        // up to several pages per file, so that page boundaries and parallel splits are crossed
        blocks.add(block(r, "f" + b, r.nextInt(seed % 4 == 0 ? 3000 : 300), dim, rows));
        for (int row = 0; row < rows.size(); row++) {
          all.add(new ExactSearch.Hit(b, row, naiveDot(q, rows.get(row))));
        }
      }
      int k = 1 + r.nextInt(20);
      float threshold = r.nextBoolean() ? Float.NEGATIVE_INFINITY : (float) (r.nextDouble() * 0.2 - 0.1);
      all.sort(ExactSearch.BEST_FIRST);
      List<ExactSearch.Hit> expected = all.stream().filter(h -> h.score() >= threshold - 1e-5f).limit(k).toList();
      List<ExactSearch.Hit> got = ExactSearch.topK(q, blocks, k, threshold);
      String where = "seed " + seed + ", dim " + dim + ", k " + k;
      assertTrue(Math.abs(expected.size() - got.size()) <= 1, where); // a score within rounding of the threshold
      for (int i = 0; i < Math.min(expected.size(), got.size()); i++) {
        assertEquals(expected.get(i).score(), got.get(i).score(), 1e-5f, where + ", rank " + i);
        if (i + 1 < got.size()) {
          assertTrue(got.get(i).score() >= got.get(i + 1).score(), where + ": not best first");
        }
      }
      got.forEach(h -> assertTrue(h.score() >= threshold, where + ": below the threshold"));
      assertEquals(got, ExactSearch.topK(q, blocks, k, threshold, POOL, 4), where + ": split over threads");
      assertEquals(got, ExactSearch.topK(q, blocks, k, threshold, Runnable::run, 3), where + ": split, run in place");
    }
  }

  @Test
  void tiesGoToTheEarlierBlockAndRow() {
    float[] v = {1, 0};
    FileVectors a = FileVectors.of("a", 2, new int[] {0, 1}, List.of(new float[] {1, 0}, new float[] {1, 0}));
    FileVectors b = FileVectors.of("b", 2, new int[] {0}, List.of(new float[] {1, 0}));
    List<ExactSearch.Hit> hits = ExactSearch.topK(v, List.of(b, a), 2, Float.NEGATIVE_INFINITY);
    assertEquals(List.of(new ExactSearch.Hit(0, 0, 1f), new ExactSearch.Hit(1, 0, 1f)), hits);
    assertEquals(hits, ExactSearch.topK(v, List.of(b, a), 2, Float.NEGATIVE_INFINITY, POOL, 2));
  }

  @Test
  void refusesAQueryOfAnotherDimensionAndABadK() {
    FileVectors a = FileVectors.of("a", 2, new int[] {0}, List.of(new float[] {1, 0}));
    assertThrows(IllegalArgumentException.class, () -> ExactSearch.topK(new float[3], List.of(a), 1, 0));
    assertThrows(IllegalArgumentException.class, () -> ExactSearch.topK(new float[2], List.of(a), 0, 0));
    assertThrows(IllegalArgumentException.class, () -> FileVectors.of("a", 2, new int[] {0}, List.of(new float[3])));
    assertThrows(IllegalArgumentException.class, () -> new FileVectors("a", 2, new int[] {0, 1}, new float[][] {{1, 0}}));
  }
}
