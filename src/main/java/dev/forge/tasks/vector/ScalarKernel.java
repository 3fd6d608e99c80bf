package dev.forge.tasks.vector;

/**
 * The scan in plain Java: what runs when the Vector API is absent. C2 of JDK 17 vectorises neither
 * a float reduction nor a byte product, so reading int8 codes does not pay here (measured in
 * bench/results-vectors.md): the scan reads the floats.
 */
final class ScalarKernel implements ScanKernel {

  static final ScalarKernel INSTANCE = new ScalarKernel();

  private ScalarKernel() {
  }

  @Override
  public float dot(float[] q, float[] v, int off) {
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

  @Override
  public void dots(float[] q, byte[] codes, int rows, float[] out) {
    int n = q.length;
    for (int r = 0; r < rows; r++) {
      float s0 = 0;
      float s1 = 0;
      int off = r * n;
      int i = 0;
      for (; i + 1 < n; i += 2) {
        s0 += q[i] * codes[off + i];
        s1 += q[i + 1] * codes[off + i + 1];
      }
      if (i < n) {
        s0 += q[i] * codes[off + i];
      }
      out[r] = s0 + s1;
    }
  }

  @Override
  public String name() {
    return "scalar";
  }

  @Override
  public boolean quantized() {
    return false;
  }
}
