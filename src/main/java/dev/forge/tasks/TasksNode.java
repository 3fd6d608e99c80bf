package dev.forge.tasks;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import dev.forge.tasks.api.HttpLimits;
import dev.forge.tasks.api.HttpVerticle;
import dev.forge.tasks.client.ClusterConfig;
import dev.forge.tasks.config.RateLimits;
import dev.forge.tasks.config.TasksConfig;
import dev.forge.tasks.db.EmbeddedDatabase;
import dev.forge.tasks.file.FileProcessingJob;
import dev.forge.tasks.file.FilesVerticle;
import dev.forge.tasks.job.CpuBudget;
import dev.forge.tasks.job.DocumentAnalysisJob;
import dev.forge.tasks.job.Job;
import dev.forge.tasks.job.JobVerticle;
import dev.forge.tasks.job.SyntheticJob;
import dev.forge.tasks.task.Migrations;
import dev.forge.tasks.task.StoreVerticle;
import dev.forge.tasks.bus.TaskIds;
import dev.forge.tasks.task.TaskMetrics;
import dev.forge.tasks.task.TraceCache;
import dev.forge.tasks.vector.MiniLmEmbedder;
import dev.forge.tasks.vector.VectorStoreJob;
import dev.forge.tasks.vector.VectorStoreVerticle;
import dev.forge.tasks.webhook.Webhooks;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: config, then the database (embedded or external), migrations, the store,
 * the HTTP API and the job verticles, in that order; {@link #close()} undoes it in reverse.
 */
public final class TasksNode {

  private static final Logger LOG = LoggerFactory.getLogger(TasksNode.class);

  /** The job types this build can run, by type. */
  public static final Map<String, Job> BUILT_IN_JOBS = Stream.of(
      new DocumentAnalysisJob(), new FileProcessingJob(),
      new VectorStoreJob(VectorStoreJob.CREATION), new VectorStoreJob(VectorStoreJob.VECTORIZATION),
      SyntheticJob.NOOP, SyntheticJob.SLEEP, SyntheticJob.SPIN)
    .collect(Collectors.toUnmodifiableMap(Job::type, job -> job));

  /** How long an upload may stay unfinished before the files store drops it (a node died mid-upload). */
  private static final long FILES_ABANDONED_AFTER_MS = 3_600_000;

  /** How often each node puts right vector-store files whose task ended (a raced join, a cancel). */
  private static final long VECTOR_SWEEP_MS = 2_000;

  private final Vertx vertx;
  private final PrometheusMeterRegistry registry;
  private final EmbeddedDatabase embedded;
  private final HazelcastClusterManager clusterManager;
  /** Deployment ids by role ("store", "http", "job <type>"), in deployment order. */
  private final Map<String, String> deployments = new LinkedHashMap<>();

  private TasksNode(Vertx vertx, HazelcastClusterManager clusterManager, PrometheusMeterRegistry registry,
                    EmbeddedDatabase embedded) {
    this.vertx = vertx;
    this.clusterManager = clusterManager;
    this.registry = registry;
    this.embedded = embedded;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** Starts a node with the built-in jobs named in the config. */
  public static Future<TasksNode> start(TasksConfig config) {
    return start(config, BUILT_IN_JOBS::get);
  }

  /** Starts a node; {@code jobs} resolves each name of {@code config.jobTypes()} to its job. */
  public static Future<TasksNode> start(TasksConfig config, Function<String, Job> jobs) {
    for (String type : config.jobTypes()) {
      if (jobs.apply(type) == null) {
        return Future.failedFuture(new IllegalArgumentException(
          "Invalid jobTypes: '" + type + "' is not a job type this server can run (known: " + BUILT_IN_JOBS.keySet() + ")"));
      }
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    HazelcastClusterManager clusterManager = config.cluster()
      ? new HazelcastClusterManager(clusterConfig(config).hazelcastConfig()) : null;
    return createVertx(config, registry, clusterManager).compose(vertx -> vertx.executeBlocking(
        () -> config.embeddedDatabase() ? EmbeddedDatabase.start(Path.of(config.dataDir())) : null, false)
      .map(db -> new TasksNode(vertx, clusterManager, registry, db))
      .compose(node -> node.deploy(config, jobs).recover(err -> node.stop().transform(v -> Future.failedFuture(err))))
      .recover(err -> {
        LOG.error("Start-up failed: {}", err.getMessage(), err instanceof IllegalArgumentException ? null : err);
        // Vert.x is closed only after this failure has reached the caller: a future completed on a
        // closed event loop would never be delivered.
        vertx.setTimer(200, t -> vertx.close());
        return Future.failedFuture(err);
      }));
  }

  private Future<TasksNode> deploy(TasksConfig config, Function<String, Job> jobs) {
    PgConnectOptions pg = embedded != null ? embedded.connectOptions() : new PgConnectOptions()
      .setHost(config.pgHost()).setPort(config.pgPort()).setDatabase(config.pgDatabase())
      .setUser(config.pgUser());
    if (config.pgPassword() != null) {
      pg.setPassword(config.pgPassword());
    }
    // Prepared statements are cached per connection: Postgres then plans each statement once, not on
    // every request (measured: 3.2x the rate of uncached primary-key reads, BENCHMARKS.md).
    pg.setReconnectAttempts(0).setPipeliningLimit(256).setCachePreparedStatements(true)
      // Named per node, so that a node alone can tell when others share its database (Housekeeping).
      .addProperty("application_name", StoreVerticle.APPLICATION_NAME_PREFIX + TaskIds.newId().substring(5, 17))
      .addProperty("statement_timeout", Long.toString(config.statementTimeoutMs()));
    StoreVerticle.Settings store = new StoreVerticle.Settings(pg, config.storePoolSize(), new HashSet<>(config.taskTypes()),
      config.defaultMaxAttempts(), config.leaseMs(), config.retryBaseMs(), config.rescueIntervalMs(),
      new StoreVerticle.Retention(config.retentionCompletedS(), config.retentionCancelledS(), config.retentionFailedS(),
        config.retentionIntervalMs(), 500));
    HttpVerticle.Settings http = new HttpVerticle.Settings(config.httpHost(), config.httpPort(),
      config.bodyLimitBytes(), config.busTimeoutMs(), config.apiKeys(),
      config.httpMaxWaiters(), config.sseKeepAliveMs(), config.benchRoutes(), config.fileMaxBytes());
    // One per node, shared by every HTTP instance: one connection count, one bucket per tenant.
    HttpLimits limits = HttpLimits.create(config.httpRequestTimeoutMs(), config.httpIdleTimeoutMs(),
      config.httpMaxConnections(), RateLimits.parse(config.rateLimit()), registry);
    JobVerticle.Settings job = new JobVerticle.Settings(config.jobConcurrency(), config.jobPollMs(),
      config.progressFlushMs(), config.jobTimeoutMs(), config.busTimeoutMs(), new CpuBudget(config.jobCpuBudget()));

    TaskMetrics taskMetrics = new TaskMetrics(registry);
    job.cpu().bindTo(registry);
    TraceCache cache = config.cacheTtlMs() != 0 ? new TraceCache(config.cacheMaxEntries(), config.cacheTtlMs()) : null;
    if (cache != null && clusterManager != null) {
      // Updates sent while a node joined or left (or was cut off) may never arrive: start afresh.
      clusterManager.getHazelcastInstance().getCluster().addMembershipListener(new MembershipListener() {
        @Override
        public void memberAdded(MembershipEvent event) {
          cache.clear();
        }

        @Override
        public void memberRemoved(MembershipEvent event) {
          cache.clear();
        }
      });
    }
    Future<?> chain = Migrations.migrate(vertx, pg)
      // Alone, a node hears of every change from its own store, which writes the cache itself: the
      // listener would only copy each published Trace once more (measured: BENCHMARKS.md, target 4).
      .compose(n -> cache == null || clusterManager == null ? Future.succeededFuture() : cache.listen(vertx))
      .compose(n -> deploy("store", vertx.deployVerticle(() -> new StoreVerticle(store, taskMetrics, cache),
        new DeploymentOptions().setInstances(config.storeInstances())
          .setThreadingModel(config.storeThreading().equals("worker") ? ThreadingModel.WORKER : ThreadingModel.EVENT_LOOP))))
      .compose(v -> deploy("files", vertx.deployVerticle(new FilesVerticle(new FilesVerticle.Settings(pg,
        Math.max(2, config.pgPoolSize() / 4), config.busTimeoutMs(), FILES_ABANDONED_AFTER_MS)))))
      .compose(v -> deploy("vectors", vertx.deployVerticle(new VectorStoreVerticle(new VectorStoreVerticle.Settings(pg,
        Math.max(2, config.pgPoolSize() / 4), config.busTimeoutMs(), Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() / 2, VECTOR_SWEEP_MS), MiniLmEmbedder.shared()))))
      .compose(v -> deploy("http", vertx.deployVerticle(() -> new HttpVerticle(http, registry, cache, limits),
        new DeploymentOptions().setInstances(config.httpInstances()))))
      .compose(v -> Webhooks.deploy(vertx, config, pg, this::deploy));
    for (String type : config.jobTypes()) {
      Job j = jobs.apply(type);
      chain = chain.compose(v -> deploy("job " + type, vertx.deployVerticle(new JobVerticle(j, job))));
    }
    return chain.map(v -> {
      LOG.info("Tasks server listening on {}:{} (store x{} {}, http x{}, jobs {}, {} database{})",
        config.httpHost(), config.httpPort(), config.storeInstances(), config.storeThreading(), config.httpInstances(),
        config.jobTypes(),
        embedded != null ? "embedded" : "external", config.cluster() ? ", clustered" : "");
      if (config.apiKeys().isEmpty()) {
        LOG.warn("No API keys are configured (TASKS_API_KEYS): the API is open to anyone who can reach it, as one tenant");
      }
      return this;
    });
  }

  private Future<Void> deploy(String what, Future<String> deployment) {
    return deployment.onSuccess(id -> deployments.put(what, id)).mapEmpty();
  }

  /**
   * Stops accepting HTTP first, then the jobs (running attempts stop and hand their leases back, so
   * another node takes them at once), then the store, the embedded database and Vert.x.
   */
  public Future<Void> close() {
    return stop().compose(v -> vertx.close());
  }

  /**
   * The one way down, also after a failed start: undeploys what was deployed in the order of
   * {@link #close()}, then stops the embedded database; Vert.x keeps running.
   */
  private Future<Void> stop() {
    List<String> order = new ArrayList<>();
    if (deployments.containsKey("http")) {
      order.add(deployments.get("http"));
    }
    List<String> rest = new ArrayList<>(deployments.values());
    rest.remove(deployments.get("http"));
    Collections.reverse(rest);
    order.addAll(rest);
    Future<Void> chain = Future.succeededFuture();
    for (String id : order) {
      chain = chain.compose(v -> vertx.undeploy(id).otherwiseEmpty());
    }
    return chain.compose(v -> embedded == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
      embedded.close();
      return null;
    }, false).mapEmpty());
  }

  private static Future<Vertx> createVertx(TasksConfig config, PrometheusMeterRegistry registry,
                                           HazelcastClusterManager clusterManager) {
    // No HTTP client metrics: the only client is the webhook sender's, and they cost each call a
    // meter lookup by tags (2 % of a node's CPU while it delivers 2,500 webhooks a second; JFR,
    // bench/results-webhooks.md). Deliveries are observable in GET /v1/webhooks/{id}/deliveries.
    VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
      .addDisabledMetricsCategory(MetricsDomain.HTTP_CLIENT));
    MicrometerMetricsFactory metrics = new MicrometerMetricsFactory(registry);
    if (clusterManager == null) {
      return Future.succeededFuture(Vertx.builder().with(options).withMetrics(metrics).build());
    }
    return Vertx.builder().with(clusterConfig(config).applyTo(options)).withMetrics(metrics)
      .withClusterManager(clusterManager).buildClustered();
  }

  /** The node's side of the cluster, built by the client library as every service builds its own. */
  private static ClusterConfig clusterConfig(TasksConfig config) {
    return new ClusterConfig(config.clusterName(), config.clusterHost(), config.clusterPort(), config.clusterMembers(),
      config.clusterBusPort());
  }
}
