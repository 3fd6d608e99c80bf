package dev.forge.tasks.file;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.AiohttpForm;
import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.Polls;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.pgclient.PgConnectOptions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code /v1/files} end to end, as the Python client calls it (multipart exactly as aiohttp
 * writes it, no API key): every format processed into segments, unreadable files failing their
 * task with a reason, every bad input a 400 naming the part, 413 before the body is read whole,
 * skip_exists, md5, client ids, listing, document updates and deletion.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class FilesHttpTest {

  static final long MAX_BYTES = 3 * 1024 * 1024;
  static LiveNode live;
  static PgConnectOptions db;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.freshDatabase();
    live = LiveNode.start(TestNodes.config(db, Map.of("TASKS_FILE_MAX_BYTES", Long.toString(MAX_BYTES))));
    port = live.config.httpPort();
  }

  @AfterAll
  static void stop() throws Exception {
    LiveNode.stop(live);
  }

  static HttpResponse<Buffer> post(AiohttpForm form) throws Exception {
    return await(live.http.post("/v1/files").putHeader("Content-Type", form.contentType()).sendBuffer(form.body()));
  }

  static JsonObject get(String path) throws Exception {
    HttpResponse<Buffer> r = await(live.http.get(path).send());
    assertEquals(200, r.statusCode(), path + ": " + r.bodyAsString());
    assertEquals("application/json", r.getHeader("Content-Type"));
    return r.bodyAsJsonObject();
  }

  /** Uploads, checks the reply and that its task exists at once, waits for the task to end. */
  static JsonObject uploadAndWait(AiohttpForm form) throws Exception {
    HttpResponse<Buffer> r = post(form);
    assertEquals(200, r.statusCode(), r.bodyAsString());
    JsonObject file = r.bodyAsJsonObject();
    assertEquals("file", file.getString("object"));
    assertEquals("processing", file.getString("status"));
    assertEquals("upload-" + file.getString("id"), file.getString("task_id"));
    JsonObject task = get("/v1/tasks/" + file.getString("task_id")); // exists before the reply was sent
    assertEquals("file_processing", task.getString("type"));
    return Polls.untilStatus(live.http, port, file.getString("task_id"), 120, "completed", "failed", "cancelled");
  }

  static JsonObject processed(AiohttpForm form) throws Exception {
    JsonObject task = uploadAndWait(form);
    assertEquals("completed", task.getString("status"), task.encode());
    String fileId = task.getJsonObject("data").getString("file_id");
    assertEquals("done", task.getJsonObject("data").getString("stage"));
    JsonObject file = get("/v1/files/" + fileId);
    assertEquals("processed", file.getString("status"), file.encode());
    JsonObject document = get("/v1/files/" + fileId + "/content");
    assertEquals(task.getJsonObject("data").getInteger("chunks_created"),
      document.getJsonObject("content").getJsonArray("segments").size());
    return document;
  }

  static String allText(JsonObject document) {
    StringBuilder b = new StringBuilder();
    document.getJsonObject("content").getJsonArray("segments").forEach(s -> b.append(((JsonObject) s).getString("content")).append('\n'));
    return b.toString();
  }

  static String md5(Buffer data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data.getBytes()));
  }

  @Test
  void aMultiPagePdfBecomesSegmentsWithPagesAndAnalysis() throws Exception {
    Buffer pdf = Fixtures.pdf(3, 40, false);
    JsonObject document = processed(new AiohttpForm().file("file", "Bee report (2024) é.pdf", "application/pdf", pdf)
      .field("purpose", "qa"));
    assertEquals("Bee report (2024) é.pdf", document.getString("filename"), "percent-encoded name decoded");
    assertEquals("Bee report (2024) é", document.getString("title"));
    assertEquals(pdf.length(), document.getLong("bytes"));
    assertEquals("qa", document.getString("purpose"));
    assertEquals(md5(pdf), document.getString("md5sum"));
    assertEquals("application/pdf", document.getString("mime_type"));
    assertEquals(new JsonArray(), document.getJsonArray("vector_store_ids"));
    assertTrue(document.getValue("created_at") instanceof Number && document.getValue("updated_at") instanceof Number);
    JsonObject content = document.getJsonObject("content");
    assertEquals(md5(pdf), content.getString("id"));
    assertEquals("pdf", content.getString("file_type"));
    assertEquals(3, content.getInteger("page_count"));
    assertEquals("en", content.getString("language"));
    assertFalse(content.getString("summary").isEmpty());
    assertFalse(content.getString("abstract").isEmpty());
    assertTrue(content.getJsonArray("keywords").contains("bees") || content.getJsonArray("keywords").contains("honey"),
      content.getJsonArray("keywords").encode());
    JsonArray segments = content.getJsonArray("segments");
    assertTrue(segments.size() > 3, "several segments: " + segments.size());
    JsonObject first = segments.getJsonObject(0);
    assertEquals(md5(pdf) + "-P0000", first.getString("id"));
    assertEquals(0, first.getInteger("index"));
    assertEquals("", first.getString("url"));
    assertEquals(1, first.getJsonObject("metadata").getInteger("page"));
    assertEquals(3, segments.getJsonObject(segments.size() - 1).getJsonObject("metadata").getInteger("page"));
    String text = allText(document);
    for (int n : new int[] {0, 39, 40, 119}) {
      assertTrue(text.contains(Fixtures.sentence(n)), "sentence " + n + " missing");
    }
  }

  @Test
  void docxHtmlAndMarkdownAreReadByContent() throws Exception {
    JsonObject docx = processed(new AiohttpForm().file("file", "notes.docx",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Fixtures.docx(30)));
    assertEquals("docx", docx.getJsonObject("content").getString("file_type"));
    assertTrue(allText(docx).contains(Fixtures.sentence(59)));

    // Named .txt but HTML inside: detected by content; scripts and styles never become text.
    JsonObject html = processed(new AiohttpForm().file("file", "page.txt", "text/plain", Fixtures.html()));
    assertEquals("html", html.getJsonObject("content").getString("file_type"));
    String htmlText = allText(html);
    assertTrue(htmlText.contains("the colony clusters around the queen"), htmlText);
    assertTrue(htmlText.contains("Workers rotate"), htmlText);
    assertFalse(htmlText.contains("secret"), htmlText);
    assertFalse(htmlText.contains("color: red"), htmlText);

    JsonObject md = processed(new AiohttpForm().file("file", "notes.md", "text/markdown", Fixtures.markdown()));
    assertEquals("md", md.getJsonObject("content").getString("file_type"));
    assertTrue(allText(md).contains("twenty kilograms of honey"));
  }

  /**
   * Plain text is decoded in the charset detected from its bytes (a byte-order mark, else Tika's
   * encoding detectors), not taken for UTF-8: UTF-16 with a BOM and Latin-1 without one.
   */
  @Test
  void plainTextIsDecodedInTheCharsetItsBytesShow() throws Exception {
    String french = "Les abeilles d'\u00e9t\u00e9 gardent la ruche \u00e0 trente-cinq degr\u00e9s, m\u00eame en f\u00e9vrier. ";
    byte[] utf16 = ("\ufeff" + french.repeat(40)).getBytes(StandardCharsets.UTF_16LE);
    JsonObject wide = processed(new AiohttpForm().file("file", "wide.txt", "text/plain", Buffer.buffer(utf16)));
    assertEquals("txt", wide.getJsonObject("content").getString("file_type"));
    assertTrue(allText(wide).contains(french.trim()), allText(wide));
    byte[] latin1 = french.repeat(40).getBytes(StandardCharsets.ISO_8859_1);
    JsonObject narrow = processed(new AiohttpForm().file("file", "latin.txt", "text/plain", Buffer.buffer(latin1)));
    assertTrue(allText(narrow).contains(french.trim()), allText(narrow));
  }

  @Test
  void aMegabyteOfTextIsChunkedAtSentencesWithOverlap() throws Exception {
    Buffer text = Fixtures.text(1024 * 1024);
    JsonObject task = uploadAndWait(new AiohttpForm().file("file", "big.txt", "text/plain", text));
    assertEquals("completed", task.getString("status"), task.encode());
    int chunks = task.getJsonObject("data").getInteger("chunks_created");
    assertTrue(chunks > 800, "chunks " + chunks);
    String id = task.getJsonObject("data").getString("file_id");
    JsonObject document = get("/v1/files/" + id + "/content");
    JsonArray segments = document.getJsonObject("content").getJsonArray("segments");
    assertEquals(FilesVerticle.DOCUMENT_SEGMENTS, segments.size(), "the document carries the first 1000");
    assertEquals(chunks, document.getJsonObject("content").getJsonObject("metadata").getInteger("segments_total"));
    for (int i = 0; i + 1 < 50; i++) {
      String a = segments.getJsonObject(i).getString("content");
      String b = segments.getJsonObject(i + 1).getString("content");
      assertTrue(a.length() <= Chunker.TARGET_CHARS, "segment " + i + " has " + a.length() + " characters");
      assertTrue(a.endsWith("muscles."), "segment " + i + " ends inside a sentence: " + a);
      String lastSentence = a.substring(a.lastIndexOf("Honey bees"));
      assertTrue(b.startsWith(lastSentence), "segment " + (i + 1) + " does not overlap the previous one");
    }
  }

  @Test
  void unreadableFilesFailTheirTaskWithAReason() throws Exception {
    record Case(String name, String type, Buffer data, String reason) {
    }
    List<Case> cases = List.of(
      new Case("secret.pdf", "application/pdf", Fixtures.pdf(2, 10, true), "encrypted"),
      new Case("noise.bin", "application/octet-stream", Fixtures.randomBytes(42, 64 * 1024), "format"),
      new Case("empty.txt", "text/plain", Buffer.buffer(), "empty"));
    for (Case c : cases) {
      JsonObject task = uploadAndWait(new AiohttpForm().file("file", c.name(), c.type(), c.data()));
      assertEquals("failed", task.getString("status"), c.name() + ": " + task.encode());
      assertTrue(task.getString("failure_reason").contains(c.reason()), task.getString("failure_reason"));
      assertEquals(task.getString("failure_reason"), task.getJsonObject("data").getString("error"));
      JsonObject file = get("/v1/files/" + task.getJsonObject("data").getString("file_id"));
      assertEquals("failed", file.getString("status"));
      assertEquals(task.getString("failure_reason"), file.getString("processing_error_message"));
      JsonObject document = get("/v1/files/" + file.getString("id") + "/content");
      assertEquals(0, document.getJsonObject("content").getJsonArray("segments").size());
    }
  }

  @Test
  void badInputIsA400NamingThePart() throws Exception {
    Buffer data = Buffer.buffer("Some text about bees.");
    record Case(AiohttpForm form, String param) {
    }
    List<Case> cases = new ArrayList<>(List.of(
      new Case(new AiohttpForm().field("purpose", "general"), "file"),
      new Case(new AiohttpForm().file("file", "a.txt", "text/plain", data).file("file", "b.txt", "text/plain", data), "file"),
      new Case(new AiohttpForm().rawFile("file", "../../etc/passwd", "text/plain", data), "file"),
      new Case(new AiohttpForm().rawFile("file", "C:\\\\Users\\\\me\\\\a.txt", "text/plain", data), "file"),
      new Case(new AiohttpForm().file("file", "bad\nname.txt", "text/plain", data), "file"),
      new Case(new AiohttpForm().file("file", "a.txt", "text/plain", data).field("parse_options", "{not json"), "parse_options"),
      new Case(new AiohttpForm().file("file", "a.txt", "text/plain", data).field("parse_options", "{\"summary\": 1}"), "parse_options"),
      new Case(new AiohttpForm().file("file", "a.txt", "text/plain", data).field("md5", "xyz"), "md5"),
      new Case(new AiohttpForm().file("file", "a.txt", "text/plain", data).field("md5", "0".repeat(32)), "md5"),
      new Case(new AiohttpForm().file("file", "a.txt", "text/plain", data).field("id", "bad id!"), "id"),
      new Case(new AiohttpForm().file("file", "a.txt", "text/plain", data).field("skip_exists", "maybe"), "skip_exists"),
      new Case(new AiohttpForm().file("file", "a.txt", "text/plain", data).field("purpose", "general").field("purpose", "qa"), "purpose"),
      new Case(new AiohttpForm().file("file", "a.txt", "text/plain", data).field("colour", "red"), "colour"),
      new Case(new AiohttpForm().field("url", "http://169.254.169.254/latest").field("name", "x"), "url"),
      new Case(new AiohttpForm().file("upload", "a.txt", "text/plain", data), "upload")));
    for (Case c : cases) {
      HttpResponse<Buffer> r = post(c.form());
      assertEquals(400, r.statusCode(), c.param() + ": " + r.bodyAsString());
      JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
      assertEquals("invalid_parameter", error.getString("code"), r.bodyAsString());
      assertEquals(c.param(), error.getString("param"), r.bodyAsString());
    }
    HttpResponse<Buffer> notMultipart = await(live.http.post("/v1/files").putHeader("Content-Type", "application/json")
      .sendBuffer(Buffer.buffer("{}")));
    assertEquals(415, notMultipart.statusCode());
    AiohttpForm truncated = new AiohttpForm().file("file", "a.txt", "text/plain", data);
    Buffer cut = truncated.body().getBuffer(0, truncated.body().length() - 10);
    HttpResponse<Buffer> r = await(live.http.post("/v1/files").putHeader("Content-Type", truncated.contentType()).sendBuffer(cut));
    assertEquals(400, r.statusCode(), r.bodyAsString());
    JsonObject list = get("/v1/files?limit=100");
    for (Object f : list.getJsonArray("data")) {
      assertFalse(((JsonObject) f).getString("filename").equals("a.txt"), "a refused upload became visible");
    }
  }

  @Test
  void aFileOverTheLimitIs413BeforeItsBodyIsRead() throws Exception {
    AiohttpForm form = new AiohttpForm().file("file", "huge.txt", "text/plain", Fixtures.text((int) MAX_BYTES + 2 * 1024 * 1024));
    HttpResponse<Buffer> r = post(form);
    assertEquals(413, r.statusCode(), r.bodyAsString());
    assertEquals("file", r.bodyAsJsonObject().getJsonObject("error").getString("param"));
    // Without a Content-Length (chunked), the count of bytes received stops it.
    AiohttpForm streamed = new AiohttpForm().file("file", "huge.txt", "text/plain", Fixtures.text((int) MAX_BYTES + 1024));
    assertEquals(413, chunked(streamed).status());
  }

  /** A status and a body. */
  record Answer(int status, Buffer body) {
  }

  /** Sends the form's body with chunked transfer encoding, 64 KiB a chunk. */
  static Answer chunked(AiohttpForm form) throws Exception {
    Buffer body = form.body();
    HttpClient client = live.node.vertx().createHttpClient();
    try {
      return await(client.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
        .setURI("/v1/files").putHeader("Content-Type", form.contentType())).compose(req -> {
          req.setChunked(true);
          for (int i = 0; i < body.length(); i += 64 * 1024) {
            req.write(body.getBuffer(i, Math.min(body.length(), i + 64 * 1024)));
          }
          return req.end().compose(v -> req.response())
            .compose(response -> response.body().map(b -> new Answer(response.statusCode(), b)));
        }));
    } finally {
      client.close();
    }
  }

  @Test
  void aChunkedUploadWithFieldsFirstWorks() throws Exception {
    Buffer data = Fixtures.text(700 * 1024);
    AiohttpForm form = new AiohttpForm().field("id", "chunked-upload").field("md5", md5(data))
      .file("file", "chunked.txt", "text/plain", data);
    Answer r = chunked(form);
    assertEquals(200, r.status(), r.body().toString());
    JsonObject file = r.body().toJsonObject();
    assertEquals("chunked-upload", file.getString("id"));
    assertEquals(md5(data), file.getString("md5"));
    assertEquals(data.length(), file.getLong("bytes"));
    JsonObject task = Polls.untilStatus(live.http, port, "upload-chunked-upload", 60, "completed", "failed");
    assertEquals("completed", task.getString("status"), task.encode());
  }

  @Test
  void skipExistsIdsListingUpdatesAndDeletion() throws Exception {
    Buffer data = Buffer.buffer("Skip exists: the same bytes twice. Bees are warm.");
    JsonObject first = post(new AiohttpForm().file("file", "same.txt", "text/plain", data).field("id", "same-1")
      .field("md5", md5(data).toUpperCase())).bodyAsJsonObject();
    assertEquals("same-1", first.getString("id"));
    HttpResponse<Buffer> again = post(new AiohttpForm().file("file", "same.txt", "text/plain", data).field("id", "same-1"));
    assertEquals(409, again.statusCode());
    assertEquals("id_conflict", again.bodyAsJsonObject().getJsonObject("error").getString("code"));
    JsonObject skipped = post(new AiohttpForm().file("file", "other-name.txt", "text/plain", data)
      .field("skip_exists", "true")).bodyAsJsonObject();
    assertEquals("same-1", skipped.getString("id"), "skip_exists returns the file with the same bytes");
    JsonObject fresh = post(new AiohttpForm().file("file", "same.txt", "text/plain", data).field("purpose", "assistants"))
      .bodyAsJsonObject();
    assertFalse(fresh.getString("id").equals("same-1"));
    assertTrue(fresh.getString("id").startsWith("file_"));

    JsonObject page = get("/v1/files?limit=1&order=asc&purpose=assistants");
    assertEquals(1, page.getJsonArray("data").size());
    assertEquals(fresh.getString("id"), page.getString("first_id"));
    assertEquals("list", page.getString("object"));
    JsonObject desc = get("/v1/files?limit=100");
    List<String> ids = desc.getJsonArray("data").stream().map(f -> ((JsonObject) f).getString("id")).toList();
    assertTrue(ids.indexOf(fresh.getString("id")) < ids.indexOf("same-1"), "newest first");
    JsonObject after = get("/v1/files?limit=100&after=" + fresh.getString("id"));
    assertTrue(after.getJsonArray("data").stream().anyMatch(f -> ((JsonObject) f).getString("id").equals("same-1")));
    assertEquals(400, await(live.http.get("/v1/files?after=nope").send()).statusCode());

    Polls.untilStatus(live.http, port, "upload-same-1", 60, "completed", "failed");
    HttpResponse<Buffer> updated = await(live.http.post("/v1/files/same-1/content").sendJsonObject(new JsonObject()
      .put("title", "Warm bees").put("author", "A. Keeper").put("metadata", new JsonObject().put("department", "ops"))
      .put("bookmarks", new JsonArray().add(1)).put("notes", new JsonArray())));
    assertEquals(200, updated.statusCode(), updated.bodyAsString());
    assertEquals("Warm bees", updated.bodyAsJsonObject().getString("title"));
    assertEquals("A. Keeper", updated.bodyAsJsonObject().getString("author"));
    assertEquals("ops", get("/v1/files/same-1").getJsonObject("metadata").getString("department"));
    assertEquals(400, await(live.http.post("/v1/files/same-1/content").sendJsonObject(new JsonObject().put("title", 5)))
      .statusCode());

    HttpResponse<Buffer> deleted = await(live.http.delete("/v1/files/same-1").send());
    assertEquals(200, deleted.statusCode());
    assertEquals(new JsonObject().put("id", "same-1").put("object", "file").put("deleted", true), deleted.bodyAsJsonObject());
    for (String path : List.of("/v1/files/same-1", "/v1/files/same-1/content")) {
      HttpResponse<Buffer> gone = await(live.http.get(path).send());
      assertEquals(404, gone.statusCode());
      assertEquals("file_not_found", gone.bodyAsJsonObject().getJsonObject("error").getString("code"));
    }
    assertEquals(404, await(live.http.delete("/v1/files/same-1").send()).statusCode());
    assertEquals("0", TestDatabase.inRolledBackTransaction(db,
      "SELECT count(*) FROM file_segments WHERE file_id = 'same-1'"));
  }

  @Test
  void deletingAFileWhileItIsProcessedCancelsItsTask() throws Exception {
    Buffer data = Fixtures.text((int) MAX_BYTES - 4096);
    JsonObject file = post(new AiohttpForm().file("file", "long.txt", "text/plain", data)).bodyAsJsonObject();
    String taskId = file.getString("task_id");
    JsonObject running = Polls.untilStatus(live.http, port, taskId, 60, "in_progress", "completed", "failed");
    HttpResponse<Buffer> deleted = await(live.http.delete("/v1/files/" + file.getString("id")).send());
    assertEquals(200, deleted.statusCode(), deleted.bodyAsString());
    JsonObject task = Polls.untilStatus(live.http, port, taskId, 60, "cancelled", "completed", "failed");
    if (running.getString("status").equals("in_progress")) {
      assertEquals("cancelled", task.getString("status"), task.encode());
    }
    assertNotNull(task.getJsonObject("data"));
    assertEquals("0", TestDatabase.inRolledBackTransaction(db,
      "SELECT count(*) FROM file_segments WHERE file_id = '" + file.getString("id") + "'"));
    assertEquals("0", TestDatabase.inRolledBackTransaction(db,
      "SELECT count(*) FROM file_parts p JOIN files f ON f.seq = p.file_seq WHERE f.id = '" + file.getString("id") + "'"));
  }
}
