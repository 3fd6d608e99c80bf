package dev.forge.tasks.task;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Traces out of the task table's result sets, for {@link TaskStore} and {@link JobStore}. */
final class Rows {

  private Rows() {
  }

  /** The one task of a single-row result; 404 when there is none. */
  static Trace one(RowSet<Row> rows, String id) {
    if (rows.size() == 0) {
      throw new ApiException(ApiError.taskNotFound(id));
    }
    return first(rows);
  }

  static Trace first(RowSet<Row> rows) {
    return Trace.fromRow(rows.iterator().next());
  }

  static List<Trace> all(RowSet<Row> rows) {
    List<Trace> out = new ArrayList<>(rows.size());
    for (Row row : rows) {
      out.add(Trace.fromRow(row));
    }
    return out;
  }

  /** The rows of a result, and of every result after it in a batch, by task. */
  static Map<TaskKey, Trace> byKey(RowSet<Row> results) {
    Map<TaskKey, Trace> out = new HashMap<>();
    for (RowSet<Row> rows = results; rows != null; rows = rows.next()) {
      for (Row row : rows) {
        Trace t = Trace.fromRow(row);
        out.put(TaskKey.of(t), t);
      }
    }
    return out;
  }
}
