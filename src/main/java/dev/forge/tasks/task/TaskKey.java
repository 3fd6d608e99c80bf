package dev.forge.tasks.task;

/** A task's identity across tenants: what group commits, the cache and unsure writes key on. */
record TaskKey(String tenant, String id) {

  static TaskKey of(Trace t) {
    return new TaskKey(t.tenant(), t.id());
  }
}
