package dev.forge.tasks.support;

import dev.forge.tasks.TasksNode;
import dev.forge.tasks.config.TasksConfig;
import dev.forge.tasks.job.Job;
import io.vertx.core.Future;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** A whole node started inside a test, with a web client aimed at its HTTP port. */
public final class LiveNode {

  public final TasksConfig config;
  public final TasksNode node;
  public final WebClient http;

  private LiveNode(TasksConfig config, TasksNode node) {
    this.config = config;
    this.node = node;
    this.http = WebClient.create(node.vertx(), new WebClientOptions().setDefaultHost("127.0.0.1")
      .setDefaultPort(config.httpPort()).setMaxHeaderSize(64 * 1024));
  }

  public static LiveNode start(TasksConfig config) throws Exception {
    return new LiveNode(config, await(TasksNode.start(config)));
  }

  public static LiveNode start(TasksConfig config, Function<String, Job> jobs) throws Exception {
    return new LiveNode(config, await(TasksNode.start(config, jobs)));
  }

  /** Closes the node; safe on null, for {@code @AfterAll} after a failed start. */
  public static void stop(LiveNode live) throws Exception {
    if (live != null) {
      await(live.node.close());
    }
  }

  /** Waits for a future from test code (never from an event loop), 30 s at most. */
  public static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
