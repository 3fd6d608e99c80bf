package dev.forge.tasks.client;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a process takes part in the Tasks cluster: the one place that turns the cluster settings into
 * a Hazelcast {@link Config} and event-bus options, used by the server's nodes and by services alike,
 * so that both sides are built the same way.
 *
 * <pre>{@code
 * ClusterConfig cluster = ClusterConfig.fromEnv(System.getenv());   // the nodes' TASKS_CLUSTER_* variables
 * cluster.join().onSuccess(vertx -> new TasksClient(vertx).ping());
 * }</pre>
 *
 * <p>Every member of the cluster, node or service, is a full Hazelcast member: it must use the same
 * {@link #name()} (members with another name are refused, so that two environments on one network
 * never merge), list at least one reachable node in {@link #members()}, and be reachable by every
 * other member on {@link #host()} at {@link #port()} (Hazelcast) and {@link #eventBusPort()} (the
 * event bus; {@code 0} picks a free port at start-up).
 *
 * @param name the Hazelcast cluster name ({@code TASKS_CLUSTER_NAME}, default {@value #DEFAULT_NAME})
 * @param host the address this process binds and announces for Hazelcast and the event bus
 *             ({@code TASKS_CLUSTER_HOST}, default {@code 127.0.0.1})
 * @param port this process's Hazelcast port ({@code TASKS_CLUSTER_PORT}, default {@value #DEFAULT_PORT});
 *             two members on one host need two ports
 * @param members other members as {@code host:port} ({@code TASKS_CLUSTER_MEMBERS}, comma-separated)
 * @param eventBusPort this process's event-bus port ({@code TASKS_CLUSTER_BUS_PORT}, default {@code 0}: random)
 */
public record ClusterConfig(String name, String host, int port, List<String> members, int eventBusPort) {

  public static final String DEFAULT_NAME = "tasks";
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 5701;

  public ClusterConfig {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("Invalid cluster name: must not be empty");
    }
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("Invalid cluster host: must not be empty");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("Invalid cluster port " + port + ": must be from 1 to 65535");
    }
    if (eventBusPort < 0 || eventBusPort > 65535) {
      throw new IllegalArgumentException("Invalid event-bus port " + eventBusPort + ": must be from 0 (random) to 65535");
    }
    members = List.copyOf(members == null ? List.of() : members);
  }

  /**
   * Reads the variables the server's nodes read: {@code TASKS_CLUSTER_NAME}, {@code TASKS_CLUSTER_HOST},
   * {@code TASKS_CLUSTER_PORT}, {@code TASKS_CLUSTER_MEMBERS} and {@code TASKS_CLUSTER_BUS_PORT}; an
   * absent or empty variable takes the default.
   *
   * @throws IllegalArgumentException naming the variable and its value when one is not valid
   */
  public static ClusterConfig fromEnv(Map<String, String> env) {
    List<String> members = new ArrayList<>();
    for (String m : value(env, "TASKS_CLUSTER_MEMBERS", "").split(",")) {
      if (!m.isBlank()) {
        members.add(m.trim());
      }
    }
    return new ClusterConfig(value(env, "TASKS_CLUSTER_NAME", DEFAULT_NAME), value(env, "TASKS_CLUSTER_HOST", DEFAULT_HOST),
      number(env, "TASKS_CLUSTER_PORT", DEFAULT_PORT), members, number(env, "TASKS_CLUSTER_BUS_PORT", 0));
  }

  /**
   * The Hazelcast configuration: Vert.x's default maps, this cluster name, TCP/IP join to
   * {@link #members()} (and this member itself) with multicast and auto-detection off, bound to
   * {@link #host()} only, no phone-home, no join delay.
   */
  public Config hazelcastConfig() {
    Config hz = ConfigUtil.loadConfig();
    hz.setClusterName(name);
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.setProperty("hazelcast.wait.seconds.before.join", "0");
    hz.setProperty("hazelcast.socket.bind.any", "false");
    if (onClassPath("org.slf4j.LoggerFactory")) {
      hz.setProperty("hazelcast.logging.type", "slf4j");
    }
    NetworkConfig net = hz.getNetworkConfig();
    net.setPort(port).setPortAutoIncrement(false);
    net.getInterfaces().setEnabled(true).addInterface(host);
    JoinConfig join = net.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).addMember(host + ":" + port);
    members.forEach(m -> join.getTcpIpConfig().addMember(m));
    return hz;
  }

  /** Sets the event bus of {@code options} to listen on and announce {@link #host()} and {@link #eventBusPort()}. */
  public VertxOptions applyTo(VertxOptions options) {
    options.getEventBusOptions().setHost(host).setClusterPublicHost(host).setPort(eventBusPort);
    return options;
  }

  /** Starts a clustered Vert.x that joins the Tasks cluster. */
  public Future<Vertx> join() {
    return join(new VertxOptions());
  }

  /** Starts a clustered Vert.x with {@code options} (its event bus set by {@link #applyTo}) that joins the Tasks cluster. */
  public Future<Vertx> join(VertxOptions options) {
    return Vertx.builder().with(applyTo(options)).withClusterManager(new HazelcastClusterManager(hazelcastConfig()))
      .buildClustered();
  }

  /** A service need not have SLF4J; Hazelcast then logs through java.util.logging. */
  private static boolean onClassPath(String className) {
    try {
      Class.forName(className, false, ClusterConfig.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  private static String value(Map<String, String> env, String key, String fallback) {
    String v = env.get(key);
    return v == null || v.isBlank() ? fallback : v.trim();
  }

  private static int number(Map<String, String> env, String key, int fallback) {
    String v = value(env, key, null);
    if (v == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Invalid " + key + " = '" + v + "': must be a whole number");
    }
  }
}
