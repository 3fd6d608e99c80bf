package dev.forge.tasks.webhook;

import io.vertx.core.net.TrustOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The certificates webhook calls trust: the JVM's authorities, and those of the operator's PEM file
 * ({@code webhookTrustPem}), such as an internal CA or a receiver's self-signed certificate.
 */
final class WebhookTls {

  private WebhookTls() {
  }

  /**
   * Null (the JVM's authorities alone) without a file; otherwise the JVM's and every certificate in
   * {@code pemFile}. A file that cannot be read, or holds no certificate, stops start-up.
   */
  static TrustOptions trust(String pemFile) {
    if (pemFile == null) {
      return null;
    }
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int n = 0;
      for (X509Certificate ca : jvmAuthorities()) {
        store.setCertificateEntry("jvm-" + n++, ca);
      }
      Collection<? extends Certificate> own;
      try (InputStream in = Files.newInputStream(Path.of(pemFile))) {
        own = CertificateFactory.getInstance("X.509").generateCertificates(in);
      }
      if (own.isEmpty()) {
        throw new IllegalArgumentException("webhookTrustPem (TASKS_WEBHOOK_TRUST_PEM): " + pemFile + " holds no certificate");
      }
      for (Certificate c : own) {
        store.setCertificateEntry("operator-" + n++, c);
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      return TrustOptions.wrap(factory);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("webhookTrustPem (TASKS_WEBHOOK_TRUST_PEM): cannot read certificates from "
        + pemFile + " (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static X509Certificate[] jvmAuthorities() throws GeneralSecurityException {
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init((KeyStore) null);
    for (TrustManager m : factory.getTrustManagers()) {
      if (m instanceof X509TrustManager x509) {
        return x509.getAcceptedIssuers();
      }
    }
    return new X509Certificate[0];
  }
}
