package dev.forge.tasks.support;

import dev.forge.tasks.TasksNode;
import dev.forge.tasks.config.TasksConfig;
import dev.forge.tasks.job.Job;
import io.vertx.core.Future;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A whole node started inside a test, with a web client aimed at its HTTP port; and the one way
 * tests wait for a future ({@link #await}).
 */
public final class LiveNode {

  /** How long a node may take to start or stop on a busy machine (a cluster join included). */
  private static final long START_SECONDS = 60;

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
    return new LiveNode(config, await(TasksNode.start(config), START_SECONDS));
  }

  public static LiveNode start(TasksConfig config, Function<String, Job> jobs) throws Exception {
    return new LiveNode(config, await(TasksNode.start(config, jobs), START_SECONDS));
  }

  /** The port of the node's HTTP API. */
  public int port() {
    return config.httpPort();
  }

  /** Closes the node; safe on null, for {@code @AfterAll} after a failed start. */
  public static void stop(LiveNode live) throws Exception {
    if (live != null) {
      await(live.node.close(), START_SECONDS);
    }
  }

  /** Waits for a future from test code (never from an event loop), 30 s at most. */
  public static <T> T await(Future<T> f) throws Exception {
    return await(f, 30);
  }

  /** Waits for a future from test code, {@code seconds} at most. */
  public static <T> T await(Future<T> f, long seconds) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
  }

  /** Waits for a future that must fail, 30 s at most, and returns why it failed. */
  public static Throwable failure(Future<?> f) throws Exception {
    try {
      Object value = await(f);
      throw new AssertionError("expected a failure, got " + value);
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }
}
