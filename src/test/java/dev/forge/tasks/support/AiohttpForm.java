package dev.forge.tasks.support;

import io.vertx.core.buffer.Buffer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A {@code multipart/form-data} body byte for byte as Python's aiohttp {@code FormData} writes it
 * (the Knowledge Forge client's way): a 32-hex-digit boundary, each part's {@code Content-Type}
 * before its {@code Content-Disposition}, string fields as {@code text/plain; charset=utf-8}, and
 * file names percent-encoded (every byte outside {@code A-Za-z0-9_.-~}, as {@code urllib.parse.quote(name, "")}).
 */
public final class AiohttpForm {

  public final String boundary = UUID.randomUUID().toString().replace("-", "");
  private final List<Buffer> parts = new ArrayList<>();

  public AiohttpForm file(String name, String filename, String contentType, Buffer data) {
    return rawFile(name, quote(filename), contentType, data);
  }

  /** A file part whose filename goes out exactly as given (no quoting), as other clients send it. */
  public AiohttpForm rawFile(String name, String filenameAsSent, String contentType, Buffer data) {
    parts.add(Buffer.buffer("--" + boundary + "\r\nContent-Type: " + contentType
      + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filenameAsSent + "\"\r\n\r\n")
      .appendBuffer(data).appendString("\r\n"));
    return this;
  }

  public AiohttpForm field(String name, String value) {
    parts.add(Buffer.buffer("--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8"
      + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n"));
    return this;
  }

  public String contentType() {
    return "multipart/form-data; boundary=" + boundary;
  }

  public Buffer body() {
    Buffer out = Buffer.buffer();
    parts.forEach(out::appendBuffer);
    return out.appendString("--" + boundary + "--\r\n");
  }

  /** {@code urllib.parse.quote(s, safe="")}. */
  public static String quote(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
  }
}
