package dev.forge.tasks.job;

import io.vertx.core.json.JsonObject;

/**
 * What an attempt has to tell the store and has not told it yet: the highest progress reported and
 * the data keys reported, newer keys over older ones. Immutable ({@code data} is never changed
 * after construction), so the job's thread and the event loop can hand it between them freely.
 *
 * @param progress the highest progress reported, null when only data was
 * @param data the data keys to merge into the task's data, null when none
 */
record Report(Double progress, JsonObject data) {

  /** Nothing to tell: a report of it only renews the lease. */
  static final Report NONE = new Report(null, null);

  /** One report from the job (data copied: the job may change its object afterwards). */
  static Report of(double progress, JsonObject data) {
    return new Report(progress, data == null ? null : data.copy());
  }

  /** This report followed by {@code newer}: the highest progress wins, and for data, the newest keys. */
  Report merge(Report newer) {
    if (isEmpty()) {
      return newer;
    }
    Double p = progress == null ? newer.progress : newer.progress == null ? progress
      : Double.valueOf(Math.max(progress, newer.progress));
    JsonObject d = data == null ? newer.data : newer.data == null ? data : data.copy().mergeIn(newer.data);
    return new Report(p, d);
  }

  boolean isEmpty() {
    return progress == null && data == null;
  }

  /** The data to merge, or a new empty object. */
  JsonObject dataOrEmpty() {
    return data == null ? new JsonObject() : data.copy();
  }

  /** The body of a progress request: {@code key} (tenant, id, attempt) with this report. */
  JsonObject toBody(JsonObject key) {
    key.put("progress", progress);
    if (data != null) {
      key.put("data", data.copy());
    }
    return key;
  }
}
