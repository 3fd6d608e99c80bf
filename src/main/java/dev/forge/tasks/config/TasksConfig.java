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
  int clusterBusPort) {

  /** {@link #cacheTtlMs()} of a cache whose entries leave only when it is full. */
  public static final long NO_EXPIRY = -1;

  /** True when no external Postgres is configured and the node starts its own. */
  public boolean embeddedDatabase() {
    return pgHost == null;
  }
}
