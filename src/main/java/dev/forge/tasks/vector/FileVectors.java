package dev.forge.tasks.vector;

import java.util.List;

/**
 * The vectors of one file's segments as a node holds them for search, in pages of at most
 * {@link #PAGE_ROWS} rows, each page one flat {@code float[]} (row {@code r} of a page at offset
 * {@code r × dimensions}), and the segment index of each row. Pages keep every array well under
 * half a G1 region: one array per large file would be a humongous object rounded up to whole
 * regions (measured: 37% over the raw size for 1,000-segment files). Immutable once built; shared
 * by every store of the node that holds the file.
 */
public record FileVectors(String fileId, int dimensions, int[] segments, float[][] pages) {

  /** Rows per page: 128 × 384 floats = 192 KiB, under half the smallest G1 region (1 MiB). */
  public static final int PAGE_ROWS = 128;

  public FileVectors {
    int rows = 0;
    for (int p = 0; p < pages.length; p++) {
      int n = pages[p].length / Math.max(1, dimensions);
      if (dimensions < 1 || pages[p].length != n * dimensions || (p < pages.length - 1 && n != PAGE_ROWS)) {
        throw new IllegalArgumentException("File " + fileId + ": page " + p + " of " + pages[p].length
          + " floats is not whole rows of " + dimensions + " dimensions in pages of " + PAGE_ROWS);
      }
      rows += n;
    }
    if (rows != segments.length) {
      throw new IllegalArgumentException("File " + fileId + ": " + rows + " rows for " + segments.length + " segments");
    }
  }

  /** Pages the unit vectors {@code rows} (each of {@code dimensions} floats) of the segments {@code segments}. */
  public static FileVectors of(String fileId, int dimensions, int[] segments, List<float[]> rows) {
    if (rows.size() != segments.length) {
      throw new IllegalArgumentException("File " + fileId + ": " + rows.size() + " rows for " + segments.length + " segments");
    }
    float[][] pages = new float[(rows.size() + PAGE_ROWS - 1) / PAGE_ROWS][];
    for (int p = 0; p < pages.length; p++) {
      int n = Math.min(PAGE_ROWS, rows.size() - p * PAGE_ROWS);
      pages[p] = new float[n * dimensions];
      for (int r = 0; r < n; r++) {
        float[] row = rows.get(p * PAGE_ROWS + r);
        if (row.length != dimensions) {
          throw new IllegalArgumentException("File " + fileId + ": a vector of " + row.length + " floats, not " + dimensions);
        }
        System.arraycopy(row, 0, pages[p], r * dimensions, dimensions);
      }
    }
    return new FileVectors(fileId, dimensions, segments, pages);
  }

  public int count() {
    return segments.length;
  }

  /** Bytes held on the heap: the arrays with their headers. */
  public long bytes() {
    long b = 16L + 4L * segments.length + 16L + 8L * pages.length;
    for (float[] page : pages) {
      b += 16L + 4L * page.length;
    }
    return b;
  }
}
