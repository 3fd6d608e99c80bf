package dev.forge.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.generated.ApiClient;
import dev.forge.tasks.generated.ApiException;
import dev.forge.tasks.generated.api.EventsApi;
import dev.forge.tasks.generated.api.OperationsApi;
import dev.forge.tasks.generated.api.TasksApi;
import dev.forge.tasks.generated.model.CreateTask;
import dev.forge.tasks.generated.model.TaskList;
import dev.forge.tasks.generated.model.TaskStatus;
import dev.forge.tasks.generated.model.Trace;
import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import java.math.BigDecimal;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Java client that openapi-generator made from {@code openapi.json} during this build
 * ({@code dev.forge.tasks.generated}) talks to a real node: the document is usable as well as true.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OpenApiClientTest {

  static final String KEY = "generated-client-key-0123";
  static LiveNode node;
  static ApiClient client;

  @BeforeAll
  static void start() throws Exception {
    node = LiveNode.start(TestNodes.config(TestDatabase.freshDatabase(),
      Map.of("TASKS_TYPES", "sleep", "TASKS_JOB_TYPES", "sleep", "TASKS_API_KEYS", "acme=" + KEY)));
    client = new ApiClient().setHost("127.0.0.1").setPort(node.config.httpPort())
      .setRequestInterceptor(request -> request.header("Authorization", "Bearer " + KEY));
  }

  @AfterAll
  static void stop() throws Exception {
    LiveNode.stop(node);
  }

  @Test
  void theGeneratedClientCreatesWaitsListsCountsAndGetsErrors() throws Exception {
    TasksApi tasks = new TasksApi(client);
    Trace created = tasks.createTask(new CreateTask().type("sleep").id("generated-1").putInputItem("ms", 50));
    assertEquals("generated-1", created.getId());
    assertEquals(TaskStatus.PENDING, created.getStatus());
    assertEquals(Map.of("operation", "sleep"), created.getData());

    Trace state = created;
    for (int i = 0; i < 20 && state.getStatus() != TaskStatus.COMPLETED; i++) {
      state = tasks.getTask("generated-1", 5, null); // long poll: answers at the first change
    }
    assertEquals(TaskStatus.COMPLETED, state.getStatus());
    assertEquals(0, state.getProgress().compareTo(BigDecimal.ONE));

    TaskList list = tasks.listTasks(10, null, null, "desc", "completed", "sleep");
    assertEquals("generated-1", list.getData().get(0).getId());
    assertEquals(false, list.getHasMore());
    assertEquals(1L, tasks.countTasks(null).getCounts().getCompleted());

    ApiException conflict = assertThrows(ApiException.class, () -> tasks.cancelTask("generated-1"));
    assertEquals(409, conflict.getCode());
    assertTrue(conflict.getResponseBody().contains("task_not_cancellable"), conflict.getResponseBody());
    assertEquals(404, assertThrows(ApiException.class, () -> tasks.getTask("no-such-task", null, null)).getCode());

    assertEquals(true, tasks.deleteTask("generated-1").getDeleted());
    assertTrue(new EventsApi(client).createEventTicket().getTicket().length() >= 20);
    assertEquals("ok", new OperationsApi(client).health().getStatus().getValue());
  }
}
