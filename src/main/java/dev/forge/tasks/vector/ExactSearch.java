package dev.forge.tasks.vector;

import java.util.ArrayList;
import java.util.List;

/**
 * Exact cosine top-k over unit-length vectors: the dot product of the query with every row of
 * every block, best {@code k} kept in a heap of primitives. Nothing is allocated per row, so a scan
 * runs at close to memory speed (see bench/results-vectors.md). Pure computation: callers run it on
 * a worker thread.
 */
public final class ExactSearch {

  /** One result: the block (in the order given), the row within it, and the cosine similarity. */
  public record Hit(int block, int row, float score) {
  }

  private ExactSearch() {
  }

  /**
   * The {@code k} rows most similar to {@code query} among {@code blocks}, best first, leaving out
   * rows that score below {@code minScore} (use {@code Float.NEGATIVE_INFINITY} for none). Ties are
   * broken by order: the earlier block and row first.
   */
  public static List<Hit> topK(float[] query, List<FileVectors> blocks, int k, float minScore) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, not " + k);
    }
    Heap heap = new Heap(k);
    for (int b = 0; b < blocks.size(); b++) {
      FileVectors block = blocks.get(b);
      if (block.dimensions() != query.length) {
        throw new IllegalArgumentException("File " + block.fileId() + " holds vectors of " + block.dimensions()
          + " dimensions, the query has " + query.length);
      }
      float[] v = block.vectors();
      int dim = query.length;
      for (int row = 0, off = 0; row < block.count(); row++, off += dim) {
        float s = dot(query, v, off);
        if (s >= minScore && heap.accepts(s)) {
          heap.push(s, b, row);
        }
      }
    }
    return heap.drainBestFirst();
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

  /** A min-heap of the best {@code k} scores seen, in parallel primitive arrays. */
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

    boolean accepts(float s) {
      return size < score.length || s > score[0];
    }

    void push(float s, int b, int r) {
      if (size < score.length) {
        int i = size++;
        score[i] = s;
        block[i] = b;
        row[i] = r;
        up(i);
      } else {
        score[0] = s;
        block[0] = b;
        row[0] = r;
        down(0);
      }
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
