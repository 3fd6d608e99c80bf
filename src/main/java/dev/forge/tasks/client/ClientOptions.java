package dev.forge.tasks.client;

/**
 * How a {@link TasksClient} behaves: {@code ClientOptions.defaults().withTenant("acme")}.
 *
 * @param tenant the tenant every request acts for ({@code default} when the nodes have no API keys)
 * @param timeoutMs a request that gets no answer in this long fails with 504 {@code store_timeout}
 * @param retries how many times a request is sent again after a failure that is safe to retry: one
 *                that no node received (no handler: a node just left or none has joined yet), and
 *                for reads, cancels and creates with an id also a timeout or a 503
 * @param resyncMs how often a {@link TasksClient#watch watch} re-reads its task while it runs, so that
 *                 a change whose event was lost (a node left while publishing it) is still seen;
 *                 {@code 0} never re-reads
 */
public record ClientOptions(String tenant, long timeoutMs, int retries, long resyncMs) {

  public static final String DEFAULT_TENANT = "default";

  public ClientOptions {
    if (tenant == null || tenant.isEmpty()) {
      throw new IllegalArgumentException("Invalid tenant: must not be empty");
    }
    if (timeoutMs < 1 || retries < 0 || resyncMs < 0) {
      throw new IllegalArgumentException("Invalid client options: timeoutMs must be positive, retries and resyncMs not negative");
    }
  }

  /** Tenant {@code default}, 5 s timeout, 3 retries, re-read every 10 s. */
  public static ClientOptions defaults() {
    return new ClientOptions(DEFAULT_TENANT, 5000, 3, 10_000);
  }

  public ClientOptions withTenant(String tenant) {
    return new ClientOptions(tenant, timeoutMs, retries, resyncMs);
  }

  public ClientOptions withTimeoutMs(long timeoutMs) {
    return new ClientOptions(tenant, timeoutMs, retries, resyncMs);
  }

  public ClientOptions withRetries(int retries) {
    return new ClientOptions(tenant, timeoutMs, retries, resyncMs);
  }

  public ClientOptions withResyncMs(long resyncMs) {
    return new ClientOptions(tenant, timeoutMs, retries, resyncMs);
  }
}
