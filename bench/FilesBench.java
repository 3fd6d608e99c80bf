
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.poi.xwpf.usermodel.XWPFDocument;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.parser.AutoDetectParser;
import org.apache.tika.parser.ParseContext;
import org.apache.tika.sax.BodyContentHandler;

/**
 * The files benchmark's client, run from the shaded jar (which brings Tika, PDFBox and POI):
 *
 * <pre>
 * java -cp target/tasks-server.jar bench/FilesBench.java fixtures DIR
 *     writes bench files: pdf (60 pages), docx, html, md and txt, each about 2-4 MB of text
 * java -cp target/tasks-server.jar bench/FilesBench.java process URL DIR ROUNDS FLAT ID_PREFIX
 *     MB of text (the characters Tika extracts) per second, per format, in ROUNDS interleaved rounds
 *     after a warm-up round: Tika alone (AutoDetectParser + BodyContentHandler, one thread, this JVM);
 *     the server end to end (one upload, from its start to its task's completion); the task alone
 *     (the task's created_at to its completion, from the tasks table: claim, extraction, chunking,
 *     segment writes, analysis, done); flat out (FLAT files uploaded ahead with their tasks held
 *     back, then released at once: from the release to the last completion, the node's throughput).
 *     Needs psql on PATH and PG* naming the node's database (PGDATABASE): "ROUND ..." and "RATE ..."
 * java -cp target/tasks-server.jar bench/FilesBench.java upload URL COUNT MIB
 *     COUNT concurrent uploads of MIB MiB each, streamed from a generator (the client holds none
 *     whole): "UPLOAD ok=N failed=N seconds=S MB/s=R"
 * java -cp target/tasks-server.jar bench/FilesBench.java flood URL DIR SECONDS ID_PREFIX
 *     uploads the txt and pdf files over and over for SECONDS (files processed flat out), ids
 *     ID_PREFIX%013d, so that bench/paced.c can poll their tasks
 * </pre>
 */
public final class FilesBench {

  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
    .connectTimeout(Duration.ofSeconds(5)).build();
  static final String[] FORMATS = {"pdf", "docx", "html", "md", "txt"};

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "fixtures" -> fixtures(Path.of(args[1]));
      case "process" -> process(args[1], Path.of(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]), args[5]);
      case "upload" -> upload(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
      case "flood" -> flood(args[1], Path.of(args[2]), Integer.parseInt(args[3]), args[4]);
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  static String sentence(int n) {
    return "Honey bees in hive number " + n + " keep the colony warm by clustering and shivering their flight muscles.";
  }

  static void fixtures(Path dir) throws Exception {
    Files.createDirectories(dir);
    int n = 0;
    try (PDDocument doc = new PDDocument()) {
      PDType1Font font = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
      for (int p = 0; p < 400; p++) {
        PDPage page = new PDPage();
        doc.addPage(page);
        try (PDPageContentStream content = new PDPageContentStream(doc, page)) {
          content.beginText();
          content.setFont(font, 7);
          content.setLeading(9);
          content.newLineAtOffset(20, 760);
          for (int line = 0; line < 80; line++) {
            content.showText(sentence(n++));
            content.newLine();
          }
          content.endText();
        }
      }
      doc.save(dir.resolve("bench.pdf").toFile());
    }
    try (XWPFDocument doc = new XWPFDocument(); var out = Files.newOutputStream(dir.resolve("bench.docx"))) {
      for (int p = 0; p < 8000; p++) {
        doc.createParagraph().createRun().setText(sentence(3 * p) + " " + sentence(3 * p + 1) + " " + sentence(3 * p + 2));
      }
      doc.write(out);
    }
    StringBuilder html = new StringBuilder("<html><head><title>bench</title><style>p{}</style></head><body>");
    StringBuilder md = new StringBuilder("# Bench\n\n");
    StringBuilder txt = new StringBuilder();
    for (int p = 0; p < 8000; p++) {
      String para = sentence(3 * p) + " " + sentence(3 * p + 1) + " " + sentence(3 * p + 2);
      html.append("<p>").append(para).append("</p><script>var x = ").append(p).append(";</script>\n");
      md.append(p % 20 == 0 ? "## Part " + p + "\n\n" : "").append(para).append("\n\n");
      txt.append(para).append("\n\n");
    }
    Files.writeString(dir.resolve("bench.html"), html.append("</body></html>"));
    Files.writeString(dir.resolve("bench.md"), md);
    Files.writeString(dir.resolve("bench.txt"), txt);
  }

  /** Characters of text Tika extracts from the file (the MB of "MB/s of text"). */
  static long extract(Path file) throws Exception {
    BodyContentHandler handler = new BodyContentHandler(-1);
    try (InputStream in = Files.newInputStream(file)) {
      new AutoDetectParser().parse(in, handler, new Metadata(), new ParseContext());
    }
    return handler.toString().length();
  }

  /** The measures of one format over the counted rounds. */
  static final class Rates {
    long chars;
    double tika;
    double endToEnd;
    double task;
    double flat;
    final List<String> rounds = new ArrayList<>();
  }

  /**
   * Tika alone and the server on the same files, interleaved: each round takes every format in turn
   * through Tika (one thread, this JVM), one upload timed end to end, and a flat-out batch of
   * {@code flat} files uploaded ahead (their tasks held back) and then released at once. Round 0
   * warms both up and is not counted.
   */
  static void process(String url, Path dir, int rounds, int flat, String idPrefix) throws Exception {
    java.util.Map<String, Rates> rates = new java.util.LinkedHashMap<>();
    for (String format : FORMATS) {
      Rates m = new Rates();
      m.chars = extract(dir.resolve("bench." + format));
      rates.put(format, m);
    }
    for (int r = 0; r <= rounds; r++) {
      for (String format : FORMATS) {
        Path file = dir.resolve("bench." + format);
        Rates m = rates.get(format);
        long t0 = System.nanoTime();
        extract(file);
        double tika = (System.nanoTime() - t0) / 1e9;
        String id = idPrefix + "-" + format + "-s" + r;
        t0 = System.nanoTime();
        uploadAndWait(url, file, id);
        double endToEnd = (System.nanoTime() - t0) / 1e9;
        double task = Double.parseDouble(sql("SELECT extract(epoch FROM updated_at - created_at) FROM tasks "
          + "WHERE id = 'upload-" + id + "'"));
        double flatSeconds = flat(url, file, idPrefix + "-" + format + "-f" + r, flat);
        String line = String.format(Locale.ROOT, "ROUND %d %s ms: tika %.0f, end to end %.0f, task %.0f, flat %d in %.0f"
          + " (ratios: end to end %.2f, task %.2f, flat %.2f)", r, format, tika * 1e3, endToEnd * 1e3, task * 1e3, flat,
          flatSeconds * 1e3, tika / endToEnd, tika / task, tika * flat / flatSeconds);
        System.out.println(line + (r == 0 ? " warm-up" : ""));
        if (r > 0) {
          m.tika += tika;
          m.endToEnd += endToEnd;
          m.task += task;
          m.flat += flatSeconds / flat;
          m.rounds.add(line);
        }
      }
    }
    for (var e : rates.entrySet()) {
      Rates m = e.getValue();
      double mb = m.chars * rounds / 1e6;
      System.out.printf(Locale.ROOT, "RATE %s MB/s of text (%d chars x %d rounds): tika %.2f, end to end %.2f, task %.2f,"
          + " flat out %.2f; server/tika: end to end %.2f, task %.2f, flat out %.2f%n", e.getKey(), m.chars, rounds,
        mb / m.tika, mb / m.endToEnd, mb / m.task, mb / m.flat, m.tika / m.endToEnd, m.tika / m.task, m.tika / m.flat);
    }
  }

  /**
   * {@code count} copies of {@code file} uploaded while the node's tasks are held back (their
   * {@code run_after} default pushed a day ahead), then released in one statement and the node woken:
   * seconds from the release to the last completion, on the database's clock.
   */
  static double flat(String url, Path file, String idPrefix, int count) throws Exception {
    sql("ALTER TABLE tasks ALTER COLUMN run_after SET DEFAULT now() + interval '1 day'");
    try {
      for (int i = 0; i < count; i++) {
        String id = idPrefix + "-" + i;
        String body = post(url, file, id);
        if (!body.contains("\"upload-" + id + "\"")) {
          throw new IllegalStateException("upload failed: " + body);
        }
      }
    } finally {
      sql("ALTER TABLE tasks ALTER COLUMN run_after SET DEFAULT now()");
    }
    double start = Double.parseDouble(sql("UPDATE tasks SET run_after = now() WHERE id LIKE 'upload-" + idPrefix
      + "-%' AND status = 'pending'; SELECT extract(epoch FROM now())"));
    // Held tasks are not announced again: a task of the type wakes the node (it fails at once, no file_id).
    HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v1/tasks")).header("Content-Type", "application/json")
      .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"file_processing\",\"input\":{}}")).build(),
      HttpResponse.BodyHandlers.ofString());
    for (int i = 0; i < count; i++) {
      waitFor(url, idPrefix + "-" + i);
    }
    return Double.parseDouble(sql("SELECT extract(epoch FROM max(updated_at)) FROM tasks WHERE id LIKE 'upload-"
      + idPrefix + "-%'")) - start;
  }

  /** One statement (or several: the last one's result) through psql, on the database PG* names. */
  static String sql(String statement) throws Exception {
    Process p = new ProcessBuilder("psql", "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", statement).redirectErrorStream(true)
      .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (p.waitFor() != 0) {
      throw new IllegalStateException("psql: " + out);
    }
    return out;
  }

  static void uploadAndWait(String url, Path file, String id) throws Exception {
    String body = post(url, file, id);
    if (!body.contains("\"upload-" + id + "\"")) {
      throw new IllegalStateException("upload failed: " + body);
    }
    waitFor(url, id);
  }

  static void waitFor(String url, String id) throws Exception {
    String status = "";
    while (!status.matches("completed|failed|cancelled")) {
      String task = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v1/tasks/upload-" + id + "?wait=30")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
      Matcher m = Pattern.compile("\"status\":\"([a-z_]+)\"").matcher(task);
      status = m.find() ? m.group(1) : "";
    }
    if (!status.equals("completed")) {
      throw new IllegalStateException("task upload-" + id + " " + status);
    }
  }

  /** A multipart body as aiohttp writes it: the file first, then the id. */
  static String post(String url, Path file, String id) throws Exception {
    String boundary = UUID.randomUUID().toString().replace("-", "");
    byte[] head = ("--" + boundary + "\r\nContent-Type: application/octet-stream\r\nContent-Disposition: form-data; "
      + "name=\"file\"; filename=\"" + file.getFileName() + "\"\r\n\r\n").getBytes(StandardCharsets.UTF_8);
    byte[] tail = ("\r\n--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: "
      + "form-data; name=\"id\"\r\n\r\n" + id + "\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
    byte[] data = Files.readAllBytes(file);
    byte[] all = new byte[head.length + data.length + tail.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(data, 0, all, head.length, data.length);
    System.arraycopy(tail, 0, all, head.length + data.length, tail.length);
    return HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v1/files"))
      .header("Content-Type", "multipart/form-data; boundary=" + boundary)
      .POST(HttpRequest.BodyPublishers.ofByteArray(all)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  /** A generated multipart upload of {@code bytes} of text, streamed (never held whole). */
  static InputStream generated(String boundary, long bytes) {
    byte[] head = ("--" + boundary + "\r\nContent-Type: text/plain\r\nContent-Disposition: form-data; name=\"file\"; "
      + "filename=\"big.txt\"\r\n\r\n").getBytes(StandardCharsets.UTF_8);
    byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
    byte[] line = (sentence(7) + "\n").getBytes(StandardCharsets.UTF_8);
    return new InputStream() {
      long pos;
      final long total = head.length + bytes + tail.length;

      @Override
      public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (pos >= total) {
          return -1;
        }
        int n = 0;
        while (n < len && pos < total) {
          long p = pos;
          b[off + n++] = p < head.length ? head[(int) p] : p < head.length + bytes
            ? line[(int) ((p - head.length) % line.length)] : tail[(int) (p - head.length - bytes)];
          pos++;
        }
        return n;
      }
    };
  }

  static void upload(String url, int count, int mib) throws Exception {
    long bytes = (long) mib * 1024 * 1024;
    ExecutorService pool = Executors.newFixedThreadPool(count);
    List<Future<Integer>> results = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < count; i++) {
      results.add(pool.submit(() -> {
        String boundary = UUID.randomUUID().toString().replace("-", "");
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v1/files"))
          .timeout(Duration.ofMinutes(10))
          .header("Content-Type", "multipart/form-data; boundary=" + boundary)
          .POST(HttpRequest.BodyPublishers.ofInputStream(() -> generated(boundary, bytes))).build(),
          HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          System.err.println("upload " + r.statusCode() + " " + r.body());
        }
        return r.statusCode();
      }));
    }
    int ok = 0;
    for (Future<Integer> f : results) {
      ok += f.get() == 200 ? 1 : 0;
    }
    double s = (System.nanoTime() - t0) / 1e9;
    pool.shutdown();
    System.out.printf(Locale.ROOT, "UPLOAD ok=%d failed=%d seconds=%.1f MB/s=%.1f%n", ok, count - ok, s,
      count * bytes / 1e6 / s);
  }

  static void flood(String url, Path dir, int seconds, String idPrefix) throws Exception {
    System.out.println("FLOOD_STARTED " + Instant.now());
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    int seq = 0;
    while (System.nanoTime() < end) {
      // ids 1, 2 and 3 exist at once (bench/run-files polls them); then one more pair each turn.
      for (String format : new String[] {"txt", "pdf"}) {
        post(url, dir.resolve("bench." + format), String.format("%s%013d", idPrefix, ++seq));
      }
      // Keep the queue short: wait for the last one before the next pair.
      String md = String.format("%s%013d", idPrefix, ++seq);
      post(url, dir.resolve("bench.md"), md);
      waitFor(url, md);
    }
    System.out.println("FLOOD_ENDED " + Instant.now() + " uploads=" + seq);
  }

}
