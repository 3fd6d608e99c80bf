package dev.forge.tasks;

import dev.forge.tasks.config.ConfigLoader;
import dev.forge.tasks.config.TasksConfig;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -jar target/tasks-server.jar}: one node, configured by conf/config.json and the environment. */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
    TasksConfig config;
    try {
      config = ConfigLoader.load();
    } catch (IllegalArgumentException e) {
      LOG.error("Configuration error: {}", e.getMessage());
      System.exit(2);
      return;
    }
    TasksNode node;
    try {
      node = TasksNode.start(config).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      LOG.error("The server could not start: {}", cause.getMessage(), cause instanceof IllegalArgumentException ? null : cause);
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("Stopping: handing back running tasks, closing the HTTP server and the database");
      try {
        node.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        LOG.info("Stopped cleanly");
      } catch (Exception e) {
        LOG.warn("Stopped with an error: {}", e.toString());
      }
    }, "tasks-shutdown"));
  }
}
