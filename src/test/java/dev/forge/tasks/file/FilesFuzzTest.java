package dev.forge.tasks.file;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.AiohttpForm;
import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.pgclient.PgConnectOptions;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A seeded fuzz loop of mutated multipart uploads against the real server: each gets 200 or a
 * JSON error (400, 409, 413, 415), no body leaks a stack trace or SQL, and the server is healthy
 * afterwards. The seed is printed on failure; -Dfuzz.seed replays it.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class FilesFuzzTest {

  static final long SEED = Long.getLong("fuzz.seed", System.nanoTime());
  static final List<String> LEAKS = List.of("Exception", "\tat ", "at dev.forge", "at io.vertx", "SELECT ", "INSERT ",
    "UPDATE files", "org.postgresql", "io.netty", "org.apache");
  static LiveNode live;
  static PgConnectOptions db;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.freshDatabase();
    // No job: the fuzz is about the upload path, and processing would only load the machine.
    live = LiveNode.start(TestNodes.config(db, Map.of("TASKS_JOB_TYPES", "",
      "TASKS_TYPES", "file_processing", "TASKS_FILE_MAX_BYTES", "65536")));
  }

  @AfterAll
  static void stop() throws Exception {
    LiveNode.stop(live);
  }

  @Test
  void mutatedUploadsAlwaysGetACleanAnswer() throws Exception {
    Random random = new Random(SEED);
    int ok = 0;
    for (int round = 0; round < 400; round++) {
      AiohttpForm form = new AiohttpForm().file("file", "fuzz " + round + ".txt", "text/plain",
        Buffer.buffer("Bees " + round + " keep warm."));
      if (random.nextBoolean()) {
        form.field("purpose", random.nextBoolean() ? "general" : "q\u00e9");
      }
      if (random.nextInt(4) == 0) {
        form.field("parse_options", random.nextBoolean() ? "{\"summary\":\"disable\"}" : "{\"x\":");
      }
      byte[] body = form.body().getBytes();
      int edits = random.nextInt(4);
      for (int e = 0; e < edits && body.length > 0; e++) {
        int at = random.nextInt(body.length);
        switch (random.nextInt(3)) {
          case 0 -> body[at] = (byte) random.nextInt(256);
          case 1 -> body = java.util.Arrays.copyOf(body, at);
          default -> body[at] = (byte) "\r\n-\";=:".charAt(random.nextInt(7));
        }
      }
      String contentType = random.nextInt(20) == 0 ? "multipart/form-data" : form.contentType();
      HttpResponse<Buffer> r = await(live.http.post("/v1/files").putHeader("Content-Type", contentType)
        .sendBuffer(Buffer.buffer(body)));
      String text = r.bodyAsString();
      String where = "seed " + SEED + ", round " + round + ": " + r.statusCode() + " " + text;
      assertTrue(Set.of(200, 400, 409, 413, 415).contains(r.statusCode()), where);
      assertEquals("application/json", r.getHeader("Content-Type"), where);
      for (String leak : LEAKS) {
        assertFalse(text.contains(leak), where);
      }
      if (r.statusCode() == 200) {
        ok++;
        assertEquals("file", r.bodyAsJsonObject().getString("object"), where);
      } else {
        assertTrue(r.bodyAsJsonObject().getJsonObject("error").getString("message").length() > 0, where);
      }
    }
    assertTrue(ok > 0, "some uploads still succeed (seed " + SEED + ")");
    assertEquals(200, await(live.http.get("/ready").send()).statusCode());
    // Refused uploads leave nothing staged (their abort is sent as they are refused: allow it to land).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String staged = "?";
    while (!staged.equals("0") && System.nanoTime() < deadline) {
      await(live.node.vertx().timer(100));
      staged = TestDatabase.inRolledBackTransaction(db, "SELECT count(*) FROM files WHERE NOT visible");
    }
    assertEquals("0", staged, "seed " + SEED);
  }
}
