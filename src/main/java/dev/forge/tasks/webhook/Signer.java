package dev.forge.tasks.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
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
  /** One Mac per thread: {@code Mac.getInstance} looks its provider up on every call. */
  private static final ThreadLocal<Mac> MAC = ThreadLocal.withInitial(() -> {
    try {
      return Mac.getInstance("HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  });

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
    StringJoiner header = new StringJoiner(" ");
    for (String secret : secrets) {
      header.add("v1," + sign(secret, id, timestampS, body));
    }
    return header.toString();
  }

  /** The base64 HMAC-SHA256 of {@code id.timestamp.body} under {@code secret} ({@code whsec_...}). */
  public static String sign(String secret, String id, long timestampS, String body) {
    String b64 = secret.startsWith(PREFIX) ? secret.substring(PREFIX.length()) : secret;
    try {
      Mac mac = MAC.get();
      mac.init(new SecretKeySpec(Base64.getDecoder().decode(b64), "HmacSHA256"));
      byte[] signed = mac.doFinal((id + "." + timestampS + "." + body).getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(signed);
    } catch (GeneralSecurityException e) {
      // HmacSHA256 is in every JRE; an invalid key cannot come from newSecret().
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }
}
