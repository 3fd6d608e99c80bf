package dev.forge.tasks.vector;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks the scan kernel once per JVM: {@code SimdKernel} when the Vector API is there (the JVM
 * started with {@code --add-modules jdk.incubator.vector}) and the CPU has 256-bit vectors, else
 * {@link ScalarKernel}. The SIMD class is compiled apart (src/main/simd) and loaded by name, so the
 * server runs, slower, without the module. The system property {@code tasks.vector.kernel=scalar}
 * forces the scalar one (benchmarks compare the two with it).
 */
final class ScanKernels {

  private static final Logger LOG = LoggerFactory.getLogger(ScanKernels.class);
  static final String SIMD_CLASS = "dev.forge.tasks.vector.SimdKernel";

  /** The kernel searches use. */
  static final ScanKernel ACTIVE = load();

  private ScanKernels() {
  }

  private static ScanKernel load() {
    if ("scalar".equals(System.getProperty("tasks.vector.kernel"))) {
      LOG.info("Vector search: scalar scan kernel (tasks.vector.kernel=scalar)");
      return ScalarKernel.INSTANCE;
    }
    ScanKernel simd = simd();
    if (simd != null) {
      LOG.info("Vector search: {} scan kernel (int8 codes scanned with the Vector API, candidates rescored "
        + "with the floats)", simd.name());
      return simd;
    }
    return ScalarKernel.INSTANCE;
  }

  /** The SIMD kernel, or null (logged once, with the reason) when this JVM or CPU cannot run it. */
  static ScanKernel simd() {
    try {
      return (ScanKernel) Class.forName(SIMD_CLASS).getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | LinkageError | UnsupportedOperationException e) {
      Throwable why = e.getCause() != null ? e.getCause() : e;
      LOG.info("Vector search: scalar scan kernel, its scan about 2.5x slower than SIMD ({}: {}); start java with "
        + "--add-modules jdk.incubator.vector for the SIMD one", why.getClass().getSimpleName(), why.getMessage());
      return null;
    }
  }
}
