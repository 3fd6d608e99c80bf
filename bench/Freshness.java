import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

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
 */
public class Freshness {

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable t) {
      t.printStackTrace();
      System.out.println("FRESH_RESULT error=" + t.getClass().getSimpleName());
      System.exit(1); // the Vert.x threads would keep the JVM alive
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
    Vertx vertx = Vertx.vertx();
    HttpClientAgent http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false).setTcpNoDelay(true),
      new PoolOptions().setHttp1MaxSize(4));
    String[] ids = new String[tasks];
    for (int i = 0; i < tasks; i++) {
      JsonObject t = call(http, portA, HttpMethod.POST, "/v1/tasks", new JsonObject().put("type", type)).toJsonObject();
      ids[i] = t.getString("id");
      JsonObject onB = call(http, portB, HttpMethod.GET, "/v1/tasks/" + ids[i], null).toJsonObject();
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
      JsonObject cancelled = call(http, portA, HttpMethod.POST, path + "/cancel", null).toJsonObject();
      long acked = System.nanoTime();
      if (!"cancelled".equals(cancelled.getString("status"))) {
        throw new IllegalStateException("cancel of " + ids[i] + " answered " + cancelled);
      }
      try {
        if (!"cancelled".equals(call(http, portA, HttpMethod.GET, path, null).toJsonObject().getString("status"))) {
          staleOnA++;
        }
      } catch (java.util.concurrent.TimeoutException e) {
        hungOnA++;
        System.err.println("GET " + path + " on A right after its cancel: no answer within 12 s");
      }
      long seen = -1;
      while (System.nanoTime() - acked < 5_000_000_000L) {
        polls++;
        if ("cancelled".equals(call(http, portB, HttpMethod.GET, path, null).toJsonObject().getString("status"))) {
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
    vertx.close().await(10, TimeUnit.SECONDS);
    System.exit(0);
  }

  static double pct(double[] sorted, double p) {
    int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  static Buffer call(HttpClientAgent http, int port, HttpMethod method, String uri, JsonObject body) throws Exception {
    RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(port).setMethod(method).setURI(uri)
      .setTimeout(12_000);
    if (body != null) {
      o.putHeader("Content-Type", "application/json");
    }
    Future<Buffer> f = http.request(o)
      .compose(req -> body == null ? req.send() : req.send(body.toBuffer()))
      .compose(resp -> resp.body().map(b -> {
        if (resp.statusCode() >= 300) {
          throw new IllegalStateException(method + " " + uri + " on port " + port + ": " + resp.statusCode() + " " + b);
        }
        return b;
      }));
    try {
      return f.await(12, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw e;
    } catch (Exception e) {
      if (e.getCause() instanceof java.util.concurrent.TimeoutException
          || String.valueOf(e.getMessage()).contains("timeout")) {
        throw new java.util.concurrent.TimeoutException(e.getMessage());
      }
      throw e;
    }
  }
}
