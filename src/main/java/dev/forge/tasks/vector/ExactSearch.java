package dev.forge.tasks.vector;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Exact cosine top-k over unit-length vectors: the dot product of the query with every row of
 * every block, the best {@code k} kept in a heap of primitives. Pure computation: callers run it on
 * a worker thread. A large scan may be split by pages over idle threads of the caller's pool.
 *
 * <p>Blocks that hold int8 {@link FileVectors.Codes} (with the SIMD kernel) are scanned in two
 * steps that give the same result as reading every float: the codes give each row an approximate
 * score {@code a} whose distance to the float score is provably at most
 * {@code e = scale × (0.5 + rounding) × Σ|query|}; a row is rescored with its floats only when
 * {@code a + e} reaches what it would have to beat (the k-th score kept so far, or
 * {@code minScore}). A row skipped has a float score below that, so it could not have entered the
 * top k. Scanning a quarter of the bytes, most rows are never read as floats.
 */
public final class ExactSearch {

  /** One result: the block (in the order given), the row within it, and the cosine similarity. */
  public record Hit(int block, int row, float score) {
  }

  /** Best first; on equal scores, the earlier block, then the earlier row. */
  static final Comparator<Hit> BEST_FIRST = Comparator.comparingDouble((Hit h) -> -h.score())
    .thenComparingInt(Hit::block).thenComparingInt(Hit::row);

  /** Below this many rows a scan is not split: the hand-off would cost more than it saves. */
  static final int SPLIT_ROWS = 16 * FileVectors.PAGE_ROWS;

  private ExactSearch() {
  }

  /** The kernel searches use ({@code simd-int8} or {@code scalar}). */
  public static String kernel() {
    return ScanKernels.ACTIVE.name();
  }

  /**
   * The {@code k} rows most similar to {@code query} among {@code blocks}, best first, leaving out
   * rows that score below {@code minScore} (use {@code Float.NEGATIVE_INFINITY} for none), on the
   * calling thread.
   */
  public static List<Hit> topK(float[] query, List<FileVectors> blocks, int k, float minScore) {
    return topK(ScanKernels.ACTIVE, query, blocks, k, minScore, Runnable::run, 1);
  }

  /**
   * As {@link #topK(float[], List, int, float)}, the pages split into {@code parts} ranges: the
   * calling thread scans the first and hands the others to {@code helpers}; whichever range no
   * helper has started when the caller is done, the caller scans itself. So a search never waits
   * for a helper that is busy elsewhere (no deadlock on a full pool) and finishes no later than it
   * would alone.
   */
  public static List<Hit> topK(float[] query, List<FileVectors> blocks, int k, float minScore, Executor helpers,
                               int parts) {
    return topK(ScanKernels.ACTIVE, query, blocks, k, minScore, helpers, parts);
  }

  /** As above, with {@code kernel}. */
  static List<Hit> topK(ScanKernel kernel, float[] query, List<FileVectors> blocks, int k, float minScore,
                        Executor helpers, int parts) {
    Scan scan = new Scan(kernel, query, blocks, k, minScore);
    int pages = scan.units.length / 2;
    int n = Math.max(1, Math.min(parts, pages * FileVectors.PAGE_ROWS / SPLIT_ROWS));
    List<Part> split = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      split.add(new Part(scan, (int) ((long) pages * i / n), (int) ((long) pages * (i + 1) / n)));
    }
    for (int i = 1; i < n; i++) {
      try {
        helpers.execute(split.get(i)::runIfUnclaimed);
      } catch (RejectedExecutionException full) {
        break; // the caller scans it
      }
    }
    List<Hit> merged = new ArrayList<>();
    for (Part part : split) {
      if (part.claim()) {
        part.run();
      }
      merged.addAll(part.result.join());
    }
    merged.sort(BEST_FIRST);
    return merged.size() > k ? new ArrayList<>(merged.subList(0, k)) : merged;
  }

  /**
   * The most a row's approximate score may differ from its float score, per unit of the row's
   * scale; NaN when the query's magnitudes are too large to bound (the scan then reads floats). The
   * three parts: rounding a value to its code (half a scale, and the division's rounding), then the
   * float rounding of the two dot products (any order of n terms: n units in the last place of
   * the sum of magnitudes, at most 127 scales × Σ|query| each), with a margin.
   */
  static double slack(float[] query) {
    double sum = 0;
    for (float v : query) {
      sum += Math.abs(v);
    }
    if (!(sum * 128 < Float.MAX_VALUE)) {
      return Double.NaN;
    }
    return sum * (0.5 + 260.0 * (query.length + 1) * 0x1p-24);
  }

  /** One search's arguments, shared by the ranges it is split into. */
  private static final class Scan {
    private final ScanKernel kernel;
    private final float[] query;
    private final List<FileVectors> blocks;
    private final int k;
    private final float minScore;
    private final double slack;
    /** What float underflow can add to either dot product, whatever the scale. */
    private final double tiny;
    /** Every page as the pair (block, page), flattened. */
    private final int[] units;

    Scan(ScanKernel kernel, float[] query, List<FileVectors> blocks, int k, float minScore) {
      if (k < 1) {
        throw new IllegalArgumentException("k must be at least 1, not " + k);
      }
      int n = 0;
      for (FileVectors block : blocks) {
        if (block.dimensions() != query.length) {
          throw new IllegalArgumentException("File " + block.fileId() + " holds vectors of " + block.dimensions()
            + " dimensions, the query has " + query.length);
        }
        n += block.pages().length;
      }
      this.kernel = kernel;
      this.query = query;
      this.blocks = blocks;
      this.k = k;
      this.minScore = minScore;
      this.slack = slack(query);
      this.tiny = 4.0 * (query.length + 1) * Float.MIN_VALUE;
      this.units = new int[2 * n];
      int u = 0;
      for (int b = 0; b < blocks.size(); b++) {
        for (int p = 0; p < blocks.get(b).pages().length; p++) {
          units[u++] = b;
          units[u++] = p;
        }
      }
    }

    /** The best k of the pages {@code from} (inclusive) to {@code to} (exclusive). */
    List<Hit> run(int from, int to) {
      Heap heap = new Heap(k);
      float[] approx = new float[FileVectors.PAGE_ROWS];
      for (int u = from; u < to; u++) {
        int b = units[2 * u];
        int p = units[2 * u + 1];
        FileVectors block = blocks.get(b);
        FileVectors.Codes codes = Double.isNaN(slack) ? null : block.codes();
        if (codes == null) {
          floats(block.pages()[p], b, p * FileVectors.PAGE_ROWS, heap);
        } else {
          codes(block.pages()[p], codes.pages()[p], codes.scales()[p], b, p * FileVectors.PAGE_ROWS, heap, approx);
        }
      }
      return heap.drainBestFirst();
    }

    private void floats(float[] page, int b, int firstRow, Heap heap) {
      for (int off = 0, row = firstRow; off < page.length; off += query.length, row++) {
        heap.offer(kernel.dot(query, page, off), b, row, minScore);
      }
    }

    private void codes(float[] page, byte[] codes, float[] scales, int b, int firstRow, Heap heap, float[] approx) {
      kernel.dots(query, codes, scales.length, approx);
      for (int r = 0; r < scales.length; r++) {
        double scale = scales[r];
        // NaN (a row without a bound) compares false: rescored.
        if (scale * approx[r] + scale * slack + tiny < heap.floor(minScore)) {
          continue;
        }
        heap.offer(kernel.dot(query, page, r * query.length), b, firstRow + r, minScore);
      }
    }
  }

  /** A range of pages that one thread scans: the first to claim it. */
  private static final class Part {
    private final Scan scan;
    private final int from;
    private final int to;
    private final AtomicBoolean claimed = new AtomicBoolean();
    final CompletableFuture<List<Hit>> result = new CompletableFuture<>();

    Part(Scan scan, int from, int to) {
      this.scan = scan;
      this.from = from;
      this.to = to;
    }

    boolean claim() {
      return claimed.compareAndSet(false, true);
    }

    void runIfUnclaimed() {
      if (claim()) {
        run();
      }
    }

    void run() {
      try {
        result.complete(scan.run(from, to));
      } catch (RuntimeException | Error e) {
        result.completeExceptionally(e);
      }
    }
  }

  /** A min-heap of the best {@code k} hits seen, in parallel primitive arrays; its root is the worst kept. */
  private static final class Heap {
    private final float[] score;
    private final int[] block;
    private final int[] row;
    private int size;

    Heap(int k) {
      score = new float[k];
      block = new int[k];
      row = new int[k];
    }

    /** The score a new row must reach to enter: {@code minScore}, or the worst kept once k are. */
    float floor(float minScore) {
      return size < score.length ? minScore : Math.max(minScore, score[0]);
    }

    void offer(float s, int b, int r, float minScore) {
      if (s >= minScore && accepts(s, b, r)) {
        push(s, b, r);
      }
    }

    private boolean accepts(float s, int b, int r) {
      return size < score.length || s > score[0] || s == score[0] && (b < block[0] || b == block[0] && r < row[0]);
    }

    private void push(float s, int b, int r) {
      if (size < score.length) {
        int i = size++;
        set(i, s, b, r);
        up(i);
      } else {
        set(0, s, b, r);
        down(0);
      }
    }

    private void set(int i, float s, int b, int r) {
      score[i] = s;
      block[i] = b;
      row[i] = r;
    }

    /** True when entry i ranks below entry j (lower score; on a tie, the later one). */
    private boolean worse(int i, int j) {
      if (score[i] != score[j]) {
        return score[i] < score[j];
      }
      return block[i] != block[j] ? block[i] > block[j] : row[i] > row[j];
    }

    private void up(int i) {
      while (i > 0) {
        int parent = (i - 1) / 2;
        if (!worse(i, parent)) {
          return;
        }
        swap(i, parent);
        i = parent;
      }
    }

    private void down(int i) {
      while (true) {
        int l = 2 * i + 1;
        int worst = i;
        if (l < size && worse(l, worst)) {
          worst = l;
        }
        if (l + 1 < size && worse(l + 1, worst)) {
          worst = l + 1;
        }
        if (worst == i) {
          return;
        }
        swap(i, worst);
        i = worst;
      }
    }

    private void swap(int i, int j) {
      float s = score[i];
      score[i] = score[j];
      score[j] = s;
      int b = block[i];
      block[i] = block[j];
      block[j] = b;
      int r = row[i];
      row[i] = row[j];
      row[j] = r;
    }

    List<Hit> drainBestFirst() {
      Hit[] out = new Hit[size];
      for (int n = size; n > 0; n--) {
        out[n - 1] = new Hit(block[0], row[0], score[0]);
        size--;
        swap(0, size);
        down(0);
      }
      return new ArrayList<>(List.of(out));
    }
  }
}
