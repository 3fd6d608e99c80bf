package dev.forge.tasks.api;

import dev.forge.tasks.bus.ApiError;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Upload file names. The Python client percent-encodes names (aiohttp quotes every byte outside
 * {@code A-Za-z0-9_.-~}); other clients send them raw. A name is decoded when it is valid
 * percent-encoded UTF-8, kept as sent otherwise, and only ever stored as a name, never used as a path.
 */
final class FileNames {

  static final int MAX_LENGTH = 255;

  private FileNames() {
  }

  /** The percent-decoded UTF-8 text, or {@code null} when {@code s} is not valid percent-encoded UTF-8. */
  static String percentDecode(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          return null;
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          return null;
        }
        out.write(hi * 16 + lo);
        i += 2;
      } else if (c < 128) {
        out.write(c);
      } else {
        byte[] raw = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(raw, 0, raw.length);
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(out.toByteArray())).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** The name as the client meant it: decoded when it is percent-encoded, else as sent. */
  static String decode(String sent) {
    if (sent == null || sent.indexOf('%') < 0) {
      return sent;
    }
    String decoded = percentDecode(sent);
    return decoded == null ? sent : decoded;
  }

  /** Why {@code name} cannot be a file's name, or {@code null} when it can. */
  static String problem(String name) {
    if (name == null || name.isBlank()) {
      return "The 'file' part needs a filename in its Content-Disposition.";
    }
    if (name.length() > MAX_LENGTH) {
      return "The filename is longer than " + MAX_LENGTH + " characters.";
    }
    if (name.chars().anyMatch(c -> Character.isISOControl(c) || c == 0x2028 || c == 0x2029)) {
      return "The filename holds control characters.";
    }
    if (name.indexOf('/') >= 0 || name.indexOf('\\') >= 0 || name.equals(".") || name.equals("..")) {
      return "The filename '" + ApiError.printable(name) + "' has path parts; send the file's name only.";
    }
    return null;
  }
}
