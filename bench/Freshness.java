import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeoutException;

/**
 * Freshness across nodes, as a poller sees it: creates {@code --tasks} tasks of {@code --type} (a
 * type no node runs, so they stay pending) on node A, reads each once on node B (so B's cache holds
 * the pending state), then for each task in turn: cancels it on A, checks that an immediate GET on A
 * shows it cancelled (read-your-writes on the acknowledging node), and polls GET on B back to back
 * until B shows it cancelled. Staleness = from A's 200 to the first GET on B that shows the change.
 *
 * <pre>
 * java -cp target/tasks-server.jar bench/Freshness.java --a 10001 --b 10002 --tasks 200 --type fresh_bench
 * </pre>
 * Prints {@code FRESH_RESULT key=value ...}. Loopback only; every wait is bounded (5 s per task).
 *
 * <p>The client is the JDK's blocking {@link HttpClient} (keep-alive connections), called from this
 * one thread: with Vert.x' client and its futures awaited from a plain thread, an answered request
 * was now and then never completed (BENCHMARKS.md, "Bugs").
 */
public class Freshness {

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable t) {
      t.printStackTrace();
      System.out.println("FRESH_RESULT error=" + t.getClass().getSimpleName());
      System.exit(1);
    }
  }

  static void run(String[] args) throws Exception {
    int portA = 0;
    int portB = 0;
    int tasks = 200;
    String type = "fresh_bench";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--a" -> portA = Integer.parseInt(args[++i]);
        case "--b" -> portB = Integer.parseInt(args[++i]);
        case "--tasks" -> tasks = Integer.parseInt(args[++i]);
        case "--type" -> type = args[++i];
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
    String[] ids = new String[tasks];
    for (int i = 0; i < tasks; i++) {
      JsonObject t = call(http, portA, "POST", "/v1/tasks", new JsonObject().put("type", type));
      ids[i] = t.getString("id");
      JsonObject onB = call(http, portB, "GET", "/v1/tasks/" + ids[i], null);
      if (!"pending".equals(onB.getString("status"))) {
        throw new IllegalStateException("task " + ids[i] + " is not pending on B: " + onB);
      }
    }
    double[] staleMs = new double[tasks];
    long polls = 0;
    int staleOnA = 0;
    int timeouts = 0;
    int hungOnA = 0;
    for (int i = 0; i < tasks; i++) {
      String path = "/v1/tasks/" + ids[i];
      JsonObject cancelled = call(http, portA, "POST", path + "/cancel", null);
      long acked = System.nanoTime();
      if (!"cancelled".equals(cancelled.getString("status"))) {
        throw new IllegalStateException("cancel of " + ids[i] + " answered " + cancelled);
      }
      try {
        if (!"cancelled".equals(call(http, portA, "GET", path, null).getString("status"))) {
          staleOnA++;
        }
      } catch (TimeoutException e) {
        hungOnA++;
        System.err.println("GET " + path + " on A right after its cancel: no answer within 12 s");
      }
      long seen = -1;
      while (System.nanoTime() - acked < 5_000_000_000L) {
        polls++;
        if ("cancelled".equals(call(http, portB, "GET", path, null).getString("status"))) {
          seen = System.nanoTime();
          break;
        }
      }
      if (seen < 0) {
        timeouts++;
        staleMs[i] = 5000;
      } else {
        staleMs[i] = (seen - acked) / 1e6;
      }
    }
    Arrays.sort(staleMs);
    System.out.printf("FRESH_RESULT tasks=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f polls_on_b=%d"
        + " stale_reads_on_a=%d hung_reads_on_a=%d timeouts=%d%n",
      tasks, pct(staleMs, 50), pct(staleMs, 90), pct(staleMs, 99), staleMs[tasks - 1], polls, staleOnA, hungOnA, timeouts);
    System.exit(0);
  }

  static double pct(double[] sorted, double p) {
    int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  /** One request, answered within 12 s (else {@link TimeoutException}); the JSON body of a 2xx reply. */
  static JsonObject call(HttpClient http, int port, String method, String uri, JsonObject body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + uri))
      .timeout(Duration.ofSeconds(12));
    if (body != null) {
      request.header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(body.encode()));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (HttpTimeoutException e) {
      throw new TimeoutException(method + " " + uri + " on port " + port + ": no answer within 12 s");
    }
    if (response.statusCode() >= 300) {
      throw new IllegalStateException(method + " " + uri + " on port " + port + ": " + response.statusCode() + " "
        + response.body());
    }
    return new JsonObject(response.body());
  }
}
