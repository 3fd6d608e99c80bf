package dev.forge.tasks.vector;

/**
 * The arithmetic of a scan: dot products of a query with rows of floats, and with rows of int8
 * codes ({@link FileVectors.Codes}). Two implementations: {@link ScalarKernel} in plain Java, and
 * {@code SimdKernel} (src/main/simd) on the Vector API when the JVM runs with
 * {@code --add-modules jdk.incubator.vector}; {@link ScanKernels#ACTIVE} is the one searches use.
 *
 * <p>Any summation order is allowed, so long as a kernel returns the same value for the same
 * arguments every time: {@link ExactSearch} bounds the rounding of any order (n terms, each sum
 * within n units in the last place of the sum of magnitudes).
 */
interface ScanKernel {

  /** What the logs and the benchmarks call it. */
  String name();

  /** True when reading int8 codes pays with this kernel (it then scans codes and rescores candidates). */
  boolean quantized();

  /** The dot product of {@code q} with the {@code q.length} floats of {@code v} from {@code off}. */
  float dot(float[] q, float[] v, int off);

  /**
   * For each of the first {@code rows} rows of {@code codes} (row {@code r} at offset
   * {@code r × q.length}): {@code out[r]} = the dot product of {@code q} with the row's codes, in float.
   */
  void dots(float[] q, byte[] codes, int rows, float[] out);
}
