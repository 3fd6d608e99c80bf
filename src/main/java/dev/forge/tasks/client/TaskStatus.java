package dev.forge.tasks.client;

import java.util.Locale;

/** The five states of a task; the last three are terminal and never change again. */
public enum TaskStatus {
  PENDING, IN_PROGRESS, COMPLETED, FAILED, CANCELLED;

  private final String wire = name().toLowerCase(Locale.ROOT);

  /** The name on the wire ({@code "in_progress"}...). */
  public String wire() {
    return wire;
  }

  public boolean terminal() {
    return this == COMPLETED || this == FAILED || this == CANCELLED;
  }

  /**
   * The status for a wire name.
   *
   * @throws IllegalArgumentException for a name this client does not know (a newer server)
   */
  public static TaskStatus fromWire(String s) {
    for (TaskStatus status : values()) {
      if (status.wire.equals(s)) {
        return status;
      }
    }
    throw new IllegalArgumentException("Unknown task status '" + s + "'");
  }
}
