package dev.forge.tasks.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The int8 scan with rescoring returns exactly what a plain scan of every float returns (same
 * hits, same order, same scores) with each kernel, on seeded random vectors and on adversarial
 * ones: near-ties, duplicates, a huge component, zero rows, values not finite or too small to
 * scale, k larger than the rows, thresholds on a hit's exact score.
 */
class QuantisedScanTest {

  static final ExecutorService POOL = Executors.newFixedThreadPool(3);

  @AfterAll
  static void close() {
    POOL.shutdown();
  }

  /** The kernels under test: the scalar one, and the SIMD one (this build's tests run with its module). */
  static List<ScanKernel> kernels() {
    List<ScanKernel> kernels = new ArrayList<>(List.of(ScalarKernel.INSTANCE));
    ScanKernel simd = ScanKernels.simd();
    assertNotNull(simd, "the SIMD kernel loads (surefire runs with --add-modules jdk.incubator.vector)");
    kernels.add(simd);
    return kernels;
  }

  @Test
  void theServerUsesTheSimdKernelAndHoldsCodesWithIt() {
    assertEquals("simd-int8", ExactSearch.kernel());
    FileVectors b = FileVectors.of("a", 3, new int[] {0}, List.of(new float[] {0.5f, -1f, 0.25f}));
    assertNotNull(b.codes());
    assertEquals(1f / 127, b.codes().scales()[0][0]);
    assertEquals(List.of((byte) 64, (byte) -127, (byte) 32), List.of(b.codes().pages()[0][0], b.codes().pages()[0][1],
      b.codes().pages()[0][2]));
    assertTrue(b.bytes() > new FileVectors("a", 3, new int[] {0}, b.pages(), null).bytes());
    assertNull(new FileVectors("a", 3, new int[] {0}, b.pages(), null).codes());
  }

  @Test
  void randomUnitVectors() {
    int[] dims = {1, 2, 7, 31, 32, 33, 100, 384};
    for (long seed = 1; seed <= 60; seed++) {
      Random r = new Random(seed);
      int dim = dims[r.nextInt(dims.length)];
      List<List<float[]>> files = new ArrayList<>();
      int nFiles = 1 + r.nextInt(4);
      for (int f = 0; f < nFiles; f++) {
        List<float[]> rows = new ArrayList<>();
        int n = r.nextInt(3) == 0 ? r.nextInt(5) : r.nextInt(700);
        for (int i = 0; i < n; i++) {
          rows.add(ExactSearchTest.unit(r, dim));
        }
        files.add(rows);
      }
      check("seed " + seed, ExactSearchTest.unit(r, dim), files, r);
    }
  }

  @Test
  void nearTiesAndDuplicates() {
    for (long seed = 1; seed <= 20; seed++) {
      Random r = new Random(seed);
      int dim = seed % 2 == 0 ? 384 : 37;
      float[] base = ExactSearchTest.unit(r, dim);
      List<List<float[]>> files = new ArrayList<>();
      for (int f = 0; f < 3; f++) {
        List<float[]> rows = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
          float[] v = base.clone();
          int kind = r.nextInt(4);
          if (kind == 1) {
            v[r.nextInt(dim)] += (float) (r.nextGaussian() * 1e-6); // a few ulps away
          } else if (kind == 2) {
            v = ExactSearchTest.unit(r, dim); // an ordinary row among the ties
          } else if (kind == 3) {
            for (int j = 0; j < dim; j++) {
              v[j] += (float) (r.nextGaussian() * 1e-3);
            }
          }
          rows.add(v);
        }
        files.add(rows);
      }
      check("near ties, seed " + seed, base, files, r);
    }
  }

  @Test
  void extremeRows() {
    for (long seed = 1; seed <= 30; seed++) {
      Random r = new Random(seed);
      int dim = seed % 3 == 0 ? 384 : 19;
      List<List<float[]>> files = new ArrayList<>();
      for (int f = 0; f < 2; f++) {
        List<float[]> rows = new ArrayList<>();
        for (int i = 0; i < 260; i++) {
          float[] v = ExactSearchTest.unit(r, dim);
          switch (r.nextInt(9)) {
            case 0 -> v[r.nextInt(dim)] = (float) (r.nextBoolean() ? 1e30 : -1e30); // one huge component
            case 1 -> Arrays.fill(v, 0f); // a zero vector
            case 2 -> v[r.nextInt(dim)] = r.nextBoolean() ? Float.MAX_VALUE : -Float.MAX_VALUE; // overflows
            case 3 -> v[r.nextInt(dim)] = Float.NaN;
            case 4 -> v[r.nextInt(dim)] = Float.POSITIVE_INFINITY;
            case 5 -> {
              for (int j = 0; j < dim; j++) {
                v[j] *= 1e-39f; // subnormal: too small to scale
              }
            }
            case 6 -> v[r.nextInt(dim)] *= 50; // one large but ordinary component
            default -> { } // an ordinary row
          }
          rows.add(v);
        }
        files.add(rows);
      }
      float[] q = ExactSearchTest.unit(r, dim);
      check("extreme rows, seed " + seed, q, files, r);
      float[] huge = q.clone();
      huge[0] = 3e37f; // magnitudes too large to bound: the scan reads floats
      check("huge query, seed " + seed, huge, files, r);
      check("zero query, seed " + seed, new float[dim], files, r);
    }
  }

  /** Every kernel, k and threshold: the quantised scan (whole and split) equals the plain scan. */
  private static void check(String where, float[] q, List<List<float[]>> files, Random r) {
    int dim = q.length;
    List<FileVectors> plain = new ArrayList<>();
    List<FileVectors> coded = new ArrayList<>();
    int total = 0;
    for (int f = 0; f < files.size(); f++) {
      int[] segments = new int[files.get(f).size()];
      Arrays.setAll(segments, i -> i);
      float[][] pages = FileVectors.of("f" + f, dim, segments, files.get(f)).pages();
      plain.add(new FileVectors("f" + f, dim, segments, pages, null));
      coded.add(new FileVectors("f" + f, dim, segments, pages, FileVectors.Codes.of(pages, dim)));
      total += segments.length;
    }
    for (ScanKernel kernel : kernels()) {
      List<ExactSearch.Hit> every = ExactSearch.topK(kernel, q, plain, Math.max(1, total), Float.NEGATIVE_INFINITY,
        Runnable::run, 1);
      List<Float> thresholds = new ArrayList<>(List.of(Float.NEGATIVE_INFINITY, -1f, 0f, 0.05f, 0.9f));
      if (!every.isEmpty()) {
        thresholds.add(every.get(r.nextInt(every.size())).score()); // exactly a hit's score
        thresholds.add(every.get(Math.min(every.size() - 1, 9)).score());
      }
      for (int k : new int[] {1, 3, 10, 100, total + 7}) {
        for (float min : thresholds) {
          String at = where + ", " + kernel.name() + ", k " + k + ", min " + min;
          List<ExactSearch.Hit> expected = ExactSearch.topK(kernel, q, plain, k, min, Runnable::run, 1);
          assertEquals(expected, ExactSearch.topK(kernel, q, coded, k, min, Runnable::run, 1), at);
          assertEquals(expected, ExactSearch.topK(kernel, q, coded, k, min, POOL, 3), at + ", split");
        }
      }
    }
  }

  @Test
  void kernelsAgreeWithADoublePrecisionScan() {
    for (long seed = 1; seed <= 20; seed++) {
      Random r = new Random(seed);
      int dim = seed % 2 == 0 ? 384 : 45;
      List<float[]> rows = new ArrayList<>();
      int[] segments = new int[500];
      for (int i = 0; i < segments.length; i++) {
        rows.add(ExactSearchTest.unit(r, dim));
        segments[i] = i;
      }
      float[] q = ExactSearchTest.unit(r, dim);
      FileVectors block = FileVectors.of("f", dim, segments, rows);
      List<ExactSearch.Hit> ref = new ArrayList<>();
      for (int i = 0; i < rows.size(); i++) {
        ref.add(new ExactSearch.Hit(0, i, ExactSearchTest.naiveDot(q, rows.get(i))));
      }
      ref.sort(ExactSearch.BEST_FIRST);
      for (ScanKernel kernel : kernels()) {
        List<ExactSearch.Hit> got = ExactSearch.topK(kernel, q, List.of(block), 20, Float.NEGATIVE_INFINITY,
          Runnable::run, 1);
        assertEquals(20, got.size());
        for (int i = 0; i < got.size(); i++) {
          assertEquals(ref.get(i).score(), got.get(i).score(), 1e-5, "seed " + seed + ", " + kernel.name() + ", hit " + i);
          if (ref.get(i).score() - (i + 1 < ref.size() ? ref.get(i + 1).score() : -2) > 1e-5
            && (i == 0 || ref.get(i - 1).score() - ref.get(i).score() > 1e-5)) {
            assertEquals(ref.get(i).row(), got.get(i).row(), "seed " + seed + ", " + kernel.name() + ", hit " + i);
          }
        }
      }
    }
  }
}
