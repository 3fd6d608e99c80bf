package dev.forge.tasks.bus;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * Server-made ids ({@code task_} + 24 random base62 characters, other resources their own prefix)
 * and the rule for client-chosen ones: a letter or digit, then letters, digits and {@code _.:-}.
 */
public final class TaskIds {

  /** The longest task id. */
  public static final int MAX_LENGTH = 128;

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]*");
  private static final char[] BASE62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private TaskIds() {
  }

  public static String newId() {
    return newId("task_");
  }

  /** {@code prefix} and 24 random base62 characters. */
  public static String newId(String prefix) {
    char[] out = new char[24];
    for (int i = 0; i < out.length; i++) {
      out[i] = BASE62[RANDOM.nextInt(62)];
    }
    return prefix + new String(out);
  }

  /** Whether {@code id} can name a task at all; one that cannot is simply not found. */
  public static boolean isValid(String id) {
    return isValid(id, MAX_LENGTH);
  }

  /** Whether {@code id} follows the rule of task ids and has at most {@code maxLength} characters. */
  public static boolean isValid(String id, int maxLength) {
    return id != null && id.length() <= maxLength && VALID.matcher(id).matches();
  }
}
