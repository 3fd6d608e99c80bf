package dev.forge.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.job.Job;
import dev.forge.tasks.job.JobContext;
import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.Polls;
import dev.forge.tasks.support.SseClient;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A reader of {@code GET /v1/events} that stops reading while a task changes many times with large
 * data: once it reads again it gets the task's newest state, not every state in between.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EventsSlowReaderTest {

  static final int REPORTS = 150;

  /** Reports progress {@link #REPORTS} times, each with 128 KiB of data, spaced past the flush interval. */
  static final class BigReportsJob implements Job {
    @Override
    public String type() {
      return "big_reports";
    }

    @Override
    public JsonObject run(JobContext ctx) throws InterruptedException {
      String filler = "x".repeat(128 * 1024);
      for (int i = 1; i <= REPORTS; i++) {
        ctx.progress((double) i / (REPORTS + 1), new JsonObject().put("step", i).put("filler", filler));
        Thread.sleep(25); // above TASKS_PROGRESS_FLUSH_MS (20): each report is its own write and event
      }
      return new JsonObject().put("steps", REPORTS).put("filler", "");
    }
  }

  static LiveNode node;

  @BeforeAll
  static void start() throws Exception {
    node = LiveNode.start(TestNodes.config(TestDatabase.freshDatabase(),
      Map.of("TASKS_TYPES", "big_reports", "TASKS_JOB_TYPES", "big_reports")), type -> new BigReportsJob());
  }

  @AfterAll
  static void stop() throws Exception {
    LiveNode.stop(node);
  }

  @Test
  void aPausedReaderGetsTheNewestStateNotEveryState() throws Exception {
    try (SseClient sse = LiveNode.await(SseClient.open(node.node.vertx(), node.config.httpPort(), "/v1/events", Map.of()))) {
      sse.paused(true);
      HttpResponse<Buffer> created = LiveNode.await(node.http.post("/v1/tasks").putHeader("Content-Type", "application/json")
        .sendBuffer(new JsonObject().put("type", "big_reports").put("id", "slow-1").toBuffer()));
      assertEquals(202, created.statusCode());
      assertEquals("completed", Polls.untilStatus(node.http, node.config.httpPort(), "slow-1", 60, "completed").getString("status"));
      sse.paused(false);
      SseClient.Event last = sse.until(e -> e.data().getString("status").equals("completed"), 30);
      assertEquals(REPORTS, last.data().getJsonObject("data").getInteger("steps"));
      List<SseClient.Event> events = sse.seen;
      // About 19 MiB of states were published; kernel buffers hold a few MiB: the rest was coalesced.
      assertTrue(events.size() < REPORTS, events.size() + " events for " + (REPORTS + 2) + " states");
      double progress = 0;
      for (SseClient.Event e : events) {
        assertTrue(e.data().getDouble("progress") >= progress, "progress went down");
        progress = e.data().getDouble("progress");
      }
    }
  }
}
