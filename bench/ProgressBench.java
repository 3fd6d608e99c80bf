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
 * a tight loop, p rising, for {@code --seconds} from its own start. Reports the calls per second
 * the runtime accepted (all jobs together), and what they cost the database: UPDATEs per second
 * (from the tasks' {@code version} column: each UPDATE adds 1; less the claim and the completion)
 * and {@code tasks.updated} events (less those of the create, the claim and the completion),
 * both per second of a job's run; also how long the first claim took after the creates.
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
    long runNs = (long) (seconds * 1e9);
    LongAdder busyNs = new LongAdder();
    java.util.concurrent.ConcurrentLinkedQueue<Long> starts = new java.util.concurrent.ConcurrentLinkedQueue<>();
    Job job = new Job() {
      @Override
      public String type() {
        return TYPE;
      }

      @Override
      public JsonObject run(JobContext ctx) {
        // Each job reports for exactly --seconds from its own start, so a slow claim does not shorten it.
        long start = System.nanoTime();
        starts.add(start);
        long stop = start + runNs;
        long n = 0;
        while (System.nanoTime() < stop) {
          // 0.0 .. 0.999: rising, never 1 (completion sets 1).
          ctx.progress(Math.min(0.999, (++n) / 1e9));
        }
        CALLS.add(n);
        busyNs.add(System.nanoTime() - start);
        return new JsonObject().put("reports", n);
      }
    };
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

    long created = System.nanoTime();
    List<Future<?>> creates = new ArrayList<>();
    for (int i = 0; i < tasks; i++) {
      creates.add(node.vertx().eventBus().request(Addresses.CREATE, new JsonObject().put("type", TYPE)));
    }
    Future.all(creates).await(30, TimeUnit.SECONDS);
    long end = created + runNs + 60_000_000_000L;
    while (completed.sum() < tasks && System.nanoTime() < end) {
      Thread.sleep(50);
    }
    long doneAt = System.nanoTime();
    long upd = progressWrites(pg);
    long firstStart = starts.stream().mapToLong(Long::longValue).min().orElse(doneAt);
    long lastStart = starts.stream().mapToLong(Long::longValue).max().orElse(doneAt);
    long progressUpdates = upd;
    double jobSeconds = busyNs.sum() / 1e9 / Math.max(1, starts.size());
    System.out.printf("PROGRESS_RESULT tasks=%d seconds=%.1f calls_per_s=%.0f updates_per_s=%.1f events_per_s=%.1f"
        + " flush_ms=%d max_updates_per_s=%.0f claim_delay_ms=%.0f start_spread_ms=%.0f completed=%d store=%s%n",
      tasks, jobSeconds, CALLS.sum() / jobSeconds, progressUpdates / jobSeconds,
      (events.sum() - 3.0 * tasks) / jobSeconds, config.progressFlushMs(), tasks * 1000.0 / config.progressFlushMs(),
      (firstStart - created) / 1e6, (lastStart - firstStart) / 1e6, completed.sum(), config.storeThreading());
    System.out.printf("PROGRESS_DRAIN completed=%d of %d, %.1f s after the last job returned%n", completed.sum(), tasks,
      (doneAt - lastStart - runNs) / 1e9);
    pg.close();
    node.close().await(30, TimeUnit.SECONDS);
    System.exit(0);
  }

  /**
   * The UPDATEs that progress reports caused: every UPDATE of a task adds 1 to its version, which
   * starts at 1; the claim and the completion are one UPDATE each. (pg_stat_user_tables.n_tup_upd
   * would say the same, but a backend publishes its counts up to 10 s late when it goes idle.)
   */
  static long progressWrites(Pool pg) throws Exception {
    return pg.query("SELECT coalesce(sum(version - 3), 0) AS n FROM tasks WHERE type = '" + TYPE + "' AND status = 'completed'")
      .execute().await(10, TimeUnit.SECONDS).iterator().next().getLong("n");
  }
}
