package dev.forge.tasks.support;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy to Postgres that a test can cut (every connection closed, new ones refused at once)
 * and restore: a database outage without stopping the database that other tests share.
 */
public final class CuttableProxy {

  private final Vertx vertx;
  private final String targetHost;
  private final int targetPort;
  private final Set<NetSocket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean cut;
  private NetServer server;
  private NetClient client;

  public CuttableProxy(Vertx vertx, String targetHost, int targetPort) {
    this.vertx = vertx;
    this.targetHost = targetHost;
    this.targetPort = targetPort;
  }

  public Future<Integer> start() {
    client = vertx.createNetClient();
    server = vertx.createNetServer().connectHandler(front -> {
      if (cut) {
        front.close();
        return;
      }
      front.pause();
      client.connect(targetPort, targetHost).onComplete(done -> {
        if (done.failed() || cut) {
          front.close();
          if (done.succeeded()) {
            done.result().close();
          }
          return;
        }
        NetSocket back = done.result();
        sockets.add(front);
        sockets.add(back);
        front.handler(back::write);
        back.handler(front::write);
        front.closeHandler(v -> {
          sockets.remove(front);
          back.close();
        });
        back.closeHandler(v -> {
          sockets.remove(back);
          front.close();
        });
        front.resume();
      });
    });
    return server.listen(0, "127.0.0.1").map(NetServer::actualPort);
  }

  /** Closes every proxied connection and refuses new ones until {@link #restore()}. */
  public void cut() {
    cut = true;
    sockets.forEach(NetSocket::close);
  }

  public void restore() {
    cut = false;
  }
}
