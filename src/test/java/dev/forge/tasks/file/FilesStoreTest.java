package dev.forge.tasks.file;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The files store through the bus against real Postgres, with no processing job running: uploads
 * in parts, visibility only once the task exists, attempt fencing of segment writes, and the
 * status reconciled with the task.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FilesStoreTest {

  static LiveNode live;
  static EventBus bus;
  static PgConnectOptions db;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.freshDatabase();
    live = LiveNode.start(TestNodes.config(db,
      Map.of("TASKS_JOB_TYPES", "", "TASKS_TYPES", "file_processing")));
    bus = live.node.vertx().eventBus();
  }

  @AfterAll
  static void stop() throws Exception {
    LiveNode.stop(live);
  }

  static JsonObject call(String address, JsonObject body) throws Exception {
    return (JsonObject) await(bus.request(address, body)).body();
  }

  static ApiError failure(String address, JsonObject body) throws Exception {
    try {
      await(bus.request(address, body));
    } catch (ExecutionException e) {
      return ApiError.fromThrowable(e.getCause());
    }
    throw new AssertionError(address + " succeeded");
  }

  /** Uploads {@code parts} through the bus and finishes; returns the file object. */
  static JsonObject upload(String tenant, String id, String... parts) throws Exception {
    long seq = call(Addresses.FILES_UPLOAD_BEGIN, new JsonObject().put("tenant", tenant)
      .put("filename", "notes.txt").put("content_type", "text/plain")).getLong("upload");
    long bytes = 0;
    for (int i = 0; i < parts.length; i++) {
      Buffer data = Buffer.buffer(parts[i]);
      bytes += data.length();
      await(bus.request(Addresses.FILES_UPLOAD_PART, data, new DeliveryOptions()
        .addHeader(Addresses.HEADER_TENANT, tenant).addHeader(Addresses.HEADER_UPLOAD, Long.toString(seq))
        .addHeader(Addresses.HEADER_PART, Integer.toString(i))));
    }
    return call(Addresses.FILES_UPLOAD_FINISH, new JsonObject().put("tenant", tenant).put("upload", seq).put("id", id)
      .put("purpose", "general").put("md5", "md5-of-" + id).put("bytes", bytes).put("parts", parts.length)
      .put("parse_options", new JsonObject().put("vectorize", "enable")));
  }

  @Test
  void anUploadIsVisibleOnlyOnceItsTaskExists() throws Exception {
    JsonObject file = upload("t1", "file_a", "hello ", "world");
    assertEquals("processing", file.getString("status"));
    assertEquals("upload-file_a", file.getString("task_id"));
    assertEquals(11, file.getLong("bytes"));
    assertEquals("enable", file.getJsonObject("parse_options").getString("vectorize"));
    JsonObject task = (JsonObject) await(bus.request(Addresses.GET,
      new JsonObject().put("tenant", "t1").put("id", "upload-file_a"))).body();
    assertEquals("file_processing", task.getString("type"));
    assertEquals("file_a", task.getJsonObject("data").getString("file_id"));
    assertEquals(404, failure(Addresses.FILES_GET, new JsonObject().put("tenant", "t2").put("id", "file_a")).status());
    assertEquals("file_not_found", failure(Addresses.FILES_GET, new JsonObject().put("id", "file_a")).code());
    assertEquals(409, failure(Addresses.FILES_UPLOAD_BEGIN, new JsonObject().put("tenant", "t1").put("id", "file_a")
      .put("filename", "x").put("content_type", "text/plain")).status());
  }

  @Test
  void segmentsOfAStaleAttemptAreRefusedAndTheFinalCountTrims() throws Exception {
    upload("t1", "file_b", "text");
    JsonObject key = new JsonObject().put("tenant", "t1").put("id", "file_b");
    JsonObject started = call(Addresses.FILES_JOB_START, key.copy().put("attempt", 1));
    assertFalse(started.getBoolean("processed"));
    assertEquals(1, started.getJsonObject("file").getInteger("parts"));
    assertEquals("text", await(bus.request(Addresses.FILES_JOB_READ, key.copy().put("part", 0))).body().toString());
    call(Addresses.FILES_JOB_SEGMENTS, key.copy().put("attempt", 1).put("segments", segments(0, 5)));
    // A rescue: attempt 2 takes over; attempt 1's writes are refused from now on.
    call(Addresses.FILES_JOB_START, key.copy().put("attempt", 2));
    assertEquals(409, failure(Addresses.FILES_JOB_SEGMENTS, key.copy().put("attempt", 1)
      .put("segments", segments(5, 2))).status());
    call(Addresses.FILES_JOB_SEGMENTS, key.copy().put("attempt", 2).put("segments", segments(0, 3)));
    call(Addresses.FILES_JOB_SEGMENTS, key.copy().put("attempt", 2).put("segments", segments(0, 3))); // a resend
    JsonObject empty = call(Addresses.FILES_SEGMENTS, key);
    assertEquals(0, empty.getJsonArray("segments").size(), "no segments before processed");
    call(Addresses.FILES_JOB_DONE, key.copy().put("attempt", 2).put("segment_count", 3).put("summary", "S")
      .put("keywords", new JsonArray().add("k")).put("file_type", "txt"));
    assertEquals(409, failure(Addresses.FILES_JOB_DONE, key.copy().put("attempt", 1).put("segment_count", 5)).status());
    JsonObject page = call(Addresses.FILES_SEGMENTS, key.copy().put("limit", 2));
    assertEquals(2, page.getJsonArray("segments").size());
    assertTrue(page.getBoolean("has_more"));
    JsonObject rest = call(Addresses.FILES_SEGMENTS, key.copy().put("after", 1));
    assertEquals(1, rest.getJsonArray("segments").size());
    assertEquals("segment 2", rest.getJsonArray("segments").getJsonObject(0).getString("content"));
    assertFalse(rest.getBoolean("has_more"));
    assertEquals("processed", call(Addresses.FILES_GET, key).getString("status"));
    JsonObject document = call(Addresses.FILES_DOCUMENT, key);
    assertEquals(3, document.getJsonObject("content").getJsonArray("segments").size());
    assertEquals("md5-of-file_b-P0001", document.getJsonObject("content").getJsonArray("segments").getJsonObject(1)
      .getString("id"));
    // Rescued after done but before the task completed: the next attempt finds the work done.
    assertTrue(call(Addresses.FILES_JOB_START, key.copy().put("attempt", 3)).getBoolean("processed"));
  }

  /** A batch that repeats indexes already stored (a resend, or what a stale attempt slipped in) replaces them. */
  @Test
  void aBatchRepeatingStoredIndexesReplacesThem() throws Exception {
    JsonObject key = startedWithSegments("file_h", 3);
    JsonArray again = new JsonArray();
    for (int i = 1; i < 5; i++) {
      again.add(new JsonObject().put("index", i).put("content", "again " + i).put("metadata", new JsonObject().put("page", 2)));
    }
    call(Addresses.FILES_JOB_SEGMENTS, key.copy().put("attempt", 1).put("segments", again));
    assertEquals("5", segmentRows("file_h"));
    call(Addresses.FILES_JOB_DONE, key.copy().put("attempt", 1).put("segment_count", 5).put("file_type", "txt"));
    JsonArray stored = call(Addresses.FILES_SEGMENTS, key).getJsonArray("segments");
    assertEquals(5, stored.size());
    assertEquals("segment 0", stored.getJsonObject(0).getString("content"));
    for (int i = 1; i < 5; i++) {
      assertEquals("again " + i, stored.getJsonObject(i).getString("content"));
      assertEquals(2, stored.getJsonObject(i).getJsonObject("metadata").getInteger("page"));
    }
  }

  @Test
  void aCancelledTaskMakesTheFileFailedAndDeleteCancelsTheTask() throws Exception {
    upload("t1", "file_c", "x");
    JsonObject task = new JsonObject().put("tenant", "t1").put("id", "upload-file_c");
    await(bus.request(Addresses.CANCEL, task));
    JsonObject file = call(Addresses.FILES_GET, new JsonObject().put("tenant", "t1").put("id", "file_c"));
    assertEquals("failed", file.getString("status"));
    assertEquals("The processing task was cancelled.", file.getString("processing_error_message"));

    upload("t1", "file_d", "y");
    call(Addresses.FILES_DELETE, new JsonObject().put("tenant", "t1").put("id", "file_d"));
    JsonObject after = (JsonObject) await(bus.request(Addresses.GET, task.copy().put("id", "upload-file_d"))).body();
    assertEquals("cancelled", after.getString("status"));
    assertEquals(404, failure(Addresses.FILES_GET, new JsonObject().put("tenant", "t1").put("id", "file_d")).status());
    // The id is free again; the new file gets a new task in place of the old one.
    JsonObject again = upload("t1", "file_d", "z");
    assertEquals("processing", again.getString("status"));
    JsonObject fresh = (JsonObject) await(bus.request(Addresses.GET, task.copy().put("id", "upload-file_d"))).body();
    assertEquals("pending", fresh.getString("status"));
  }

  @Test
  void anUploadLeftUnfinishedIsDropped() throws Exception {
    // A second store instance that drops staged uploads after 1 ms, sweeping every second.
    String deployment = await(live.node.vertx().deployVerticle(new FilesVerticle(new FilesVerticle.Settings(db, 1, 5000, 1))));
    try {
      long seq = call(Addresses.FILES_UPLOAD_BEGIN, new JsonObject().put("tenant", "t9").put("filename", "half.txt")
        .put("content_type", "text/plain")).getLong("upload");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      ApiError gone = null;
      while (gone == null && System.nanoTime() < deadline) {
        await(live.node.vertx().timer(200));
        gone = failure(Addresses.FILES_UPLOAD_FINISH, new JsonObject().put("tenant", "t9").put("upload", seq)
          .put("id", "half").put("purpose", "general").put("md5", "x").put("bytes", 1).put("parts", 1));
        gone = gone.status() == 404 ? gone : null;
      }
      assertEquals("upload_not_found", gone == null ? null : gone.code());
    } finally {
      await(live.node.vertx().undeploy(deployment));
    }
  }

  @Test
  void deletingAFileDeletesItsSegments() throws Exception {
    JsonObject key = startedWithSegments("file_e", 50);
    assertEquals("50", segmentRows("file_e"));
    call(Addresses.FILES_DELETE, key);
    assertEquals("0", segmentRows("file_e"));
    // Gone, its segments are refused and nothing is written for it.
    assertEquals(404, failure(Addresses.FILES_JOB_SEGMENTS, key.copy().put("attempt", 1)
      .put("segments", segments(0, 5))).status());
    assertEquals("0", segmentRows("file_e"));
    assertEquals("0", orphanSegments());
  }

  /** A delete that goes first (uncommitted when the segments arrive): they wait for it, then write nothing. */
  @Test
  void segmentsWrittenWhileTheFileIsBeingDeletedNeverPrecedeIt() throws Exception {
    Future<Message<Object>> write = whileHeldOpen("file_f",
      key -> bus.request(Addresses.FILES_JOB_SEGMENTS, key.copy().put("attempt", 1).put("segments", segments(0, 20))),
      "DELETE FROM files WHERE tenant = 't1' AND id = 'file_f'");
    assertEquals(404, failure(write).status());
    assertEquals("0", segmentRows("file_f"));
    assertEquals("0", orphanSegments());
  }

  /** An insert that goes first (uncommitted when the delete comes): the delete waits, then takes its segments. */
  @Test
  void aFileDeletedWhileItsSegmentsAreWrittenTakesThemWithIt() throws Exception {
    // The store's own statement; the delete can only wait for it if it found the file and wrote.
    Future<Message<Object>> delete = whileHeldOpen("file_g", key -> bus.request(Addresses.FILES_DELETE, key),
      "PREPARE ins (text, text, int, int[], text[], text[]) AS " + FileSql.INSERT_SEGMENTS,
      "EXECUTE ins ('t1', 'file_g', 1, ARRAY[0, 1, 2], ARRAY['a', 'b', 'c'], ARRAY['{}', '{}', '{}'])");
    assertTrue(((JsonObject) await(delete).body()).getBoolean("deleted"));
    assertEquals("0", segmentRows("file_g"));
    assertEquals("0", orphanSegments());
  }

  /**
   * Uploads file {@code id} of tenant t1 and starts its processing attempt 1; runs {@code statements}
   * in a transaction of the test's own, and meanwhile {@code request} with the file's key; asserts
   * that the request waits for that transaction, commits it, and hands back the request's reply.
   */
  static Future<Message<Object>> whileHeldOpen(String id, Function<JsonObject, Future<Message<Object>>> request,
                                               String... statements) throws Exception {
    upload("t1", id, "text");
    JsonObject key = new JsonObject().put("tenant", "t1").put("id", id);
    call(Addresses.FILES_JOB_START, key.copy().put("attempt", 1));
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + db.getHost() + ":" + db.getPort() + "/"
      + db.getDatabase(), db.getUser(), db.getPassword()); Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      for (String statement : statements) {
        st.execute(statement);
      }
      Future<Message<Object>> reply = request.apply(key);
      await(live.node.vertx().timer(300));
      assertFalse(reply.isComplete(), "waits for the other transaction");
      c.commit();
      return reply;
    }
  }

  /** Uploads file {@code id} of tenant t1, starts its attempt 1 and writes its first {@code n} segments; its key. */
  static JsonObject startedWithSegments(String id, int n) throws Exception {
    upload("t1", id, "text");
    JsonObject key = new JsonObject().put("tenant", "t1").put("id", id);
    call(Addresses.FILES_JOB_START, key.copy().put("attempt", 1));
    call(Addresses.FILES_JOB_SEGMENTS, key.copy().put("attempt", 1).put("segments", segments(0, n)));
    return key;
  }

  static String segmentRows(String fileId) {
    return TestDatabase.inRolledBackTransaction(db, "SELECT count(*) FROM file_segments WHERE file_id = '" + fileId + "'");
  }

  /** Segments whose file does not exist (there must never be any). */
  static String orphanSegments() {
    return TestDatabase.inRolledBackTransaction(db, "SELECT count(*) FROM file_segments s "
      + "WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.tenant = s.tenant AND f.id = s.file_id)");
  }

  static ApiError failure(Future<Message<Object>> reply) throws Exception {
    try {
      await(reply);
    } catch (ExecutionException e) {
      return ApiError.fromThrowable(e.getCause());
    }
    throw new AssertionError("succeeded");
  }

  static JsonArray segments(int from, int n) {
    JsonArray out = new JsonArray();
    for (int i = from; i < from + n; i++) {
      out.add(new JsonObject().put("index", i).put("content", "segment " + i).put("metadata", new JsonObject().put("page", 1)));
    }
    return out;
  }
}
