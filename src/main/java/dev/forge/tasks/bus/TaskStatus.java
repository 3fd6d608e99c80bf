package dev.forge.tasks.bus;

import java.util.Locale;

/** The five states of a task; the last three are terminal and never change again. */
public enum TaskStatus {
  PENDING, IN_PROGRESS, COMPLETED, FAILED, CANCELLED;

  private final String wire = name().toLowerCase(Locale.ROOT);

  /** The name used in JSON and in the database. */
  public String wire() {
    return wire;
  }

  public boolean terminal() {
    return this == COMPLETED || this == FAILED || this == CANCELLED;
  }

  /** Whether {@code s} names a terminal status (a change's status header, say); {@code false} for an unknown one. */
  public static boolean terminalWire(String s) {
    TaskStatus status = fromWire(s);
    return status != null && status.terminal();
  }

  /** The status for a wire name, or {@code null} when there is none. */
  public static TaskStatus fromWire(String s) {
    for (TaskStatus status : values()) {
      if (status.wire.equals(s)) {
        return status;
      }
    }
    return null;
  }
}
