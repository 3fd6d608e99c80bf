package dev.forge.tasks.vector;

import dev.forge.tasks.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every file in progress owned by a task that will settle it. A store with files in
 * progress whose latest task has ended is put right: after a cancel (or a final failure), the
 * files joined before it become cancelled (or failed); files left over otherwise (a join that
 * raced with the end of the job, a task that could not be created) get the task again, replaced.
 * Runs every {@code intervalMs} on each node (every step is safe to repeat or race), and at once
 * for a store whose task a cancel just reached.
 */
final class Sweeper {

  private static final Logger LOG = LoggerFactory.getLogger(Sweeper.class);

  private final Vertx vertx;
  private final VectorStoreDb db;
  private final StoreTasks tasks;
  private boolean running;

  Sweeper(Vertx vertx, VectorStoreDb db, StoreTasks tasks) {
    this.vertx = vertx;
    this.db = db;
    this.tasks = tasks;
  }

  Future<Void> start(long intervalMs) {
    vertx.setPeriodic(intervalMs, t -> sweep());
    return vertx.eventBus().<JsonObject>consumer(Addresses.UPDATED, this::onTaskUpdate).completion();
  }

  private void onTaskUpdate(Message<JsonObject> m) {
    String status = m.headers().get(Addresses.HEADER_STATUS);
    String id = m.headers().get(Addresses.HEADER_TASK_ID);
    if (("cancelled".equals(status) || "failed".equals(status)) && id != null
      && (id.startsWith(VectorStoreIds.CREATE_PREFIX) || id.startsWith(VectorStoreIds.VECTORIZE_PREFIX))) {
      String tenant = m.headers().get(Addresses.HEADER_TENANT);
      String storeId = id.substring(id.indexOf('-') + 1);
      db.storeInProgress(tenant, storeId).onSuccess(taskId -> {
        if (taskId != null) {
          settle(tenant, storeId, taskId);
        }
      });
    }
  }

  void sweep() {
    if (running) {
      return;
    }
    running = true;
    db.storesInProgress()
      .compose(list -> {
        Future<Void> chain = Future.succeededFuture();
        for (String[] s : list) {
          chain = chain.compose(v -> settle(s[0], s[1], s[2]).otherwiseEmpty());
        }
        return chain;
      })
      .onFailure(err -> LOG.debug("Vector store sweep failed: {}", err.getMessage()))
      .onComplete(done -> running = false);
  }

  private Future<Void> settle(String tenant, String storeId, String taskId) {
    return tasks.get(tenant, taskId).compose(task -> {
      if (task == null) {
        LOG.info("Task {} of vector store {} is missing while files are in progress: creating it", taskId, storeId);
        return tasks.ensure(tenant, taskId, storeId);
      }
      String status = task.getString("status");
      if (!StoreTasks.terminal(status)) {
        return Future.succeededFuture();
      }
      if (status.equals("completed")) {
        LOG.info("Task {} completed while files of vector store {} were joined: running it again", taskId, storeId);
        return tasks.ensure(tenant, taskId, storeId);
      }
      // Cancelled or failed: that ends the files joined up to then; later joins get the task again.
      return db.cancelMembers(tenant, storeId, task.getLong("updated_at"), status.equals("failed") ? "failed" : "cancelled",
          task.getString("failure_reason"))
        .compose(n -> db.pending(tenant, storeId))
        .compose(p -> p.pending().isEmpty() ? Future.<Void>succeededFuture() : tasks.ensure(tenant, taskId, storeId));
    });
  }
}
