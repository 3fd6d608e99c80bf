package dev.forge.tasks.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.AiohttpForm;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The multipart parser alone: aiohttp's bodies cut at every possible place give the same parts;
 * names are decoded; and a seeded fuzz of mutated bodies never throws anything but
 * {@link MultipartParser.Malformed} nor holds more than its bounds (seed printed; -Dfuzz.seed replays).
 */
class MultipartParserTest {

  static final long SEED = Long.getLong("fuzz.seed", System.nanoTime());

  /** Records the parts: name, filename, data. */
  static final class Recorder implements MultipartParser.Listener {
    final List<String[]> parts = new ArrayList<>();
    Buffer data;
    String[] current;

    @Override
    public void partStart(MultipartParser.Part part) {
      current = new String[] {part.name(), part.filename(), part.contentType(), null};
      data = Buffer.buffer();
    }

    @Override
    public void partData(Buffer d) {
      data.appendBuffer(d);
    }

    @Override
    public void partEnd() {
      current[3] = data.toString();
      parts.add(current);
    }
  }

  static Recorder parse(AiohttpForm form, Buffer body, int[] cuts) throws MultipartParser.Malformed {
    Recorder r = new Recorder();
    MultipartParser p = new MultipartParser(form.boundary, r, 16 * 1024, 16);
    int from = 0;
    for (int cut : cuts) {
      p.feed(body.getBuffer(from, cut));
      from = cut;
    }
    p.feed(body.getBuffer(from, body.length()));
    p.end();
    return r;
  }

  @Test
  void everySplitOfAnAiohttpBodyGivesTheSameParts() throws Exception {
    AiohttpForm form = new AiohttpForm().file("file", "ün report.txt", "text/plain", Buffer.buffer("line one\r\n--not a boundary\r\nline two"))
      .field("purpose", "general").field("parse_options", "{\"summary\":\"disable\"}");
    Buffer body = form.body();
    for (int i = 0; i <= body.length(); i++) {
      for (int j = i; j <= body.length(); j += 7) {
        Recorder r = parse(form, body, new int[] {i, j});
        assertEquals(3, r.parts.size());
        assertEquals("file", r.parts.get(0)[0]);
        assertEquals("%C3%BCn%20report.txt", r.parts.get(0)[1]);
        assertEquals("ün report.txt", FileNames.decode(r.parts.get(0)[1]));
        assertEquals("text/plain", r.parts.get(0)[2]);
        assertEquals("line one\r\n--not a boundary\r\nline two", r.parts.get(0)[3]);
        assertEquals("general", r.parts.get(1)[3]);
        assertEquals("text/plain; charset=utf-8", r.parts.get(1)[2]);
      }
    }
  }

  @Test
  void boundariesAndNames() {
    assertEquals("abc", MultipartParser.boundaryOf("multipart/form-data; boundary=abc"));
    assertEquals("a b", MultipartParser.boundaryOf("Multipart/Form-Data; charset=utf-8; boundary=\"a b\""));
    assertNull(MultipartParser.boundaryOf("multipart/form-data"));
    assertNull(MultipartParser.boundaryOf("application/json; boundary=abc"));
    assertNull(MultipartParser.boundaryOf("multipart/form-data; boundary=" + "x".repeat(71)));
    assertEquals("100%.txt", FileNames.decode("100%.txt"), "not percent-encoding: kept as sent");
    assertEquals("a%ZZ", FileNames.decode("a%ZZ"));
    assertEquals("%FF.txt", FileNames.decode("%FF.txt"), "not UTF-8: kept as sent");
    assertNotNull(FileNames.problem("a/b.txt"));
    assertNotNull(FileNames.problem(".."));
    assertNotNull(FileNames.problem("a\u0007.txt"));
    assertNull(FileNames.problem("report (final) é.pdf"));
  }

  @Test
  void malformedBodiesAreRefused() {
    AiohttpForm form = new AiohttpForm().field("purpose", "general");
    String b = form.boundary;
    for (String body : List.of("", "garbage", "--" + b + "\r\n\r\nvalue\r\n--" + b + "--",
      "--" + b + "\r\nContent-Disposition: attachment; name=\"x\"\r\n\r\nv\r\n--" + b + "--",
      "--" + b + "\r\nContent-Disposition: form-data\r\n\r\nv\r\n--" + b + "--",
      "--" + b + "\r\nno colon here\r\n\r\nv\r\n--" + b + "--",
      "--" + b + "\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nnever closed",
      "--" + b + "xx\r\n")) {
      assertThrows(MultipartParser.Malformed.class, () -> {
        MultipartParser p = new MultipartParser(b, new Recorder(), 1024, 16);
        p.feed(Buffer.buffer(body));
        p.end();
      }, body);
    }
  }

  @Test
  void seededFuzzOnlyEverRefusesCleanly() {
    Random random = new Random(SEED);
    AiohttpForm form = new AiohttpForm().file("file", "a.txt", "text/plain", Buffer.buffer("hello world"))
      .field("purpose", "general").field("id", "x1");
    byte[] base = form.body().getBytes();
    byte[] alphabet = ("\r\n-\"; =:" + form.boundary).getBytes();
    int parsed = 0;
    for (int round = 0; round < 20_000; round++) {
      byte[] body = base.clone();
      int edits = 1 + random.nextInt(6);
      for (int e = 0; e < edits; e++) {
        int at = random.nextInt(body.length);
        switch (random.nextInt(4)) {
          case 0 -> body[at] = (byte) random.nextInt(256);
          case 1 -> body[at] = alphabet[random.nextInt(alphabet.length)];
          case 2 -> body = java.util.Arrays.copyOf(body, at); // truncate
          default -> {
            byte[] longer = new byte[body.length + 40];
            System.arraycopy(body, 0, longer, 0, at);
            for (int k = 0; k < 40; k++) {
              longer[at + k] = alphabet[random.nextInt(alphabet.length)];
            }
            System.arraycopy(body, at, longer, at + 40, body.length - at);
            body = longer;
          }
        }
        if (body.length == 0) {
          break;
        }
      }
      Buffer buffer = Buffer.buffer(body);
      int cut = body.length == 0 ? 0 : random.nextInt(body.length + 1);
      try {
        Recorder r = parse(form, buffer, new int[] {cut});
        assertTrue(r.parts.size() <= 16);
        parsed++;
      } catch (MultipartParser.Malformed expected) {
        assertNotNull(expected.getMessage());
      } catch (RuntimeException e) {
        throw new AssertionError("seed " + SEED + ", round " + round + ": " + e, e);
      }
    }
    assertTrue(parsed > 0, "some mutations still parse (seed " + SEED + ")");
  }
}
