package dev.forge.tasks.task;

import dev.forge.tasks.bus.TaskStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Task counters for {@code GET /metrics}: {@code tasks_enqueued_total} (created),
 * {@code tasks_completed_total}, {@code tasks_failed_total}, {@code tasks_cancelled_total},
 * {@code tasks_rescued_total} (each by {@code type}), the gauge {@code tasks_pending} (the whole table, refreshed by the store every
 * few seconds), and {@code tasks_store_batch_rows} (requests carried by each group-committed create or
 * complete statement, by {@code statement}). One instance per node, shared by its store verticles.
 */
public final class TaskMetrics {

  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, DistributionSummary> batches = new ConcurrentHashMap<>();
  private final AtomicLong pending = new AtomicLong();
  private final AtomicLong pendingReadAt = new AtomicLong();

  public TaskMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("tasks.pending", pending, AtomicLong::get)
      .description("Tasks waiting to be claimed, in the whole database").register(registry);
  }

  /** Counts nothing anywhere visible; for tests that deploy a store alone. */
  public static TaskMetrics none() {
    return new TaskMetrics(new SimpleMeterRegistry());
  }

  void created(String type) {
    count("tasks.enqueued", type);
  }

  /** Counts a task that reached {@code status} by the change just persisted. */
  void ended(TaskStatus status, String type) {
    switch (status) {
      case COMPLETED -> count("tasks.completed", type);
      case FAILED -> count("tasks.failed", type);
      case CANCELLED -> count("tasks.cancelled", type);
      default -> {
      }
    }
  }

  void expired(int count) {
    Counter.builder("tasks.expired").description("Terminal tasks deleted by retention").register(registry).increment(count);
  }

  void rescued(String type) {
    count("tasks.rescued", type);
  }

  /** True when the pending count is older than {@code maxAgeMs} and this caller should refresh it. */
  boolean pendingDue(long maxAgeMs) {
    long now = System.currentTimeMillis();
    long last = pendingReadAt.get();
    return now - last >= maxAgeMs && pendingReadAt.compareAndSet(last, now);
  }

  void pending(long count) {
    pending.set(count);
  }

  /** One group-committed statement of {@code statement} ("create", "complete") carried {@code rows} requests. */
  void batch(String statement, int rows) {
    batches.computeIfAbsent(statement, s -> DistributionSummary.builder("tasks.store.batch").baseUnit("rows")
      .description("Requests carried by one group-committed statement").tag("statement", s).register(registry))
      .record(rows);
  }

  private void count(String name, String type) {
    // Looked up once per name and type: building and registering a meter on every change costs more than counting.
    counters.computeIfAbsent(name + '\u0000' + type, k -> Counter.builder(name).tag("type", type).register(registry))
      .increment();
  }
}
