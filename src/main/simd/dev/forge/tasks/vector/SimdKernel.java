package dev.forge.tasks.vector;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The scan on the Vector API (incubating in JDK 17; compiled apart from src/main/java, see pom.xml):
 * 8 floats per instruction (AVX2), four independent fused multiply-adds in flight. Int8 codes are
 * read 8 at a time and widened to floats before the multiply-add, so a row of 384 dimensions reads
 * 384 bytes instead of 1,536: the int8 scan runs about 2x faster than the float one on one core,
 * and a float scan on two cores is already near the memory bandwidth (bench/results-vectors.md).
 * Loaded by name ({@link ScanKernels}); its constructor refuses a CPU without 256-bit vectors,
 * where the API would run emulated, far slower than the scalar loop.
 */
final class SimdKernel implements ScanKernel {

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
  private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
  private static final int STEP = 4 * 8;

  SimdKernel() {
    if (FloatVector.SPECIES_PREFERRED.vectorBitSize() < F.vectorBitSize()) {
      throw new UnsupportedOperationException("this CPU has " + FloatVector.SPECIES_PREFERRED.vectorBitSize()
        + "-bit vectors, the kernel needs " + F.vectorBitSize());
    }
  }

  @Override
  public String name() {
    return "simd-int8";
  }

  @Override
  public boolean quantized() {
    return true;
  }

  @Override
  public float dot(float[] q, float[] v, int off) {
    int n = q.length;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    int i = 0;
    for (; i + STEP <= n; i += STEP) {
      a0 = mac(q, v, off, i, a0);
      a1 = mac(q, v, off, i + 8, a1);
      a2 = mac(q, v, off, i + 16, a2);
      a3 = mac(q, v, off, i + 24, a3);
    }
    float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) {
      s = Math.fma(q[i], v[off + i], s);
    }
    return s;
  }

  @Override
  public void dots(float[] q, byte[] codes, int rows, float[] out) {
    int n = q.length;
    FloatVector zero = FloatVector.zero(F);
    for (int r = 0, off = 0; r < rows; r++, off += n) {
      FloatVector a0 = zero;
      FloatVector a1 = zero;
      FloatVector a2 = zero;
      FloatVector a3 = zero;
      int i = 0;
      for (; i + STEP <= n; i += STEP) {
        a0 = FloatVector.fromArray(F, q, i).fma(widen(codes, off + i), a0);
        a1 = FloatVector.fromArray(F, q, i + 8).fma(widen(codes, off + i + 8), a1);
        a2 = FloatVector.fromArray(F, q, i + 16).fma(widen(codes, off + i + 16), a2);
        a3 = FloatVector.fromArray(F, q, i + 24).fma(widen(codes, off + i + 24), a3);
      }
      float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
      for (; i < n; i++) {
        s = Math.fma(q[i], codes[off + i], s);
      }
      out[r] = s;
    }
  }

  /** {@code acc} + the 8 products of {@code q} from {@code i} with {@code v} from {@code off + i}. */
  private static FloatVector mac(float[] q, float[] v, int off, int i, FloatVector acc) {
    return FloatVector.fromArray(F, q, i).fma(FloatVector.fromArray(F, v, off + i), acc);
  }

  private static FloatVector widen(byte[] codes, int off) {
    return (FloatVector) ByteVector.fromArray(B, codes, off).convertShape(VectorOperators.B2F, F, 0);
  }
}
