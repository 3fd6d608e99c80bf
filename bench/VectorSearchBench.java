import dev.forge.tasks.vector.ExactSearch;
import dev.forge.tasks.vector.FileVectors;
import dev.forge.tasks.vector.MiniLmEmbedder;
import dev.forge.tasks.vector.SearchPool;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Future;

/**
 * The search side alone, in one JVM: {@code --chunks} unit vectors of 384 floats held as the server
 * holds them ({@link FileVectors}, {@code --per-file} rows per file), then
 * <ul>
 *   <li>memory: the arrays held (floats, and the int8 codes the SIMD kernel scans; counted with
 *       their headers, and as the heap grew after GC) against the vectors' raw size (chunks × 384 × 4
 *       bytes);</li>
 *   <li>scan: one exact top-10 over every vector on one thread, as searches run it (with the SIMD
 *       kernel: the int8 codes, then the candidates rescored with their floats), on one thread and
 *       split over the pool; the same with the floats only (no codes: every float read, same
 *       kernel) and over two pages in cache; against a plain float sum of the same arrays and a
 *       plain int sum of as many bytes (which the JIT vectorises: about the memory bandwidth one
 *       core gets) in the same run;</li>
 *   <li>latency of a whole search (embed the query with the real model, then scan) with 1 and 16
 *       concurrent clients, on a pool of {@code --threads} search threads (the server's search pool),
 *       p50 and p99 over {@code --searches} searches per level.</li>
 * </ul>
 * <pre>
 * mvn -q -DskipTests package
 * java --add-modules jdk.incubator.vector -Xmx2g -cp target/tasks-server.jar bench/VectorSearchBench.java \
 *   --chunks 100000 --threads 2 --searches 200
 * </pre>
 * Without {@code --add-modules jdk.incubator.vector} (or with {@code -Dtasks.vector.kernel=scalar})
 * it measures the scalar kernel, which reads the floats.
 * Prints {@code VECTOR_SEARCH_RESULT key=value ...}.
 */
public class VectorSearchBench {

  public static void main(String[] args) throws Exception {
    int chunks = 100_000;
    int perFile = 1000;
    int threads = 2;
    int searches = 200;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--chunks" -> chunks = Integer.parseInt(args[++i]);
        case "--per-file" -> perFile = Integer.parseInt(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--searches" -> searches = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    int dim = MiniLmEmbedder.DIMENSIONS;
    long heapBefore = usedHeap();
    List<FileVectors> blocks = build(chunks, perFile, dim, new Random(42));
    long heapAfter = usedHeap();
    long held = heapAfter - heapBefore;
    long raw = (long) chunks * dim * 4;
    long arrays = blocks.stream().mapToLong(FileVectors::bytes).sum();

    MiniLmEmbedder model = MiniLmEmbedder.shared();
    float[] q = model.embed("warm-up: loads the model before anything is timed");

    // Scan alone against a plain sum of the same arrays, alternated so that both see the same machine.
    int[][] ints = new int[(int) (raw / 4 / (FileVectors.PAGE_ROWS * dim))][FileVectors.PAGE_ROWS * dim];
    SearchPool pool = new SearchPool(threads);
    // The same vectors without int8 codes: the scan reads every float (with the same kernel).
    List<FileVectors> floats = new ArrayList<>();
    // And as many rows whose pages are two arrays used again and again (in cache): as fast as over
    // the 154 MB when the float scan is bound by the core, faster when it is bound by memory.
    List<FileVectors> cached = new ArrayList<>();
    for (FileVectors b : blocks) {
      floats.add(new FileVectors(b.fileId(), dim, b.segments(), b.pages(), null));
      float[][] pages = new float[b.pages().length][];
      for (int p = 0; p < pages.length; p++) {
        pages[p] = blocks.get(0).pages()[p % 2];
      }
      pages[pages.length - 1] = Arrays.copyOf(blocks.get(0).pages()[0], b.pages()[pages.length - 1].length);
      cached.add(new FileVectors(b.fileId(), dim, b.segments(), pages, null));
    }
    long codeBytes = arrays - floats.stream().mapToLong(FileVectors::bytes).sum();
    double cachedBest = Double.MAX_VALUE;
    double floatBest = Double.MAX_VALUE;
    double floatParBest = Double.MAX_VALUE;
    double scanBest = Double.MAX_VALUE;
    double parBest = Double.MAX_VALUE;
    double sumBest = Double.MAX_VALUE;
    double intBest = Double.MAX_VALUE;
    double sink = 0;
    for (int round = 0; round < 15; round++) {
      long t0 = System.nanoTime();
      sink += ExactSearch.topK(q, blocks, 10, Float.NEGATIVE_INFINITY).get(0).score();
      long t1 = System.nanoTime();
      sink += sum(blocks);
      long t2 = System.nanoTime();
      sink += intSum(ints);
      long t3 = System.nanoTime();
      sink += pool.submit(() -> pool.topK(q, blocks, 10, Float.NEGATIVE_INFINITY)).get().get(0).score();
      long t4 = System.nanoTime();
      sink += ExactSearch.topK(q, cached, 10, Float.NEGATIVE_INFINITY).get(0).score();
      long t5 = System.nanoTime();
      sink += ExactSearch.topK(q, floats, 10, Float.NEGATIVE_INFINITY).get(0).score();
      long t6 = System.nanoTime();
      sink += pool.submit(() -> pool.topK(q, floats, 10, Float.NEGATIVE_INFINITY)).get().get(0).score();
      long t7 = System.nanoTime();
      if (round >= 3) { // after the JIT has compiled every loop
        scanBest = Math.min(scanBest, t1 - t0);
        sumBest = Math.min(sumBest, t2 - t1);
        intBest = Math.min(intBest, t3 - t2);
        parBest = Math.min(parBest, t4 - t3);
        cachedBest = Math.min(cachedBest, t5 - t4);
        floatBest = Math.min(floatBest, t6 - t5);
        floatParBest = Math.min(floatParBest, t7 - t6);
      }
    }
    if (!ExactSearch.topK(q, blocks, 10, Float.NEGATIVE_INFINITY)
      .equals(ExactSearch.topK(q, floats, 10, Float.NEGATIVE_INFINITY))) {
      throw new IllegalStateException("the int8 scan and the float scan disagree");
    }
    double sumGbs = raw / sumBest;
    double intGbs = raw / intBest;
    // What the scan reads: the codes when there are (the rescored rows' floats are a few KB), else the floats.
    long scanned = codeBytes > 0 ? codeBytes : raw;

    // Whole searches: embed + scan, on a pool of `threads`, with 1 and 16 clients.
    StringBuilder latency = new StringBuilder();
    for (int clients : new int[] {1, 16}) {
      long[] took = run(pool, clients, searches, blocks, model);
      Arrays.sort(took);
      latency.append(String.format(" c%d_p50_ms=%.1f c%d_p99_ms=%.1f c%d_per_s=%.1f", clients, ms(pct(took, 0.50)),
        clients, ms(pct(took, 0.99)), clients, searches / (ms(Arrays.stream(took).sum()) / 1000.0 / clients)));
    }
    pool.close();

    long embedBest = Long.MAX_VALUE;
    for (int i = 0; i < 20; i++) {
      long t0 = System.nanoTime();
      model.embed("how do bees keep warm in winter, query number " + i);
      embedBest = Math.min(embedBest, System.nanoTime() - t0);
    }
    System.out.printf("VECTOR_SEARCH_RESULT kernel=%s chunks=%d dim=%d files=%d cores=%d search_threads=%d"
        + " raw_mb=%.1f arrays_mb=%.1f codes_mb=%.1f arrays_over_raw=%.4f heap_delta_mb=%.1f"
        + " scan_ms=%.2f scan_read_gb_s=%.2f parallel_scan_ms=%.2f float_scan_ms=%.2f float_scan_gb_s=%.2f"
        + " float_parallel_scan_ms=%.2f cached_float_scan_ms=%.2f float_sum_ms=%.2f float_sum_gb_s=%.2f"
        + " int_sum_gb_s=%.2f float_scan_over_int_sum=%.2f embed_query_ms=%.2f%s sink=%s%n",
      ExactSearch.kernel(), chunks, dim, blocks.size(), Runtime.getRuntime().availableProcessors(), threads,
      raw / 1e6, arrays / 1e6, codeBytes / 1e6, (double) arrays / raw, held / 1e6,
      scanBest / 1e6, scanned / scanBest, parBest / 1e6, floatBest / 1e6, raw / floatBest,
      floatParBest / 1e6, cachedBest / 1e6, sumBest / 1e6, sumGbs, intGbs, raw / floatBest / intGbs,
      embedBest / 1e6, latency, sink != 0);
  }

  static List<FileVectors> build(int chunks, int perFile, int dim, Random r) {
    List<FileVectors> blocks = new ArrayList<>();
    for (int start = 0, f = 0; start < chunks; start += perFile, f++) {
      int n = Math.min(perFile, chunks - start);
      List<float[]> rows = new ArrayList<>(n);
      int[] segments = new int[n];
      for (int i = 0; i < n; i++) {
        float[] v = new float[dim];
        double norm = 0;
        for (int d = 0; d < dim; d++) {
          v[d] = (float) r.nextGaussian();
          norm += v[d] * v[d];
        }
        for (int d = 0; d < dim; d++) {
          v[d] /= (float) Math.sqrt(norm);
        }
        rows.add(v);
        segments[i] = i;
      }
      blocks.add(FileVectors.of("file_" + f, dim, segments, rows));
    }
    return blocks;
  }

  static long[] run(SearchPool pool, int clients, int searches, List<FileVectors> blocks, MiniLmEmbedder model)
    throws Exception {
    long[] took = new long[searches];
    Thread[] t = new Thread[clients];
    java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
    for (int c = 0; c < clients; c++) {
      t[c] = new Thread(() -> {
        for (int i; (i = next.getAndIncrement()) < searches; ) {
          String query = "what do the documents say about subject number " + i + "?";
          long t0 = System.nanoTime();
          Future<?> f = pool.submit(() -> pool.topK(model.embed(query), blocks, 10, Float.NEGATIVE_INFINITY));
          try {
            f.get();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
          took[i] = System.nanoTime() - t0;
        }
      });
      t[c].start();
    }
    for (Thread thread : t) {
      thread.join();
    }
    return took;
  }

  /** A plain float sum of every array: the same loads as the scan, one add per float. */
  static double sum(List<FileVectors> blocks) {
    float s0 = 0;
    float s1 = 0;
    float s2 = 0;
    float s3 = 0;
    for (FileVectors b : blocks) {
      for (float[] v : b.pages()) {
        for (int i = 0; i + 3 < v.length; i += 4) {
          s0 += v[i];
          s1 += v[i + 1];
          s2 += v[i + 2];
          s3 += v[i + 3];
        }
      }
    }
    return s0 + s1 + s2 + s3;
  }

  /** A plain int sum over as many bytes (the JIT vectorises it): close to the memory bandwidth one core gets. */
  static long intSum(int[][] pages) {
    long s = 0;
    for (int[] v : pages) {
      int t = 0;
      for (int x : v) {
        t += x;
      }
      s += t;
    }
    return s;
  }

  static long pct(long[] sorted, double p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
  }

  static double ms(long nanos) {
    return nanos / 1e6;
  }

  static long usedHeap() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    return heap.getUsed();
  }
}
