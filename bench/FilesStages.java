package dev.forge.tasks.file;

import dev.forge.tasks.job.TextAnalysis;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.apache.tika.detect.AutoDetectReader;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.parser.AutoDetectParser;
import org.apache.tika.parser.ParseContext;
import org.apache.tika.sax.BodyContentHandler;

/**
 * What the file_processing job computes, stage by stage, against Tika alone, on one plain-text or
 * Markdown file held in memory, one thread, warm (30 rounds; medians of the last 20): Tika alone
 * (AutoDetectParser + BodyContentHandler, as bench/FilesBench.java times it), the same text only
 * decoded (Tika's charset detection and a Reader), decoded into the job's TextSink + Chunker
 * (segments made, none stored), and TextAnalysis of the part the job analyses. It is in the
 * server's package for TextSink and Chunker, so it is compiled against the jar, not run as a source
 * file (bench/results-files.md):
 *
 *   java -cp target/tasks-server.jar bench/FilesBench.java fixtures /tmp/fx
 *   javac -d /tmp/stages -cp target/tasks-server.jar bench/FilesStages.java
 *   java -cp target/tasks-server.jar:/tmp/stages dev.forge.tasks.file.FilesStages /tmp/fx/bench.txt
 */
public final class FilesStages {

  public static void main(String[] args) throws Exception {
    byte[] bytes = Files.readAllBytes(Path.of(args[0]));
    int rounds = 30;
    double[][] ms = new double[4][rounds];
    long chars = 0;
    int chunks = 0;
    for (int r = 0; r < rounds; r++) {
      long t0 = System.nanoTime();
      BodyContentHandler tika = new BodyContentHandler(-1);
      new AutoDetectParser().parse(new ByteArrayInputStream(bytes), tika, new Metadata(), new ParseContext());
      long t1 = System.nanoTime();
      try (AutoDetectReader reader = new AutoDetectReader(new ByteArrayInputStream(bytes), new Metadata())) {
        char[] buf = new char[8192];
        while (reader.read(buf) > 0) {
          // decoding only
        }
      }
      long t2 = System.nanoTime();
      int[] made = {0};
      TextSink sink = new TextSink(new Chunker(c -> made[0]++));
      try (AutoDetectReader reader = new AutoDetectReader(new ByteArrayInputStream(bytes), new Metadata())) {
        char[] buf = new char[8192];
        for (int n; (n = reader.read(buf)) > 0; ) {
          sink.text(buf, 0, n);
        }
      }
      sink.paragraphBreak();
      long t3 = System.nanoTime();
      TextAnalysis.analyse(sink.analysisText(), 5, 10, (fraction, stage) -> { });
      long t4 = System.nanoTime();
      ms[0][r] = (t1 - t0) / 1e6;
      ms[1][r] = (t2 - t1) / 1e6;
      ms[2][r] = (t3 - t2) / 1e6;
      ms[3][r] = (t4 - t3) / 1e6;
      chars = tika.toString().length();
      chunks = made[0];
    }
    System.out.printf(Locale.ROOT, "%s: %d bytes, %d characters (Tika), %d segments; medians of rounds 11-%d, ms: "
        + "Tika alone %.1f, decode only %.1f, decode + TextSink + Chunker %.1f, analysis %.1f%n", args[0], bytes.length,
      chars, chunks, rounds, median(ms[0]), median(ms[1]), median(ms[2]), median(ms[3]));
  }

  private static double median(double[] all) {
    double[] warm = Arrays.copyOfRange(all, 10, all.length);
    Arrays.sort(warm);
    return warm[warm.length / 2];
  }
}
