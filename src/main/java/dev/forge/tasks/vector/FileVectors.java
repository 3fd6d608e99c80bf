package dev.forge.tasks.vector;

/**
 * The vectors of one file's segments as a node holds them for search: one flat {@code float[]}
 * ({@code count × dimensions}, row {@code i} at offset {@code i × dimensions}) and the segment
 * index of each row. Immutable once built; shared by every store of the node that holds the file.
 */
public record FileVectors(String fileId, int dimensions, int[] segments, float[] vectors) {

  public FileVectors {
    if (dimensions < 1 || vectors.length != segments.length * dimensions) {
      throw new IllegalArgumentException("File " + fileId + ": " + vectors.length + " floats for "
        + segments.length + " segments of " + dimensions + " dimensions");
    }
  }

  public int count() {
    return segments.length;
  }

  /** Bytes held: the two arrays with their headers. */
  public long bytes() {
    return 16L + 4L * segments.length + 16L + 4L * vectors.length;
  }
}
