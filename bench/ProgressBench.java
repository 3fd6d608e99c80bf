import dev.forge.tasks.TasksNode;
import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.config.ConfigLoader;
import dev.forge.tasks.config.TasksConfig;
import dev.forge.tasks.job.Job;
import dev.forge.tasks.job.JobContext;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Progress reports under load: starts a node in this JVM (TasksNode.start with a custom job),
 * creates {@code --tasks} tasks of that job, and each running job calls {@code ctx.progress(p)} in
 * a tight loop, p rising, for {@code --seconds}. Reports the calls per second the runtime accepted,
 * and what they cost the database: UPDATEs per second (the {@code n_tup_upd} delta of the tasks
 * table, and the {@code tasks.updated} events published, one per persisted change).
 *
 * <p>The node's database comes from the environment (PGHOST, PGPORT, PGDATABASE, PGUSER; use a
 * throwaway database); other TASKS_* variables apply too (TASKS_PROGRESS_FLUSH_MS,
 * TASKS_STORE_THREADING...).
 * <pre>
 * PGHOST=127.0.0.1 PGDATABASE=bench_x java -cp target/tasks-server.jar bench/ProgressBench.java --tasks 8 --seconds 10
 * </pre>
 * Prints {@code PROGRESS_RESULT key=value ...}.
 */
public class ProgressBench {

  static final String TYPE = "progress_bench";
  static final LongAdder CALLS = new LongAdder();
  static volatile long stopAt;

  public static void main(String[] args) throws Exception {
    int tasks = 8;
    double seconds = 10;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--tasks" -> tasks = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Double.parseDouble(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put("TASKS_JOB_TYPES", TYPE);
    env.put("TASKS_TYPES", TYPE);
    env.putIfAbsent("TASKS_JOB_CONCURRENCY", Integer.toString(tasks));
    env.put("HTTP_HOST", "127.0.0.1");
    if (!env.containsKey("HTTP_PORT")) {
      try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
        env.put("HTTP_PORT", Integer.toString(free.getLocalPort()));
      }
    }
    env.put("TASKS_CLUSTER", "false");
    env.put("TASKS_API_KEYS", "");
    TasksConfig config = ConfigLoader.load(new JsonObject(), env);
    Job job = new Job() {
      @Override
      public String type() {
        return TYPE;
      }

      @Override
      public JsonObject run(JobContext ctx) {
        long n = 0;
        while (System.nanoTime() < stopAt) {
          // 0.0 .. 0.999: rising, never 1 (completion sets 1).
          ctx.progress(Math.min(0.999, (++n) / 1e9));
          CALLS.increment();
        }
        return new JsonObject().put("reports", n);
      }
    };
    stopAt = Long.MAX_VALUE;
    TasksNode node = TasksNode.start(config, t -> TYPE.equals(t) ? job : null).await(120, TimeUnit.SECONDS);
    PgConnectOptions pgo = PgConnectOptions.fromEnv();
    Pool pg = PgBuilder.pool().connectingTo(pgo).using(node.vertx()).build();
    LongAdder events = new LongAdder();
    LongAdder completed = new LongAdder();
    node.vertx().eventBus().consumer(Addresses.UPDATED, m -> {
      events.increment();
      if ("completed".equals(m.headers().get("status"))) {
        completed.increment();
      }
    });

    // Every job starts (and the clock with it) before the measured window.
    stopAt = System.nanoTime() + (long) ((seconds + 2) * 1e9);
    List<Future<?>> created = new ArrayList<>();
    for (int i = 0; i < tasks; i++) {
      created.add(node.vertx().eventBus().request(Addresses.CREATE, new JsonObject().put("type", TYPE)));
    }
    Future.all(created).await(30, TimeUnit.SECONDS);
    Thread.sleep(1000);
    long upd0 = updates(pg);
    long calls0 = CALLS.sum();
    long ev0 = events.sum();
    long t0 = System.nanoTime();
    Thread.sleep((long) (seconds * 1000));
    long calls1 = CALLS.sum();
    long ev1 = events.sum();
    double s = (System.nanoTime() - t0) / 1e9;
    // Table statistics lag by up to a second or so on both reads alike, so the window is unbiased.
    long upd1 = updates(pg);
    System.out.printf("PROGRESS_RESULT tasks=%d seconds=%.1f calls_per_s=%.0f updates_per_s=%.1f events_per_s=%.1f"
        + " flush_ms=%d max_updates_per_s=%.0f store=%s%n",
      tasks, s, (calls1 - calls0) / s, (upd1 - upd0) / s, (ev1 - ev0) / s, config.progressFlushMs(),
      tasks * 1000.0 / config.progressFlushMs(), config.storeThreading());
    long end = stopAt + 30_000_000_000L;
    while (completed.sum() < tasks && System.nanoTime() < end) {
      Thread.sleep(100);
    }
    System.out.printf("PROGRESS_DRAIN completed=%d of %d, %.1f s after the jobs returned%n", completed.sum(), tasks,
      (System.nanoTime() - stopAt) / 1e9);
    pg.close();
    node.close().await(30, TimeUnit.SECONDS);
    System.exit(0);
  }

  static long updates(Pool pg) throws Exception {
    pg.query("SELECT pg_stat_clear_snapshot()").execute().await(10, TimeUnit.SECONDS);
    return pg.query("SELECT coalesce(sum(n_tup_upd), 0) AS n FROM pg_stat_user_tables WHERE relname = 'tasks'")
      .execute().await(10, TimeUnit.SECONDS).iterator().next().getLong("n");
  }
}
