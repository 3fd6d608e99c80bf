package dev.forge.tasks.webhook;

import static dev.forge.tasks.support.LiveNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PfxOptions;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Webhooks to https receivers: one whose self-signed certificate the operator trusts through
 * {@code TASKS_WEBHOOK_TRUST_PEM} gets its deliveries, signed; one whose certificate nobody trusts
 * is never called, and its delivery says why in our words.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class WebhookHttpsTest {

  private static final String PASSWORD = "changeit";
  private static Path dir;
  private static LiveNode live;
  private static Receiver trusted;
  private static Receiver untrusted;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("webhook-tls");
    trusted = new Receiver(keyStore("trusted"));
    untrusted = new Receiver(keyStore("untrusted"));
    keytool("-exportcert", "-rfc", "-alias", "trusted", "-keystore", dir.resolve("trusted.p12").toString(),
      "-storepass", PASSWORD, "-file", dir.resolve("trusted.pem").toString());
    live = LiveNode.start(TestNodes.config(TestDatabase.freshDatabase(), Map.of(
      "TASKS_TYPES", "noop", "TASKS_JOB_TYPES", "noop", "TASKS_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1",
      "TASKS_WEBHOOK_TRUST_PEM", dir.resolve("trusted.pem").toString(), "TASKS_WEBHOOK_RETRY_BASE_MS", "60000")));
  }

  @AfterAll
  static void stop() throws Exception {
    LiveNode.stop(live);
    for (Receiver r : new Receiver[] {trusted, untrusted}) {
      if (r != null) {
        r.close();
      }
    }
  }

  /** A PKCS#12 key store with a new self-signed certificate for 127.0.0.1 and localhost, made by the JDK's keytool. */
  private static PfxOptions keyStore(String name) throws Exception {
    keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
      "-dname", "CN=" + name, "-ext", "SAN=ip:127.0.0.1,dns:localhost",
      "-keystore", dir.resolve(name + ".p12").toString(), "-storetype", "PKCS12",
      "-storepass", PASSWORD, "-keypass", PASSWORD);
    return new PfxOptions().setPath(dir.resolve(name + ".p12").toString()).setPassword(PASSWORD);
  }

  private static void keytool(String... args) throws Exception {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    List<String> command = new ArrayList<>(List.of(keytool.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool failed: " + out);
  }

  private static JsonObject post(String uri, JsonObject body) throws Exception {
    HttpResponse<Buffer> r = await(live.http.post(uri).putHeader("Content-Type", "application/json")
      .sendBuffer(body.toBuffer()));
    assertTrue(r.statusCode() == 200 || r.statusCode() == 202, r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  private static JsonObject subscribe(Receiver receiver, String path) throws Exception {
    return post("/v1/webhooks", new JsonObject().put("url", receiver.url(path)).put("events", new JsonArray().add("task.completed")));
  }

  private static JsonArray deliveries(String endpoint) throws Exception {
    return await(live.http.get("/v1/webhooks/" + endpoint + "/deliveries").send()).bodyAsJsonObject().getJsonArray("data");
  }

  private static JsonObject onlyDelivery(String endpoint) throws Exception {
    JsonArray data = deliveries(endpoint);
    assertEquals(1, data.size(), data.encode());
    return data.getJsonObject(0);
  }

  /** Whether the endpoint's one delivery (once the task completed and wrote it) satisfies {@code test}. */
  private static boolean delivery(String endpoint, Predicate<JsonObject> test) {
    try {
      JsonArray data = deliveries(endpoint);
      return data.size() == 1 && test.test(data.getJsonObject(0));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aReceiverWhoseCertificateTheOperatorTrustsGetsItsDeliverySigned() throws Exception {
    JsonObject endpoint = subscribe(trusted, "/tls");
    String task = post("/v1/tasks", new JsonObject().put("type", "noop")).getString("id");
    trusted.until("the delivery over https", 30, () -> !trusted.hits("/tls").isEmpty());
    Receiver.Hit hit = trusted.hits("/tls").get(0);
    assertTrue(Receiver.verifies(endpoint.getString("secret"), hit), hit.toString());
    assertEquals(task, hit.json().getJsonObject("data").getString("id"));
    trusted.until("the delivery recorded as succeeded", 10,
      () -> delivery(endpoint.getString("id"), d -> "succeeded".equals(d.getString("status"))));
    assertEquals(200, onlyDelivery(endpoint.getString("id")).getInteger("last_status_code"));
  }

  @Test
  void anUntrustedCertificateFailsTheAttemptWithAClearError() throws Exception {
    JsonObject endpoint = subscribe(untrusted, "/untrusted");
    post("/v1/tasks", new JsonObject().put("type", "noop"));
    untrusted.until("the failed attempt recorded", 30, () -> delivery(endpoint.getString("id"), d -> d.getString("last_error") != null));
    JsonObject d = onlyDelivery(endpoint.getString("id"));
    String error = d.getString("last_error");
    assertEquals("pending", d.getString("status"), d.encode());
    assertNull(d.getValue("last_status_code"), d.encode());
    assertTrue(error.startsWith("The TLS handshake failed: the receiver's certificate is not trusted"), error);
    assertFalse(error.contains("Exception") || error.contains("javax.") || error.contains("sun.") || error.contains("\n"), error);
    assertTrue(untrusted.hits.isEmpty(), "a request reached the untrusted receiver");
  }
}
