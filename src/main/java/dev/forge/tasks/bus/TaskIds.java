package dev.forge.tasks.bus;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/** Server-made task ids ({@code task_} + 24 random base62 characters) and the rule for client-chosen ones. */
public final class TaskIds {

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}");
  private static final char[] BASE62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private TaskIds() {
  }

  public static String newId() {
    char[] out = new char[24];
    for (int i = 0; i < out.length; i++) {
      out[i] = BASE62[RANDOM.nextInt(62)];
    }
    return "task_" + new String(out);
  }

  /** Whether {@code id} can name a task at all; one that cannot is simply not found. */
  public static boolean isValid(String id) {
    return id != null && id.length() <= 128 && VALID.matcher(id).matches();
  }
}
