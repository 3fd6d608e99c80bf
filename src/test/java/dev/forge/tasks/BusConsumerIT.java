package dev.forge.tasks;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.pgclient.PgConnectOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code examples/bus-consumer} built as its own Maven project against the installed client jar
 * ({@code dev.forge:tasks-client}, installed by this build before the integration tests), offline,
 * and run as its own JVM process against nodes started here: 200 tasks to completion seen through
 * {@code watch} and {@code watchAll} in version order; another cluster name refused at once with a
 * clear error; a node leaving mid-run while the consumer keeps working through the other.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BusConsumerIT {

  private static final Path EXAMPLE = Path.of("examples", "bus-consumer");
  private static final Pattern WATCH = Pattern.compile("^(watch|all) (\\S+) (\\S+) v(\\d+)$");

  private final List<TasksNode> nodes = new ArrayList<>();
  private Process consumer;

  @BeforeAll
  static void buildTheExample() throws Exception {
    String mavenHome = System.getProperty("maven.home");
    String mvn = mavenHome == null ? "mvn" : Path.of(mavenHome, "bin", "mvn").toString();
    List<String> command = new ArrayList<>(List.of(mvn, "-B", "-q", "-o", "-Dmaven.test.skip=true",
      "-Dtasks.version=" + System.getProperty("tasks.version", "0.1.0-SNAPSHOT")));
    if (System.getProperty("tasks.localRepository") != null) {
      command.add("-Dmaven.repo.local=" + System.getProperty("tasks.localRepository"));
    }
    // No "clean": a machine that only ran this build has no clean plugin, and builds offline.
    command.add("package");
    Files.deleteIfExists(EXAMPLE.resolve(Path.of("target", "bus-consumer.jar")));
    Path log = Path.of("target", "bus-consumer-build.log");
    Process build = new ProcessBuilder(command).directory(EXAMPLE.toFile()).redirectErrorStream(true)
      .redirectOutput(log.toFile()).start();
    assertTrue(build.waitFor(240, TimeUnit.SECONDS), "the example's build did not end");
    assertEquals(0, build.exitValue(), () -> "the example did not build:\n" + read(log));
    assertTrue(Files.isRegularFile(EXAMPLE.resolve(Path.of("target", "bus-consumer.jar"))));
  }

  @AfterEach
  void stopEverything() throws Exception {
    if (consumer != null && consumer.isAlive()) {
      consumer.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    for (TasksNode node : nodes) {
      await(node.close().otherwiseEmpty(), 60);
    }
  }

  @Test
  void twoHundredTasksSeenCompletedThroughWatchAndWatchAllInVersionOrder() throws Exception {
    String name = clusterName();
    int port = TestNodes.freePort();
    startNode(TestDatabase.freshDatabase(), name, port, "127.0.0.1:" + port, "noop");

    Output out = startConsumer(name, "127.0.0.1:" + port, "count=200", "type=noop", "inflight=50");
    assertTrue(consumer.waitFor(180, TimeUnit.SECONDS), "the consumer did not end:\n" + out);
    assertEquals(0, consumer.exitValue(), out.toString());
    assertTrue(out.has(l -> l.endsWith("members 2")), out.toString());

    Map<String, List<String>> watched = out.states("watch");
    Map<String, List<String>> all = out.states("all");
    assertEquals(200, watched.size(), out.toString());
    assertEquals(200, all.size(), out.toString());
    for (Map.Entry<String, List<String>> task : watched.entrySet()) {
      List<String> states = task.getValue();
      assertEquals("completed", states.get(states.size() - 1).split(" ")[0], task.toString());
      assertVersionsRise(task.getKey(), states);
      assertEquals(List.of(states.get(states.size() - 1)), all.get(task.getKey()), task.getKey());
    }
    assertTrue(out.has(l -> l.startsWith("summary created=200 completed=200 watch_ended=200 watchall_ended=200 "
      + "out_of_order=0 errors=0")), out.toString());
    System.out.println("bus consumer, one node: " + out.first(l -> l.startsWith("summary")));
  }

  @Test
  void anotherClusterNameDoesNotJoinAndItsRequestsFailAtOnce() throws Exception {
    String name = clusterName();
    int port = TestNodes.freePort();
    startNode(TestDatabase.freshDatabase(), name, port, "127.0.0.1:" + port, "noop");

    Output out = startConsumer(name + "-other", "127.0.0.1:" + port, "count=5", "type=noop");
    assertTrue(consumer.waitFor(120, TimeUnit.SECONDS), "the consumer did not end:\n" + out);
    assertEquals(2, consumer.exitValue(), out.toString());
    assertTrue(out.has(l -> l.endsWith("members 1")), "it joined the nodes' cluster:\n" + out);
    Matcher error = Pattern.compile("^error 503 store_unavailable: No Tasks node handles " + Pattern.quote(Addresses.PING) + " .*"
      + "cluster name, members and ports.* \\(after (\\d+) ms\\)$").matcher(out.first(l -> l.startsWith("error")));
    assertTrue(error.matches(), out.toString());
    // Refused without waiting for an answer: well within the one request timeout (5 s) it would take otherwise.
    assertTrue(Long.parseLong(error.group(1)) < 5000, out.toString());
  }

  @Test
  void aNodeLeavingMidRunAndTheConsumerFinishesThroughTheOther() throws Exception {
    String name = clusterName();
    PgConnectOptions db = TestDatabase.freshDatabase();
    int portA = TestNodes.freePort();
    int portB = TestNodes.freePort();
    String members = "127.0.0.1:" + portA + ",127.0.0.1:" + portB;
    startNode(db, name, portA, members, "sleep");
    TasksNode b = startNode(db, name, portB, members, "sleep");

    Output out = startConsumer(name, members, "count=200", "type=sleep", "input={\"ms\":40}", "inflight=16");
    assertTrue(out.completions.await(120, TimeUnit.SECONDS), "no 30 completions:\n" + out);
    int completedWhenBLeft = out.states("watch").values().stream()
      .mapToInt(s -> s.get(s.size() - 1).startsWith("completed") ? 1 : 0).sum();
    long leaving = System.nanoTime();
    await(b.close(), 60);
    nodes.remove(b);
    assertTrue(completedWhenBLeft < 150, out.toString());

    assertTrue(consumer.waitFor(180, TimeUnit.SECONDS), "the consumer did not end:\n" + out);
    assertEquals(0, consumer.exitValue(), out.toString());
    assertTrue(out.has(l -> l.endsWith("members 3")), out.toString());
    Map<String, List<String>> watched = out.states("watch");
    assertEquals(200, watched.size(), out.toString());
    for (Map.Entry<String, List<String>> task : watched.entrySet()) {
      assertEquals("completed", task.getValue().get(task.getValue().size() - 1).split(" ")[0], task.toString());
      assertVersionsRise(task.getKey(), task.getValue());
    }
    System.out.printf("bus consumer: node B left after %d of 200 completions; the consumer finished through A"
        + " (longest pause between completions after B began to close: %d ms): %s%n",
      completedWhenBLeft, out.longestPauseAfter(leaving), out.first(l -> l.startsWith("summary")));
  }

  private static void assertVersionsRise(String id, List<String> states) {
    long previous = 0;
    for (String state : states) {
      long version = Long.parseLong(state.split(" ")[1]);
      assertTrue(version > previous, id + ": versions out of order " + states);
      previous = version;
    }
  }

  private TasksNode startNode(PgConnectOptions db, String name, int port, String members, String jobs) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("TASKS_CLUSTER", "true");
    env.put("TASKS_CLUSTER_NAME", name);
    env.put("TASKS_CLUSTER_HOST", "127.0.0.1");
    env.put("TASKS_CLUSTER_PORT", Integer.toString(port));
    env.put("TASKS_CLUSTER_MEMBERS", members);
    env.put("TASKS_TYPES", jobs);
    env.put("TASKS_JOB_TYPES", jobs);
    env.put("TASKS_JOB_CONCURRENCY", "8");
    TasksNode node = await(TasksNode.start(TestNodes.config(db, env)), 60);
    nodes.add(node);
    return node;
  }

  /** Starts the example's jar as its own JVM, configured like any service: by the TASKS_CLUSTER_* variables. */
  private Output startConsumer(String name, String members, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
      "-jar", EXAMPLE.resolve(Path.of("target", "bus-consumer.jar")).toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("TASKS_"));
    env.put("TASKS_CLUSTER_NAME", name);
    env.put("TASKS_CLUSTER_HOST", "127.0.0.1");
    env.put("TASKS_CLUSTER_PORT", Integer.toString(TestNodes.freePort()));
    env.put("TASKS_CLUSTER_BUS_PORT", Integer.toString(TestNodes.freePort()));
    env.put("TASKS_CLUSTER_MEMBERS", members);
    Path err = Path.of("target", "bus-consumer-" + name + ".log");
    pb.redirectError(err.toFile());
    consumer = pb.start();
    Output out = new Output(err, Path.of("target", "bus-consumer-" + name + ".out"));
    Thread reader = new Thread(() -> out.consume(consumer), "bus-consumer-stdout");
    reader.setDaemon(true);
    reader.start();
    return out;
  }

  private static String clusterName() {
    return "bus-it-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(nothing)";
    }
  }

  /** The consumer's standard output, line by line as it comes. */
  private static final class Output {
    final List<String> lines = new CopyOnWriteArrayList<>();
    final List<Long> completedAt = new CopyOnWriteArrayList<>();
    final CountDownLatch completions = new CountDownLatch(30);
    final Path err;
    final Path copy;

    Output(Path err, Path copy) {
      this.err = err;
      this.copy = copy;
    }

    void consume(Process process) {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          lines.add(line);
          if (line.startsWith("watch ") && line.contains(" completed ")) {
            completedAt.add(System.nanoTime());
            completions.countDown();
          }
        }
      } catch (IOException ended) {
        // The process is gone; what was read is kept.
      }
      try {
        Files.write(copy, lines);
      } catch (IOException e) {
        lines.add("(could not write " + copy + ": " + e + ")");
      }
    }

    boolean has(Predicate<String> p) {
      return lines.stream().anyMatch(p);
    }

    /** The longest time between two completions the consumer printed after {@code since}, in ms. */
    long longestPauseAfter(long since) {
      long longest = 0;
      long previous = since;
      for (long at : completedAt) {
        if (at > since) {
          longest = Math.max(longest, at - previous);
          previous = at;
        }
      }
      return TimeUnit.NANOSECONDS.toMillis(longest);
    }

    String first(Predicate<String> p) {
      return lines.stream().filter(p).findFirst().orElse("");
    }

    /** Per task id, the states {@code "<status> <version>"} that {@code kind} ("watch" or "all") printed, in order. */
    Map<String, List<String>> states(String kind) {
      Map<String, List<String>> byId = new LinkedHashMap<>();
      for (String line : lines) {
        Matcher m = WATCH.matcher(line);
        if (m.matches() && m.group(1).equals(kind)) {
          byId.computeIfAbsent(m.group(2), k -> new ArrayList<>()).add(m.group(3) + " " + m.group(4));
        }
      }
      return byId;
    }

    @Override
    public String toString() {
      List<String> shown = lines.size() > 60 ? lines.subList(lines.size() - 60, lines.size()) : lines;
      return String.join("\n", shown) + "\n--- all of stdout: " + copy + "; stderr (" + err + "):\n"
        + tail(BusConsumerIT.read(err));
    }

    private static String tail(String text) {
      return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    }
  }
}
