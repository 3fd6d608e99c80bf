package dev.forge.tasks.task;

import dev.forge.tasks.bus.TaskStatus;
import dev.forge.tasks.db.StoreFailures;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's timers: rescue of tasks whose worker stopped renewing its lease, retention of old
 * terminal tasks, and the pending count for metrics. Every instance of every node may run them at
 * once: the statements skip rows another instance holds.
 */
final class Housekeeping {

  private static final Logger LOG = LoggerFactory.getLogger(Housekeeping.class);

  private final Vertx vertx;
  private final TaskStore tasks;
  private final JobStore jobs;
  private final Changes changes;
  private final StoreVerticle.Settings settings;
  private static final long OTHER_NODES_CHECK_MS = 5000;
  private boolean sharing;

  Housekeeping(Vertx vertx, TaskStore tasks, JobStore jobs, Changes changes, StoreVerticle.Settings settings) {
    this.vertx = vertx;
    this.tasks = tasks;
    this.jobs = jobs;
    this.changes = changes;
    this.settings = settings;
  }

  /** Starts the timers; Vert.x cancels them when the verticle is undeployed. */
  void start() {
    if (settings.rescueIntervalMs() > 0) {
      vertx.setPeriodic(settings.rescueIntervalMs(), timer -> rescue());
    }
    if (settings.retention().intervalMs() > 0) {
      vertx.setTimer(settings.retention().intervalMs(), timer -> expire());
    }
    vertx.setPeriodic(1000, timer -> {
      if (changes.metrics().pendingDue(5000)) {
        tasks.countPending().onSuccess(changes.metrics()::pending);
      }
    });
    String self = settings.connect().getProperties().get("application_name");
    if (!vertx.isClustered() && changes.caching() && self != null && self.startsWith(StoreVerticle.APPLICATION_NAME_PREFIX)
      // one store instance per node checks (the cache is the node's, not the instance's)
      && vertx.sharedData().getLocalMap("tasks.housekeeping").putIfAbsent("alone-check", self) == null) {
      vertx.setPeriodic(OTHER_NODES_CHECK_MS, timer -> checkAlone(self));
    }
  }

  /**
   * A node that is not clustered hears of no other node's changes, so its cache entries do not
   * expire. Should other nodes share its database all the same (a deployment scaled out without
   * TASKS_CLUSTER), it says so loudly and drops its cache at every check: staleness is then bounded
   * by the check interval rather than unbounded.
   */
  private void checkAlone(String self) {
    tasks.otherNodes(StoreVerticle.APPLICATION_NAME_PREFIX, self).onSuccess(others -> {
      if (others > 0) {
        if (!sharing) {
          LOG.error("{} other tasks-server node(s) use this database, but this node is not clustered: it cannot hear"
            + " of their changes, so it re-reads tasks every {} s. Run every node on one database as a cluster"
            + " (TASKS_CLUSTER=true, TASKS_CLUSTER_MEMBERS).", others, OTHER_NODES_CHECK_MS / 1000);
        }
        changes.forgetAll();
      } else if (sharing) {
        LOG.info("No other tasks-server node uses this database any more");
      }
      sharing = others > 0;
    });
  }

  private void rescue() {
    jobs.rescue(100, settings.retryBaseMs())
      .onFailure(err -> LOG.warn("Rescue of expired leases failed: {}", err.getMessage()))
      .onSuccess(traces -> traces.forEach(changes::rescued));
  }

  /**
   * One batch per status; a full batch means more are due, so the next follows shortly, while a
   * short one waits for the next interval. Batches are small so that the API never stalls on them.
   */
  private void expire() {
    StoreVerticle.Retention r = settings.retention();
    List<Future<List<Trace>>> batches = new ArrayList<>();
    for (TaskStatus status : List.of(TaskStatus.COMPLETED, TaskStatus.CANCELLED, TaskStatus.FAILED)) {
      long age = switch (status) {
        case COMPLETED -> r.completedS();
        case CANCELLED -> r.cancelledS();
        default -> r.failedS();
      };
      if (age > 0) {
        batches.add(tasks.expire(status, age, r.batch()));
      }
    }
    // join, not all: every batch's outcome is needed, also when another batch failed.
    Future.join(batches).onComplete(done -> {
      boolean more = false;
      int total = 0;
      for (Future<List<Trace>> batch : batches) {
        if (batch.failed()) {
          LOG.warn("Retention pass failed: {}", batch.cause().getMessage());
          if (StoreFailures.outcomeUnknown(batch.cause())) {
            changes.forgetAll(); // a batch may have been deleted without this node hearing which tasks
          }
          continue;
        }
        // Published like any deletion: every node's cache must forget the task (none expires on its own).
        batch.result().forEach(changes::deleted);
        total += batch.result().size();
        more |= batch.result().size() >= r.batch();
      }
      if (total > 0) {
        LOG.debug("Retention deleted {} tasks", total);
        changes.metrics().expired(total);
      }
      vertx.setTimer(more ? 100 : r.intervalMs(), timer -> expire());
    });
  }
}
