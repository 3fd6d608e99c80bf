package dev.forge.tasks;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.forge.tasks.bus.TaskStatus;
import dev.forge.tasks.client.NewTask;
import dev.forge.tasks.client.Task;
import dev.forge.tasks.client.TaskPage;
import dev.forge.tasks.client.TaskQuery;
import dev.forge.tasks.client.Subscription;
import dev.forge.tasks.client.TasksClient;
import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many short tasks through the real pipeline (create, claim, run, complete) with a concurrency
 * above what one claim may ask for: every task completes, each exactly once.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PipelineTest {

  static LiveNode live;

  @BeforeAll
  static void start() throws Exception {
    live = LiveNode.start(TestNodes.config(TestDatabase.freshDatabase(), Map.of(
      "TASKS_JOB_TYPES", "noop", "TASKS_JOB_CONCURRENCY", "150")));
  }

  @AfterAll
  static void stop() throws Exception {
    LiveNode.stop(live);
  }

  @Test
  void fiveHundredNoopTasksAllCompleteOnce() throws Exception {
    TasksClient tasks = new TasksClient(live.node.vertx());
    // Every completion is published: wait for the 500th (each id counted once), not for a poll to find it.
    Set<String> done = ConcurrentHashMap.newKeySet();
    Promise<Void> allDone = Promise.promise();
    Subscription completions = await(tasks.watchAll(t -> t.status() == TaskStatus.COMPLETED, t -> {
      if (done.add(t.id()) && done.size() == 500) {
        allDone.complete();
      }
    }));
    long start = System.nanoTime();
    for (int wave = 0; wave < 10; wave++) {
      List<Future<Task>> created = new ArrayList<>();
      for (int i = wave * 50; i < (wave + 1) * 50; i++) {
        created.add(tasks.create(NewTask.of("noop").withId("pipe-" + i)));
      }
      await(Future.all(created));
    }
    await(allDone.future(), 60);
    await(completions.close());
    assertEquals(500, countCompleted(tasks));
    System.out.printf("pipeline: 500 noop tasks created and completed in %d ms%n",
      TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    for (int i = 0; i < 500; i += 50) {
      Task t = await(tasks.get("pipe-" + i));
      assertEquals(TaskStatus.COMPLETED, t.status());
      assertEquals(1, t.data().getInteger("attempt"), t.toString());
    }
  }

  private static long countCompleted(TasksClient tasks) throws Exception {
    long n = 0;
    String after = null;
    while (true) {
      TaskQuery query = TaskQuery.first(100).withStatus(TaskStatus.COMPLETED);
      TaskPage page = await(tasks.list(after == null ? query : query.after(after)));
      n += page.tasks().size();
      if (!page.hasMore()) {
        return n;
      }
      after = page.lastId();
    }
  }
}
