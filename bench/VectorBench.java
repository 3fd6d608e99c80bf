import dev.forge.tasks.TasksNode;
import dev.forge.tasks.config.ConfigLoader;
import dev.forge.tasks.config.TasksConfig;
import dev.forge.tasks.vector.MiniLmEmbedder;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The vector side end to end, one node in this JVM on the Postgres of PGHOST/PGPORT/PGUSER (a
 * throwaway database is created and dropped):
 * <ol>
 *   <li>ingestion (none with {@code --files 0}): {@code --files} generated text files of {@code --kib} KiB uploaded over HTTP and
 *       a store created from them at once; chunks per second from the first upload until
 *       {@code create-<id>} completes (upload, extraction, chunking, embedding, all stored), against
 *       the model alone embedding the same chunks on as many threads as the node's CPU budget, in
 *       the same run; then the same again while {@code --get-threads} clients poll
 *       {@code GET /v1/tasks/{id}} as fast as they can: their p50/p99 and rate;</li>
 *   <li>search: {@code --chunks} synthetic segments with random unit vectors written straight into
 *       one store's tables, then {@code POST /v1/vector_stores/{id}/search} over HTTP: the first
 *       (the node loads its copy), 30 more untimed (the JIT compiles the scan), then p50/p99 with 1 and with 16 concurrent clients.</li>
 * </ol>
 * <pre>
 * mvn -q -DskipTests package
 * PGHOST=127.0.0.1 PGUSER=postgres java --add-modules jdk.incubator.vector -Xmx3g -cp target/tasks-server.jar bench/VectorBench.java
 * </pre>
 * Prints {@code VECTOR_INGEST_RESULT ...} and {@code VECTOR_HTTP_SEARCH_RESULT ...}.
 */
public class VectorBench {

  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  static String base;

  public static void main(String[] args) throws Exception {
    int files = 8;
    int kib = 256;
    int chunks = 100_000;
    int searches = 100;
    int getThreads = 4;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--files" -> files = Integer.parseInt(args[++i]);
        case "--kib" -> kib = Integer.parseInt(args[++i]);
        case "--chunks" -> chunks = Integer.parseInt(args[++i]);
        case "--searches" -> searches = Integer.parseInt(args[++i]);
        case "--get-threads" -> getThreads = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    String host = System.getenv().getOrDefault("PGHOST", "127.0.0.1");
    String port = System.getenv().getOrDefault("PGPORT", "5432");
    String user = System.getenv().getOrDefault("PGUSER", "postgres");
    String dbName = "bench_vectors_" + UUID.randomUUID().toString().substring(0, 8);
    String admin = "jdbc:postgresql://" + host + ":" + port + "/postgres";
    try (Connection c = DriverManager.getConnection(admin, user, System.getenv("PGPASSWORD"));
         Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + dbName);
    }
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put("PGHOST", host);
    env.put("PGPORT", port);
    env.put("PGUSER", user);
    env.put("PGDATABASE", dbName);
    env.put("HTTP_HOST", "127.0.0.1");
    try (ServerSocket free = new ServerSocket(0)) {
      env.put("HTTP_PORT", Integer.toString(free.getLocalPort()));
    }
    env.put("TASKS_CLUSTER", "false");
    env.put("TASKS_API_KEYS", "");
    TasksConfig config = ConfigLoader.load(new JsonObject(), env);
    TasksNode node = TasksNode.start(config).await(120, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + config.httpPort();
    String jdbc = "jdbc:postgresql://" + host + ":" + port + "/" + dbName + "?reWriteBatchedInserts=true";
    try (Connection db = DriverManager.getConnection(jdbc, user, System.getenv("PGPASSWORD"))) {
      if (files > 0) { // --files 0: the search figures only
        ingest(db, "vs_ingest", 0, files, kib, 0, config.jobCpuBudget());
        ingest(db, "vs_ingest_polled", 100, files, kib, getThreads, config.jobCpuBudget());
      }
      search(db, chunks, searches);
    } finally {
      node.close().await(60, TimeUnit.SECONDS);
      try (Connection c = DriverManager.getConnection(admin, user, System.getenv("PGPASSWORD"));
           Statement st = c.createStatement()) {
        st.execute("DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)");
      }
    }
    System.exit(0);
  }

  /** One ingestion into store {@code store} of files seeded from {@code seed}, with {@code getThreads} pollers. */
  static void ingest(Connection db, String store, int seed, int files, int kib, int getThreads, int budget)
    throws Exception {
    MiniLmEmbedder.shared().load(); // loaded before the clock starts, as on a node that has embedded before
    List<String> texts = new ArrayList<>();
    for (int f = 0; f < files; f++) {
      texts.add(text(seed + f, kib));
    }
    AtomicBoolean polling = new AtomicBoolean(true);
    ConcurrentLinkedQueue<Long> getNanos = new ConcurrentLinkedQueue<>();
    long t0 = System.nanoTime();
    List<String> ids = new ArrayList<>();
    for (int f = 0; f < files; f++) {
      ids.add(upload(store + "-" + f + ".txt", texts.get(f)).getString("id"));
    }
    String pollId = "upload-" + ids.get(0);
    ExecutorService pollers = Executors.newFixedThreadPool(Math.max(1, getThreads));
    for (int t = 0; t < getThreads; t++) {
      pollers.submit(() -> {
        while (polling.get()) {
          long s = System.nanoTime();
          send("GET", "/v1/tasks/" + pollId, null);
          getNanos.add(System.nanoTime() - s);
        }
        return null;
      });
    }
    send("POST", "/v1/vector_stores", new JsonObject().put("id", store).put("file_ids", new JsonArray(ids)));
    JsonObject task;
    do {
      Thread.sleep(100);
      task = send("GET", "/v1/tasks/create-" + store, null);
    } while (!List.of("completed", "failed", "cancelled").contains(task.getString("status")));
    long t1 = System.nanoTime();
    polling.set(false);
    pollers.shutdown();
    pollers.awaitTermination(30, TimeUnit.SECONDS);
    List<String> segments = new ArrayList<>();
    try (PreparedStatement st = db.prepareStatement("SELECT content FROM file_segments WHERE file_id = ANY(?)")) {
      st.setArray(1, db.createArrayOf("text", ids.toArray()));
      ResultSet rs = st.executeQuery();
      while (rs.next()) {
        segments.add(rs.getString(1));
      }
    }
    double e2e = segments.size() / ((t1 - t0) / 1e9);
    // The limit: the model alone on the same chunks, with as many threads as the node's CPU budget.
    ExecutorService alone = Executors.newFixedThreadPool(budget);
    AtomicInteger next = new AtomicInteger();
    long m0 = System.nanoTime();
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < budget; t++) {
      workers.add(alone.submit(() -> {
        for (int i; (i = next.getAndIncrement()) < segments.size(); ) {
          MiniLmEmbedder.shared().embed(segments.get(i));
        }
      }));
    }
    for (Future<?> w : workers) {
      w.get();
    }
    double model = segments.size() / ((System.nanoTime() - m0) / 1e9);
    alone.shutdown();
    long[] gets = getNanos.stream().mapToLong(Long::longValue).sorted().toArray();
    System.out.printf("VECTOR_INGEST_RESULT store=%s status=%s files=%d chunks=%d seconds=%.1f e2e_chunks_per_s=%.1f"
        + " model_alone_chunks_per_s=%.1f ratio=%.2f cpu_budget=%d gets=%d get_per_s=%.0f get_p50_ms=%.2f get_p99_ms=%.2f%n",
      store, task.getString("status"), files, segments.size(), (t1 - t0) / 1e9, e2e, model, e2e / model, budget, gets.length,
      gets.length / ((t1 - t0) / 1e9), pct(gets, 0.5) / 1e6, pct(gets, 0.99) / 1e6);
  }

  static void search(Connection db, int chunks, int searches) throws Exception {
    long w0 = System.nanoTime();
    db.setAutoCommit(false);
    try (Statement st = db.createStatement()) {
      st.execute("INSERT INTO files (tenant, id, visible, filename, status, segment_count)"
        + " VALUES ('default', 'file_synthetic', true, 'synthetic.txt', 'processed', " + chunks + ")");
    }
    Random r = new Random(42);
    try (PreparedStatement seg = db.prepareStatement(
           "INSERT INTO file_segments (tenant, file_id, idx, content) VALUES ('default', 'file_synthetic', ?, ?)");
         PreparedStatement vec = db.prepareStatement("INSERT INTO segment_vectors (tenant, file_id, model, idx, vector)"
           + " VALUES ('default', 'file_synthetic', 'all-MiniLM-L6-v2', ?, ?)")) {
      for (int i = 0; i < chunks; i++) {
        seg.setInt(1, i);
        seg.setString(2, "Synthetic segment number " + i + ".");
        seg.addBatch();
        vec.setInt(1, i);
        vec.setBytes(2, randomUnit(r));
        vec.addBatch();
        if (i % 5000 == 4999 || i == chunks - 1) {
          seg.executeBatch();
          vec.executeBatch();
        }
      }
    }
    try (Statement st = db.createStatement()) {
      st.execute("INSERT INTO vector_stores (tenant, id, name, task_id) VALUES ('default', 'vs_search', 'bench',"
        + " 'create-vs_search')");
      st.execute("INSERT INTO vector_store_files (tenant, store_id, file_id, status)"
        + " VALUES ('default', 'vs_search', 'file_synthetic', 'completed')");
    }
    db.commit();
    double written = (System.nanoTime() - w0) / 1e9;
    long c0 = System.nanoTime();
    JsonObject first = search("first query: what do the synthetic segments say?");
    double cold = (System.nanoTime() - c0) / 1e6;
    if (first.getJsonArray("data").size() != 10) {
      throw new IllegalStateException("unexpected search reply " + first.encode().substring(0, 300));
    }
    // Warm-up, not timed: the JIT compiles the scan (the Vector API's code runs slowly until it has).
    for (int i = 0; i < 30; i++) {
      search("warm-up query " + i);
    }
    // What the HTTP path costs apart from the search: the same route's neighbour that reads the store
    // once over the bus (GET /v1/vector_stores/{id}), one client.
    long[] gets = new long[searches];
    for (int i = 0; i < searches; i++) {
      long s = System.nanoTime();
      send("GET", "/v1/vector_stores/vs_search", null);
      gets[i] = System.nanoTime() - s;
    }
    Arrays.sort(gets);
    StringBuilder out = new StringBuilder(String.format(" get_store_p50_ms=%.2f", pct(gets, 0.5) / 1e6));
    for (int clients : new int[] {1, 16}) {
      long[] took = new long[searches];
      AtomicInteger next = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      List<Future<?>> all = new ArrayList<>();
      long s0 = System.nanoTime();
      for (int c = 0; c < clients; c++) {
        all.add(pool.submit(() -> {
          for (int i; (i = next.getAndIncrement()) < searches; ) {
            long s = System.nanoTime();
            search("query number " + i + " about subject " + (i * 7919 % 1000));
            took[i] = System.nanoTime() - s;
          }
          return null;
        }));
      }
      for (Future<?> f : all) {
        f.get();
      }
      double seconds = (System.nanoTime() - s0) / 1e9;
      pool.shutdown();
      Arrays.sort(took);
      out.append(String.format(" c%d_p50_ms=%.1f c%d_p99_ms=%.1f c%d_per_s=%.1f", clients, pct(took, 0.5) / 1e6,
        clients, pct(took, 0.99) / 1e6, clients, searches / seconds));
    }
    System.out.printf("VECTOR_HTTP_SEARCH_RESULT chunks=%d written_s=%.1f first_search_ms=%.0f%s%n", chunks, written, cold,
      out);
  }

  static JsonObject search(String query) {
    return send("POST", "/v1/vector_stores/vs_search/search", new JsonObject().put("query", query).put("top_k", 10));
  }

  static byte[] randomUnit(Random r) {
    float[] v = new float[MiniLmEmbedder.DIMENSIONS];
    double n = 0;
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
      n += v[i] * v[i];
    }
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : v) {
      b.putFloat((float) (x / Math.sqrt(n)));
    }
    return b.array();
  }

  static String text(long seed, int kib) {
    String[] words = ("river stone market lantern harvest engine copper valley signal orchard winter ledger "
      + "harbour meadow quarry festival bridge compass timber archive glacier pottery weaver station").split(" ");
    Random r = new Random(seed);
    StringBuilder out = new StringBuilder();
    while (out.length() < kib * 1024) {
      for (int s = 0; s < 5; s++) {
        out.append("The");
        for (int w = 0, n = 8 + r.nextInt(10); w < n; w++) {
          out.append(' ').append(words[r.nextInt(words.length)]);
        }
        out.append(". ");
      }
      out.append("\n\n");
    }
    return out.toString();
  }

  static JsonObject upload(String name, String text) throws Exception {
    String boundary = UUID.randomUUID().toString().replace("-", "");
    String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name
      + "\"\r\nContent-Type: text/plain\r\n\r\n" + text + "\r\n--" + boundary + "--\r\n";
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/files"))
      .header("Content-Type", "multipart/form-data; boundary=" + boundary)
      .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("upload: " + r.statusCode() + " " + r.body());
    }
    return new JsonObject(r.body());
  }

  static JsonObject send(String method, String path, JsonObject body) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(java.time.Duration.ofSeconds(60));
      if (body != null) {
        b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body.encode()));
      } else {
        b.method(method, HttpRequest.BodyPublishers.noBody());
      }
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
      }
      return new JsonObject(r.body());
    } catch (java.io.IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  static long pct(long[] sorted, double p) {
    return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
  }
}
