package dev.forge.examples.busconsumer;

import dev.forge.tasks.bus.ApiException;
import dev.forge.tasks.bus.TaskStatus;
import dev.forge.tasks.client.ClusterConfig;
import dev.forge.tasks.client.NewTask;
import dev.forge.tasks.client.Task;
import dev.forge.tasks.client.TaskWatch;
import dev.forge.tasks.client.TasksClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A service in the Tasks cluster: joins with the nodes' {@code TASKS_CLUSTER_*} settings, creates
 * tasks, follows each one to its end with {@code watch} and all of them with {@code watchAll}, and
 * prints what it sees. Arguments ({@code key=value}, all optional): {@code count} (200),
 * {@code type} ({@code document_analysis}), {@code input} (a JSON object), {@code inflight} (tasks
 * followed at once, 20), {@code timeout} (seconds for the whole run, 120).
 *
 * <p>Output, one line each: {@code joined}, {@code watch <id> <status> v<version>} for every state
 * a watch sees, {@code all <id> <status> v<version>} for every terminal state {@code watchAll} sees,
 * {@code error <status> <code>: <message>}, and a last {@code summary} line. Exits 0 when every task
 * completed and was seen completed by both, in version order; 1 when not; 2 when no node answers.
 */
public final class BusConsumer {

  private final TasksClient tasks;
  private final String prefix = "consumer-" + UUID.randomUUID().toString().substring(0, 8) + "-";
  private final Map<String, List<Long>> watched = new ConcurrentHashMap<>();
  private final Map<String, Task> endedAll = new ConcurrentHashMap<>();
  private final AtomicInteger completed = new AtomicInteger();
  private final AtomicInteger errors = new AtomicInteger();
  private final AtomicInteger outOfOrder = new AtomicInteger();

  private BusConsumer(TasksClient tasks) {
    this.tasks = tasks;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new ConcurrentHashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      opts.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    ClusterConfig cluster = ClusterConfig.fromEnv(System.getenv());
    HazelcastClusterManager members = new HazelcastClusterManager(cluster.hazelcastConfig());
    Vertx vertx = Vertx.builder().with(cluster.applyTo(new VertxOptions())).withClusterManager(members)
      .buildClustered().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    println("joined cluster '" + cluster.name() + "' as " + cluster.host() + ":" + cluster.port() + ", members "
      + members.getNodes().size());
    int exit;
    try {
      exit = new BusConsumer(new TasksClient(vertx)).run(Integer.parseInt(opts.getOrDefault("count", "200")),
        opts.getOrDefault("type", "document_analysis"),
        new JsonObject(opts.getOrDefault("input", "{\"text\": \"Tasks run in the background. Services watch them.\"}")),
        Integer.parseInt(opts.getOrDefault("inflight", "20")), Integer.parseInt(opts.getOrDefault("timeout", "120")));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    System.exit(exit);
  }

  private int run(int count, String type, JsonObject input, int inFlight, int timeoutS) throws Exception {
    long start = System.nanoTime();
    try {
      await(tasks.ping(), timeoutS);
    } catch (ApiException e) {
      println("error " + e.status() + " " + e.code() + ": " + e.error().message() + " (after "
        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms)");
      return 2;
    }
    CountDownLatch allSeen = new CountDownLatch(count);
    await(tasks.watchAll(t -> t.id().startsWith(prefix) && t.terminal(), t -> {
      if (endedAll.putIfAbsent(t.id(), t) == null) {
        println("all " + t.id() + " " + t.status().wire() + " v" + t.version());
        allSeen.countDown();
      }
    }), timeoutS);

    CountDownLatch ended = new CountDownLatch(count);
    Semaphore slots = new Semaphore(inFlight);
    for (int i = 0; i < count; i++) {
      slots.acquire();
      String id = prefix + i;
      // An id of our own makes the create safe to retry when a node leaves while it is in flight.
      tasks.create(NewTask.of(type).withId(id).withInput(input))
        .compose(created -> tasks.watch(id, this::watched))
        .compose(TaskWatch::terminal)
        .onComplete(done -> {
          if (done.failed()) {
            errors.incrementAndGet();
            println("error " + describe(done.cause()) + " (task " + id + ")");
          } else if (done.result().status() == TaskStatus.COMPLETED) {
            completed.incrementAndGet();
          }
          slots.release();
          ended.countDown();
        });
    }
    boolean allEnded = ended.await(timeoutS, TimeUnit.SECONDS);
    // watchAll hears of a completion about when the watch does; give the last ones a moment.
    boolean allHeard = allSeen.await(allEnded ? 10 : 1, TimeUnit.SECONDS);
    println("summary created=" + count + " completed=" + completed.get() + " watch_ended=" + (count - ended.getCount())
      + " watchall_ended=" + endedAll.size() + " out_of_order=" + outOfOrder.get() + " errors=" + errors.get()
      + " elapsed_ms=" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    return allEnded && allHeard && completed.get() == count && errors.get() == 0 && outOfOrder.get() == 0 ? 0 : 1;
  }

  private void watched(Task t) {
    List<Long> versions = watched.computeIfAbsent(t.id(), k -> new ArrayList<>());
    synchronized (versions) {
      if (!versions.isEmpty() && t.version() <= versions.get(versions.size() - 1)) {
        outOfOrder.incrementAndGet();
      }
      versions.add(t.version());
    }
    println("watch " + t.id() + " " + t.status().wire() + " v" + t.version());
  }

  private static String describe(Throwable err) {
    return err instanceof ApiException e ? e.status() + " " + e.code() + ": " + e.error().message() : err.toString();
  }

  private static <T> T await(Future<T> future, int timeoutS) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(timeoutS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  private static void println(String line) {
    synchronized (System.out) {
      System.out.println(line);
      System.out.flush();
    }
  }
}
