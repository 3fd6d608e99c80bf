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
 * every block, the best {@code k} kept in a heap of primitives. Nothing is allocated per row, so a
 * scan runs at the speed of a plain loop over the same arrays (see bench/results-vectors.md). A
 * large scan may be split by pages over idle threads of the caller's pool. Pure computation:
 * callers run it on a worker thread.
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

  /**
   * The {@code k} rows most similar to {@code query} among {@code blocks}, best first, leaving out
   * rows that score below {@code minScore} (use {@code Float.NEGATIVE_INFINITY} for none), on the
   * calling thread.
   */
  public static List<Hit> topK(float[] query, List<FileVectors> blocks, int k, float minScore) {
    check(query, blocks, k);
    Heap heap = new Heap(k);
    scan(query, pages(blocks), 0, Integer.MAX_VALUE, blocks, minScore, heap);
    return heap.drainBestFirst();
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
    check(query, blocks, k);
    int[] units = pages(blocks);
    int pages = units.length / 2;
    int n = Math.max(1, Math.min(parts, pages * FileVectors.PAGE_ROWS / SPLIT_ROWS));
    List<Part> split = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      split.add(new Part(query, blocks, units, (int) ((long) pages * i / n), (int) ((long) pages * (i + 1) / n), k,
        minScore));
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

  private static void check(float[] query, List<FileVectors> blocks, int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, not " + k);
    }
    for (FileVectors block : blocks) {
      if (block.dimensions() != query.length) {
        throw new IllegalArgumentException("File " + block.fileId() + " holds vectors of " + block.dimensions()
          + " dimensions, the query has " + query.length);
      }
    }
  }

  /** Every page as the pair (block, page) flattened into one array. */
  private static int[] pages(List<FileVectors> blocks) {
    int n = 0;
    for (FileVectors b : blocks) {
      n += b.pages().length;
    }
    int[] units = new int[2 * n];
    int u = 0;
    for (int b = 0; b < blocks.size(); b++) {
      for (int p = 0; p < blocks.get(b).pages().length; p++) {
        units[u++] = b;
        units[u++] = p;
      }
    }
    return units;
  }

  /** Scans the pages {@code from} (inclusive) to {@code to} (exclusive) of {@code units} into {@code heap}. */
  private static void scan(float[] query, int[] units, int from, int to, List<FileVectors> blocks, float minScore,
                           Heap heap) {
    int dim = query.length;
    for (int u = from; u < Math.min(to, units.length / 2); u++) {
      int b = units[2 * u];
      int p = units[2 * u + 1];
      float[] page = blocks.get(b).pages()[p];
      int firstRow = p * FileVectors.PAGE_ROWS;
      for (int off = 0, row = firstRow; off < page.length; off += dim, row++) {
        float s = dot(query, page, off);
        if (s >= minScore && heap.accepts(s, b, row)) {
          heap.push(s, b, row);
        }
      }
    }
  }

  /** The dot product of {@code q} with the {@code q.length} floats of {@code v} from {@code off}. */
  static float dot(float[] q, float[] v, int off) {
    int n = q.length;
    // Eight independent sums: the JIT does not reorder float additions, so one running sum would
    // wait on each add's latency; eight keep the multipliers busy.
    float s0 = 0;
    float s1 = 0;
    float s2 = 0;
    float s3 = 0;
    float s4 = 0;
    float s5 = 0;
    float s6 = 0;
    float s7 = 0;
    int i = 0;
    for (; i + 7 < n; i += 8) {
      s0 += q[i] * v[off + i];
      s1 += q[i + 1] * v[off + i + 1];
      s2 += q[i + 2] * v[off + i + 2];
      s3 += q[i + 3] * v[off + i + 3];
      s4 += q[i + 4] * v[off + i + 4];
      s5 += q[i + 5] * v[off + i + 5];
      s6 += q[i + 6] * v[off + i + 6];
      s7 += q[i + 7] * v[off + i + 7];
    }
    for (; i < n; i++) {
      s0 += q[i] * v[off + i];
    }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  }

  /** A range of pages that one thread scans: the first to claim it. */
  private static final class Part {
    private final float[] query;
    private final List<FileVectors> blocks;
    private final int[] units;
    private final int from;
    private final int to;
    private final int k;
    private final float minScore;
    private final AtomicBoolean claimed = new AtomicBoolean();
    final CompletableFuture<List<Hit>> result = new CompletableFuture<>();

    Part(float[] query, List<FileVectors> blocks, int[] units, int from, int to, int k, float minScore) {
      this.query = query;
      this.blocks = blocks;
      this.units = units;
      this.from = from;
      this.to = to;
      this.k = k;
      this.minScore = minScore;
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
        Heap heap = new Heap(k);
        scan(query, units, from, to, blocks, minScore, heap);
        result.complete(heap.drainBestFirst());
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

    boolean accepts(float s, int b, int r) {
      return size < score.length || s > score[0] || s == score[0] && (b < block[0] || b == block[0] && r < row[0]);
    }

    void push(float s, int b, int r) {
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
