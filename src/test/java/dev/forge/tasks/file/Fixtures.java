package dev.forge.tasks.file;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.poi.xwpf.usermodel.XWPFDocument;

/** Test files made on the spot: PDFs (with PDFBox) and a DOCX (with POI), both brought by Tika. */
public final class Fixtures {

  private Fixtures() {
  }

  /** A sentence about bees, numbered, so that tests can find each one in the segments. */
  public static String sentence(int n) {
    return "Honey bees in hive number " + n + " keep the colony warm by clustering and shivering their flight muscles.";
  }

  /** A PDF of {@code pages} pages, each holding {@code linesPerPage} numbered sentences; encrypted when asked. */
  public static Buffer pdf(int pages, int linesPerPage, boolean encrypted) throws IOException {
    try (PDDocument doc = new PDDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      PDType1Font font = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
      int n = 0;
      for (int p = 0; p < pages; p++) {
        PDPage page = new PDPage();
        doc.addPage(page);
        try (PDPageContentStream content = new PDPageContentStream(doc, page)) {
          content.beginText();
          content.setFont(font, 9);
          content.setLeading(12);
          content.newLineAtOffset(40, 740);
          for (int line = 0; line < linesPerPage; line++) {
            content.showText(sentence(n++));
            content.newLine();
          }
          content.endText();
        }
      }
      if (encrypted) {
        StandardProtectionPolicy policy = new StandardProtectionPolicy("owner-secret", "user-secret", new AccessPermission());
        policy.setEncryptionKeyLength(128);
        doc.protect(policy);
      }
      doc.save(out);
      return Buffer.buffer(out.toByteArray());
    }
  }

  /** A DOCX of {@code paragraphs} paragraphs of numbered sentences. */
  public static Buffer docx(int paragraphs) throws IOException {
    try (XWPFDocument doc = new XWPFDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      for (int p = 0; p < paragraphs; p++) {
        doc.createParagraph().createRun().setText(sentence(2 * p) + " " + sentence(2 * p + 1));
      }
      doc.write(out);
      return Buffer.buffer(out.toByteArray());
    }
  }

  public static Buffer html() {
    return Buffer.buffer("""
      <!DOCTYPE html>
      <html><head><title>Bees</title>
      <style>body { color: red; } .secret-style { display: none; }</style>
      <script>var secretScript = "do not index me";</script></head>
      <body><h1>Winter clusters</h1>
      <p>In winter the colony clusters around the queen. The bees shiver to make heat.</p>
      <script>document.write("more secret script");</script>
      <p>Workers rotate from the cold outside of the cluster to its warm centre.</p>
      </body></html>
      """);
  }

  public static Buffer markdown() {
    return Buffer.buffer("""
      # Beekeeping notes

      Bees keep warm in winter by **clustering** together.

      ## Feeding

      - Give sugar syrup in autumn.
      - Check the stores in spring.

      The colony needs about twenty kilograms of honey to survive a cold winter.
      """);
  }

  /** About {@code bytes} bytes of plain text in paragraphs of five sentences. */
  public static Buffer text(int bytes) {
    StringBuilder b = new StringBuilder(bytes + 200);
    int n = 0;
    while (b.length() < bytes) {
      for (int i = 0; i < 5; i++) {
        b.append(sentence(n++)).append(' ');
      }
      b.append("\n\n");
    }
    return Buffer.buffer(b.toString());
  }

  public static Buffer randomBytes(long seed, int n) {
    byte[] bytes = new byte[n];
    new Random(seed).nextBytes(bytes);
    bytes[0] = (byte) 0x8f; // never a text or known magic start
    bytes[1] = 0x00;
    return Buffer.buffer(bytes);
  }
}
