package dev.forge.tasks.file;

import dev.forge.tasks.job.JobFailure;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Set;
import org.apache.tika.exception.EncryptedDocumentException;
import org.apache.tika.exception.TikaException;
import org.apache.tika.io.TikaInputStream;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.metadata.Office;
import org.apache.tika.metadata.PagedText;
import org.apache.tika.mime.MediaType;
import org.apache.tika.parser.AutoDetectParser;
import org.apache.tika.parser.ParseContext;
import org.apache.tika.parser.microsoft.OfficeParserConfig;
import org.apache.tika.parser.pdf.PDFParserConfig;
import org.xml.sax.Attributes;
import org.xml.sax.SAXException;
import org.xml.sax.helpers.DefaultHandler;
import java.io.FilterInputStream;

/**
 * Extracts a file's text with Apache Tika (the format detected from the bytes, never the name)
 * into a {@link TextSink}, within bounds: at most {@code maxChars} characters of text (and no more
 * than Tika's own ratio of text to input, its zip-bomb guard), at most {@code timeoutMs} of
 * parsing, PDFs held in at most {@value #PDF_MEMORY_BYTES} bytes of heap (the rest in scratch
 * files), Word and PowerPoint files streamed, HTML pages up to {@value #MAX_HTML_BYTES} bytes, no
 * embedded documents. Every way it can fail is a {@link JobFailure} whose message the
 * client reads.
 */
final class TextExtractor {

  static final long PDF_MEMORY_BYTES = 64L * 1024 * 1024;
  private static final AutoDetectParser PARSER = new AutoDetectParser();
  private static final Set<String> BLOCKS = Set.of("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "td",
    "th", "pre", "blockquote", "dt", "dd", "table", "ul", "ol", "section", "article", "title");

  /** What was found besides the text. */
  record Extracted(String mediaType, String fileType, int pageCount) {
  }

  /** Thrown from the handler to stop a parse; carries the failure to report. */
  private static final class Stop extends SAXException {
    private final transient Exception reason;

    Stop(Exception reason) {
      super(reason.getMessage());
      this.reason = reason;
    }
  }

  /** Reading the file itself failed (not its content): carries the job's failure (or cancellation) to report. */
  static final class SourceFailed extends IOException {
    private final transient Exception reason;

    SourceFailed(Exception reason) {
      super(reason.getMessage(), null);
      this.reason = reason;
    }

    Exception reason() {
      return reason;
    }
  }

  /** Checked on every run of text: cancellation and progress (may throw to stop). */
  interface Checkpoint {
    void check(long bytesRead) throws Exception;
  }

  private TextExtractor() {
  }

  /** The detected media type of {@code stream} (marks and resets it). */
  static MediaType detect(TikaInputStream stream) throws IOException {
    return PARSER.getDetector().detect(stream, new Metadata());
  }

  /**
   * The largest file of this type that is parsed: HTML is parsed into a whole document tree (jsoup),
   * several times the page's size in heap, so big pages are refused rather than risk the node.
   */
  static long maxBytes(MediaType type) {
    String base = type.getBaseType().toString();
    return base.equals("text/html") || base.equals("application/xhtml+xml") ? MAX_HTML_BYTES : Long.MAX_VALUE;
  }

  static final long MAX_HTML_BYTES = 16L * 1024 * 1024;

  static boolean supported(MediaType type) {
    Set<MediaType> types = PARSER.getSupportedTypes(new ParseContext());
    return !type.equals(MediaType.OCTET_STREAM) && (types.contains(type) || types.contains(type.getBaseType()));
  }

  /**
   * Parses {@code stream} of detected type {@code type} into {@code sink}; {@code counted} tells how
   * many bytes were read so far.
   */
  static Extracted extract(TikaInputStream stream, MediaType type, String filename, TextSink sink, long maxChars,
                           long timeoutMs, Checkpoint checkpoint, CountingStream counted)
    throws Exception {
    Metadata metadata = new Metadata();
    metadata.set(Metadata.CONTENT_TYPE, type.toString());
    ParseContext context = new ParseContext();
    PDFParserConfig pdf = new PDFParserConfig();
    pdf.setMaxMainMemoryBytes(PDF_MEMORY_BYTES);
    pdf.setExtractInlineImages(false);
    context.set(PDFParserConfig.class, pdf);
    OfficeParserConfig office = new OfficeParserConfig();
    office.setUseSAXDocxExtractor(true); // streams the document's XML instead of building its object model
    office.setUseSAXPptxExtractor(true);
    context.set(OfficeParserConfig.class, office);
    Handler handler = new Handler(sink, new Bounds(maxChars, System.nanoTime() + timeoutMs * 1_000_000, timeoutMs,
      checkpoint, counted));
    try {
      PARSER.parse(stream, handler, metadata, context);
    } catch (Stop stop) {
      throw stop.reason;
    } catch (EncryptedDocumentException e) {
      throw JobFailure.fatal("The file is encrypted (password-protected): upload it without a password.");
    } catch (TikaException | SAXException | IOException | RuntimeException e) {
      Throwable stop = causeOfType(e, Stop.class);
      if (stop instanceof Stop s) {
        throw s.reason;
      }
      if (causeOfType(e, SourceFailed.class) instanceof SourceFailed f) {
        throw f.reason;
      }
      if (e instanceof RuntimeException r) {
        throw r;
      }
      if (causeOfType(e, EncryptedDocumentException.class) != null) {
        throw JobFailure.fatal("The file is encrypted (password-protected): upload it without a password.");
      }
      String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
      if (message.contains("zip bomb") || message.contains("compression ratio")) {
        throw JobFailure.fatal("The file expands to far more text than its size (a decompression bomb?): "
          + "it was not processed.");
      }
      throw JobFailure.fatal("The file could not be read as " + fileTypeOf(type, filename)
        + ": it is damaged or not what its content claims to be.");
    }
    sink.paragraphBreak();
    int pages = pageCount(metadata);
    return new Extracted(type.getBaseType().toString(), fileTypeOf(type, filename), pages > 0 ? pages : sink.pages());
  }

  private static Throwable causeOfType(Throwable e, Class<?> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return t;
      }
    }
    return null;
  }

  private static int pageCount(Metadata metadata) {
    for (String value : new String[] {metadata.get(PagedText.N_PAGES), metadata.get(Office.PAGE_COUNT)}) {
      if (value != null && value.chars().allMatch(Character::isDigit) && !value.isEmpty() && value.length() < 9) {
        return Integer.parseInt(value);
      }
    }
    return 0;
  }

  /** The short name of a format for the document's {@code file_type}: pdf, docx, html, md, txt... */
  static String fileTypeOf(MediaType type, String filename) {
    String base = type.getBaseType().toString();
    String name = filename == null ? "" : filename.toLowerCase(Locale.ROOT);
    return switch (base) {
      case "application/pdf" -> "pdf";
      case "application/vnd.openxmlformats-officedocument.wordprocessingml.document" -> "docx";
      case "application/msword" -> "doc";
      case "text/html", "application/xhtml+xml" -> "html";
      case "text/markdown", "text/x-web-markdown" -> "md";
      case "text/plain" -> name.endsWith(".md") || name.endsWith(".markdown") ? "md" : "txt";
      default -> type.getSubtype().length() <= 32 ? type.getSubtype() : "binary";
    };
  }

  /**
   * The bounds of one parse, checked every 64 K characters of text: the text's size, the parse's
   * time ({@code deadline} in {@link System#nanoTime()}), and the job's own checkpoint.
   */
  private record Bounds(long maxChars, long deadline, long timeoutMs, Checkpoint checkpoint, CountingStream counted) {
    void check(long chars) throws SAXException {
      if (chars > maxChars) {
        throw new Stop(JobFailure.fatal("The file holds more than " + maxChars
          + " characters of text (a decompression bomb?): it was not processed."));
      }
      if (System.nanoTime() > deadline) {
        throw new Stop(JobFailure.fatal("Extracting the text took longer than " + timeoutMs / 1000 + " s."));
      }
      try {
        checkpoint.check(counted.count());
      } catch (Exception e) {
        throw new Stop(e);
      }
    }
  }

  /** Tika's XHTML events to the sink: blocks become paragraphs, PDF page divs pages; the head is skipped. */
  private static final class Handler extends DefaultHandler {
    private final TextSink sink;
    private final Bounds bounds;
    /** Depth inside {@code <head>}, whose text is not the document's. */
    private int head;
    private long nextCheck;

    Handler(TextSink sink, Bounds bounds) {
      this.sink = sink;
      this.bounds = bounds;
    }

    @Override
    public void startElement(String uri, String localName, String qName, Attributes atts) throws SAXException {
      String name = localName.isEmpty() ? qName : localName;
      if (name.equals("head")) {
        head++;
      } else if (name.equals("div") && "page".equals(atts.getValue("class"))) {
        guard(sink::nextPage);
      } else if (BLOCKS.contains(name)) {
        guard(sink::paragraphBreak);
      }
    }

    @Override
    public void endElement(String uri, String localName, String qName) throws SAXException {
      String name = localName.isEmpty() ? qName : localName;
      if (name.equals("head")) {
        head--;
      } else if (BLOCKS.contains(name) || name.equals("br")) {
        guard(sink::paragraphBreak);
      }
    }

    @Override
    public void characters(char[] ch, int start, int length) throws SAXException {
      if (head > 0) {
        return;
      }
      guard(() -> sink.text(ch, start, length));
      if (sink.chars() >= nextCheck) {
        nextCheck = sink.chars() + 64 * 1024;
        bounds.check(sink.chars());
      }
    }

    @Override
    public void ignorableWhitespace(char[] ch, int start, int length) throws SAXException {
      characters(ch, start, length);
    }

    /** Runs a step of the sink; whatever it throws (a failed segment write, a cancel) stops the parse. */
    private static void guard(Runnable step) throws SAXException {
      try {
        step.run();
      } catch (RuntimeException e) {
        throw new Stop(e);
      }
    }
  }

  /** Counts the bytes read through it, for progress. */
  static final class CountingStream extends FilterInputStream {
    private long count;

    CountingStream(InputStream in) {
      super(in);
    }

    long count() {
      return count;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(n);
      count += skipped;
      return skipped;
    }
  }
}
