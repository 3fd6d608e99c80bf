package dev.forge.tasks.config;

import java.util.List;
import java.util.Map;

/**
 * The node's whole configuration, validated once at start-up by {@link ConfigLoader}. Each field
 * is documented by its row in the README's configuration table.
 */
public record TasksConfig(
  String httpHost, int httpPort, int httpInstances, int bodyLimitBytes, int maxWaiters, long sseKeepAliveMs,
  String pgHost, int pgPort, String pgDatabase, String pgUser, String pgPassword, int pgPoolSize,
  String dataDir,
  Map<String, String> apiKeys,
  boolean cluster, String clusterHost, int clusterPort, List<String> clusterMembers,
  long busTimeoutMs, int storeInstances, String storeThreading,
  List<String> taskTypes, List<String> jobTypes, int jobConcurrency, long jobTimeoutMs, long jobPollMs,
  long progressFlushMs, long leaseMs, long retryBaseMs, int defaultMaxAttempts,
  long retentionCompletedS, long retentionCancelledS, long retentionFailedS, long retentionIntervalMs,
  long cacheMaxEntries, long cacheTtlMs,
  boolean benchRoutes,
  int jobCpuBudget,
  String clusterName,
  long fileMaxBytes,
  long httpRequestTimeoutMs, long httpIdleTimeoutMs, int httpMaxConnections,
  String rateLimit,
  List<String> webhookAllowedHosts,
  int clusterBusPort,
  long webhookRetryForMs, long webhookTimeoutMs, long webhookRetryBaseMs,
  String webhookTrustPem,
  long webhookRetentionS) {

  /** {@link #cacheTtlMs()} of a cache whose entries leave only when it is full. */
  public static final long NO_EXPIRY = -1;

  /** True when no external Postgres is configured and the node starts its own. */
  public boolean embeddedDatabase() {
    return pgHost == null;
  }

  /**
   * Postgres' {@code statement_timeout}: half a second inside the bus timeout (at least 1 s), so
   * that a slow statement ends as the store's own 504 before the caller's request times out.
   */
  public long statementTimeoutMs() {
    return Math.max(1000, busTimeoutMs - 500);
  }

  /** Each store instance's share of {@link #pgPoolSize()} (at least one connection). */
  public int storePoolSize() {
    return Math.max(1, pgPoolSize / storeInstances);
  }

  /** Each HTTP instance's share of {@link #maxWaiters()} (at least one). */
  public int httpMaxWaiters() {
    return Math.max(1, maxWaiters / httpInstances);
  }

  /**
   * How often expired leases are looked for: six times per lease (no more often than every 200 ms),
   * so that a lost worker's task waits little longer than its lease.
   */
  public long rescueIntervalMs() {
    return Math.max(200, leaseMs / 6);
  }
}
