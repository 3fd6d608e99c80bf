package dev.forge.tasks.vector;

import java.util.List;

/**
 * The vectors of one file's segments as a node holds them for search, in pages of at most
 * {@link #PAGE_ROWS} rows, each page one flat {@code float[]} (row {@code r} of a page at offset
 * {@code r × dimensions}), and the segment index of each row. Pages keep every array well under
 * half a G1 region: one array per large file would be a humongous object rounded up to whole
 * regions (measured: 37% over the raw size for 1,000-segment files). Immutable once built; shared
 * by every store of the node that holds the file.
 *
 * <p>With a kernel that scans them ({@link ScanKernel#quantized()}), the rows are also held as int8
 * {@link Codes}, a quarter of the floats' bytes: the scan reads those and rescores with the floats
 * only the rows whose score could reach the top k ({@link ExactSearch}). {@code codes} is null
 * otherwise.
 */
public record FileVectors(String fileId, int dimensions, int[] segments, float[][] pages, Codes codes) {

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
      if (codes != null && (codes.pages().length != pages.length || codes.pages()[p].length != pages[p].length
        || codes.scales()[p].length != n)) {
        throw new IllegalArgumentException("File " + fileId + ": the codes of page " + p + " do not match its rows");
      }
      rows += n;
    }
    if (rows != segments.length) {
      throw new IllegalArgumentException("File " + fileId + ": " + rows + " rows for " + segments.length + " segments");
    }
  }

  /** The pages, with int8 codes when the kernel searches use reads them. */
  public FileVectors(String fileId, int dimensions, int[] segments, float[][] pages) {
    this(fileId, dimensions, segments, pages,
      ScanKernels.ACTIVE.quantized() && dimensions > 0 ? Codes.of(pages, dimensions) : null);
  }

  /**
   * The rows of the pages as int8: row {@code r} of page {@code p} is
   * {@code scales[p][r] × pages[p][r × dimensions + i]} within half a scale per value, its scale
   * being its largest magnitude / 127. A scale of NaN marks a row that cannot be bounded that way
   * (a value not finite, or too small to scale): the scan always rescores it.
   */
  public record Codes(byte[][] pages, float[][] scales) {

    /** Quantises the whole rows of {@code floats}. */
    static Codes of(float[][] floats, int dimensions) {
      byte[][] codes = new byte[floats.length][];
      float[][] scales = new float[floats.length][];
      for (int p = 0; p < floats.length; p++) {
        int rows = floats[p].length / dimensions;
        codes[p] = new byte[floats[p].length];
        scales[p] = new float[rows];
        for (int r = 0; r < rows; r++) {
          scales[p][r] = quantise(floats[p], codes[p], r * dimensions, dimensions);
        }
      }
      return new Codes(codes, scales);
    }

    private static float quantise(float[] x, byte[] out, int off, int n) {
      float max = 0;
      for (int i = 0; i < n; i++) {
        max = Math.max(max, Math.abs(x[off + i]));
      }
      if (max == 0) {
        return 0; // all zeros, codes zero: the approximation is exact
      }
      float scale = max / 127f;
      if (!Float.isFinite(max) || scale < Float.MIN_NORMAL) {
        return Float.NaN;
      }
      for (int i = 0; i < n; i++) {
        out[off + i] = (byte) Math.max(-127, Math.min(127, Math.round(x[off + i] / scale)));
      }
      return scale;
    }

    /** Bytes held on the heap: the arrays with their headers. */
    long bytes() {
      long b = 2 * (16L + 8L * pages.length);
      for (int p = 0; p < pages.length; p++) {
        b += 16L + pages[p].length + 16L + 4L * scales[p].length;
      }
      return b;
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

  /** Bytes held on the heap: the arrays with their headers, codes included. */
  public long bytes() {
    long b = 16L + 4L * segments.length + 16L + 8L * pages.length;
    for (float[] page : pages) {
      b += 16L + 4L * page.length;
    }
    return codes == null ? b : b + codes.bytes();
  }
}
