package dev.forge.tasks.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signatures of the Standard Webhooks specification: {@code v1,} and the base64 HMAC-SHA256, keyed
 * with the secret's base64-decoded bytes (after {@code whsec_}), of {@code id.timestamp.body};
 * several signatures (a secret being rotated) are separated by spaces.
 */
public final class Signer {

  /** The prefix of every secret. */
  public static final String PREFIX = "whsec_";

  private static final SecureRandom RANDOM = new SecureRandom();
  /** Keys kept per thread (a sender signs on its event loop): the most distinct secrets kept. */
  private static final int MAX_KEYS = 256;
  /**
   * One initialised Mac per secret and thread: {@code Mac.getInstance} looks its provider up on
   * every call, and {@code init} decodes the key and hashes its pads; a Mac is back to its key's
   * initial state after each {@code doFinal}.
   */
  private static final ThreadLocal<Map<String, Mac>> MACS = ThreadLocal.withInitial(() -> new LruMap<>(MAX_KEYS));

  private Signer() {
  }

  /** A new secret: {@code whsec_} and 32 random bytes in base64. */
  public static String newSecret() {
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    return PREFIX + Base64.getEncoder().encodeToString(key);
  }

  /** The {@code webhook-signature} header: one {@code v1,} signature per secret, space-separated. */
  public static String signature(List<String> secrets, String id, long timestampS, String body) {
    return signature(secrets, id, timestampS, body.getBytes(StandardCharsets.UTF_8));
  }

  /** {@link #signature(List, String, long, String)} of a body already in UTF-8: the very bytes that are posted. */
  public static String signature(List<String> secrets, String id, long timestampS, byte[] body) {
    StringJoiner header = new StringJoiner(" ");
    for (String secret : secrets) {
      header.add("v1," + sign(secret, id, timestampS, body));
    }
    return header.toString();
  }

  /** The base64 HMAC-SHA256 of {@code id.timestamp.body} under {@code secret} ({@code whsec_...}). */
  public static String sign(String secret, String id, long timestampS, String body) {
    return sign(secret, id, timestampS, body.getBytes(StandardCharsets.UTF_8));
  }

  private static String sign(String secret, String id, long timestampS, byte[] body) {
    Mac mac = MACS.get().computeIfAbsent(secret, Signer::mac);
    mac.update((id + "." + timestampS + ".").getBytes(StandardCharsets.UTF_8));
    return Base64.getEncoder().encodeToString(mac.doFinal(body));
  }

  private static Mac mac(String secret) {
    String b64 = secret.startsWith(PREFIX) ? secret.substring(PREFIX.length()) : secret;
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Base64.getDecoder().decode(b64), "HmacSHA256"));
      return mac;
    } catch (GeneralSecurityException e) {
      // HmacSHA256 is in every JRE; an invalid key cannot come from newSecret().
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }
}
