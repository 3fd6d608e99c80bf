package dev.forge.tasks.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.List;
import java.util.ArrayList;

/**
 * A streaming {@code multipart/form-data} parser (RFC 7578): bytes go in as they arrive, parts come
 * out as events, and a part's body is never held whole: only the few bytes that may begin a
 * delimiter are kept between two chunks. Every malformed input ends in a {@link Malformed} whose
 * message a client may read; no input makes it hold more than {@code maxHeaderBytes} plus one chunk.
 */
final class MultipartParser {

  /** The headers of one part that matter here. */
  record Part(String name, String filename, String contentType) {
  }

  /** Receives the parts in order. May throw {@link Malformed} to stop the parse. */
  interface Listener {
    void partStart(Part part);

    void partData(Buffer data);

    void partEnd();
  }

  /** Input that is not well-formed multipart; the message says why, for the client. */
  static final class Malformed extends Exception {
    Malformed(String message) {
      super(message, null, false, false);
    }
  }

  private enum State { PREAMBLE, AFTER_DELIMITER, HEADERS, BODY, EPILOGUE }

  private static final byte[] HEADER_END = {'\r', '\n', '\r', '\n'};
  private static final int MAX_PREAMBLE = 16 * 1024;

  private final byte[] dashBoundary;
  private final byte[] delimiter;
  private final Listener listener;
  private final int maxHeaderBytes;
  private final int maxParts;
  private byte[] held = new byte[0];
  private State state = State.PREAMBLE;
  private int parts;
  private long preamble;

  MultipartParser(String boundary, Listener listener, int maxHeaderBytes, int maxParts) {
    this.dashBoundary = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    this.listener = listener;
    this.maxHeaderBytes = maxHeaderBytes;
    this.maxParts = maxParts;
  }

  /**
   * The boundary of a {@code Content-Type} header, or {@code null} when the header is not
   * {@code multipart/form-data} with a valid boundary (1-70 characters of RFC 2046).
   */
  static String boundaryOf(String contentType) {
    if (contentType == null) {
      return null;
    }
    String[] pieces = splitParams(contentType);
    if (!pieces[0].trim().toLowerCase(Locale.ROOT).equals("multipart/form-data")) {
      return null;
    }
    String boundary = params(pieces).get("boundary");
    if (boundary == null || boundary.isEmpty() || boundary.length() > 70 || boundary.endsWith(" ")) {
      return null;
    }
    for (int i = 0; i < boundary.length(); i++) {
      char c = boundary.charAt(i);
      if (!(Character.isLetterOrDigit(c) && c < 128) && "'()+_,-./:=? ".indexOf(c) < 0) {
        return null;
      }
    }
    return boundary;
  }

  /** True once the closing delimiter was read. */
  boolean complete() {
    return state == State.EPILOGUE;
  }

  void feed(Buffer chunk) throws Malformed {
    if (state == State.EPILOGUE) {
      return;
    }
    byte[] in = chunk.getBytes();
    byte[] buf = held.length == 0 ? in : concat(held, in);
    int pos = 0;
    while (true) {
      int used = step(buf, pos);
      if (used < 0) {
        break;
      }
      pos = used;
    }
    held = Arrays.copyOfRange(buf, pos, buf.length);
  }

  /** The body ended: refuses input that did not reach its closing delimiter. */
  void end() throws Malformed {
    if (state != State.EPILOGUE) {
      throw new Malformed(state == State.PREAMBLE && parts == 0
        ? "The body holds no multipart part with the boundary of its Content-Type."
        : "The multipart body ends before its closing boundary.");
    }
  }

  /** Consumes from {@code pos}; returns the new position, or -1 when more input is needed. */
  private int step(byte[] buf, int pos) throws Malformed {
    switch (state) {
      case PREAMBLE -> {
        int at = indexOf(buf, dashBoundary, pos);
        while (at > 0 && !(at >= 2 && buf[at - 2] == '\r' && buf[at - 1] == '\n')) {
          at = indexOf(buf, dashBoundary, at + 1);
        }
        if (at < 0) {
          int keep = Math.min(buf.length - pos, dashBoundary.length + 1);
          preamble += buf.length - pos - keep;
          if (preamble > MAX_PREAMBLE) {
            throw new Malformed("The body does not start with the boundary of its Content-Type.");
          }
          return buf.length - pos > keep ? buf.length - keep : -1;
        }
        state = State.AFTER_DELIMITER;
        return at + dashBoundary.length;
      }
      case AFTER_DELIMITER -> {
        int p = pos;
        while (p < buf.length && (buf[p] == ' ' || buf[p] == '\t') && p - pos < 64) {
          p++; // transport padding
        }
        if (buf.length - p < 2) {
          if (p - pos >= 64) {
            throw new Malformed("A multipart boundary line is malformed.");
          }
          return -1;
        }
        if (buf[p] == '-' && buf[p + 1] == '-') {
          state = State.EPILOGUE;
          return -1;
        }
        if (buf[p] != '\r' || buf[p + 1] != '\n') {
          throw new Malformed("A multipart boundary line is malformed.");
        }
        if (++parts > maxParts) {
          throw new Malformed("The body has more than " + maxParts + " parts.");
        }
        state = State.HEADERS;
        return p + 2;
      }
      case HEADERS -> {
        if (buf.length - pos < 2) {
          return -1;
        }
        if (buf[pos] == '\r' && buf[pos + 1] == '\n') {
          throw new Malformed("A part has no Content-Disposition header.");
        }
        int end = indexOf(buf, HEADER_END, pos);
        if (end < 0 ? buf.length - pos > maxHeaderBytes : end - pos > maxHeaderBytes) {
          throw new Malformed("The headers of a part are larger than " + maxHeaderBytes + " bytes.");
        }
        if (end < 0) {
          return -1;
        }
        listener.partStart(headers(buf, pos, end));
        state = State.BODY;
        return end + 4;
      }
      case BODY -> {
        int at = indexOf(buf, delimiter, pos);
        if (at < 0) {
          int safe = buf.length - (delimiter.length - 1);
          if (safe > pos) {
            listener.partData(Buffer.buffer(Arrays.copyOfRange(buf, pos, safe)));
            return safe;
          }
          return -1;
        }
        if (at > pos) {
          listener.partData(Buffer.buffer(Arrays.copyOfRange(buf, pos, at)));
        }
        listener.partEnd();
        state = State.AFTER_DELIMITER;
        return at + delimiter.length;
      }
      default -> {
        return -1;
      }
    }
  }

  private static Part headers(byte[] buf, int from, int to) throws Malformed {
    // Header values are UTF-8 in practice (RFC 7578 section 5.1); invalid bytes become U+FFFD.
    String block = new String(buf, from, to - from, StandardCharsets.UTF_8);
    String disposition = null;
    String contentType = null;
    for (String line : block.split("\r\n", -1)) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new Malformed("A part has a malformed header line.");
      }
      String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).trim();
      if (HttpHeaders.CONTENT_DISPOSITION.toString().equalsIgnoreCase(name)) {
        disposition = value;
      } else if (HttpHeaders.CONTENT_TYPE.toString().equalsIgnoreCase(name)) {
        contentType = value;
      }
    }
    if (disposition == null) {
      throw new Malformed("A part has no Content-Disposition header.");
    }
    String[] pieces = splitParams(disposition);
    if (!pieces[0].trim().equalsIgnoreCase("form-data")) {
      throw new Malformed("A part's Content-Disposition is not form-data.");
    }
    Map<String, String> params = params(pieces);
    String name = params.get("name");
    if (name == null || name.isEmpty()) {
      throw new Malformed("A part has no name in its Content-Disposition.");
    }
    String filename = params.containsKey("filename*") ? extValue(params.get("filename*")) : params.get("filename");
    return new Part(name, filename, contentType);
  }

  /** Splits {@code value; a=b; c="d;e"} at the semicolons outside quoted strings. */
  private static String[] splitParams(String value) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (quoted && c == '\\' && i + 1 < value.length()) {
        cur.append(c).append(value.charAt(++i));
        continue;
      }
      if (c == '"') {
        quoted = !quoted;
      }
      if (c == ';' && !quoted) {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out.toArray(String[]::new);
  }

  /** The parameters after the first piece, names lower-cased, quoted strings unquoted. */
  private static Map<String, String> params(String[] pieces) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 1; i < pieces.length; i++) {
      String p = pieces[i].trim();
      int eq = p.indexOf('=');
      if (eq <= 0) {
        continue;
      }
      String key = p.substring(0, eq).trim().toLowerCase(Locale.ROOT);
      String v = p.substring(eq + 1).trim();
      if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
        StringBuilder u = new StringBuilder();
        for (int j = 1; j < v.length() - 1; j++) {
          char c = v.charAt(j);
          if (c == '\\' && j + 1 < v.length() - 1) {
            c = v.charAt(++j);
          }
          u.append(c);
        }
        v = u.toString();
      }
      out.putIfAbsent(key, v);
    }
    return out;
  }

  /** An RFC 5987 value ({@code utf-8''a%20b.txt}); {@code null} when malformed. */
  private static String extValue(String v) {
    int q = v.indexOf("''");
    if (q < 0 || !v.substring(0, q).equalsIgnoreCase("utf-8")) {
      return null;
    }
    return FileNames.percentDecode(v.substring(q + 2));
  }

  static int indexOf(byte[] hay, byte[] needle, int from) {
    byte first = needle[0];
    int last = hay.length - needle.length;
    for (int i = Math.max(0, from); i <= last; i++) {
      if (hay[i] != first) {
        continue;
      }
      int j = 1;
      while (j < needle.length && hay[i + j] == needle[j]) {
        j++;
      }
      if (j == needle.length) {
        return i;
      }
    }
    return -1;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
