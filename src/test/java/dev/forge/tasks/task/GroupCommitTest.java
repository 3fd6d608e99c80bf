package dev.forge.tasks.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The batching rules of {@link GroupCommit} without a database: what leaves together, who answers
 * whom, and which keys are reported when a batch's outcome is unknown. Every statement is held open
 * until the test settles it.
 */
class GroupCommitTest {

  private final List<String> alone = new ArrayList<>();
  private final List<Promise<String>> aloneStatements = new ArrayList<>();
  private final List<List<String>> batches = new ArrayList<>();
  private final List<Promise<Map<String, String>>> batchStatements = new ArrayList<>();
  private final List<String> unsure = new ArrayList<>();

  private final GroupCommit<String, String, String> commit = new GroupCommit<>(3, n -> { }, key -> {
    Promise<String> p = Promise.promise();
    alone.add(key);
    aloneStatements.add(p);
    return p.future();
  }, requests -> {
    Promise<Map<String, String>> p = Promise.promise();
    batches.add(requests);
    batchStatements.add(p);
    return p.future();
  }, unsure::add);

  /** "a" leaves alone and is held in flight; "b" and "c" queue behind it and leave together. */
  private List<Future<String>> aThenBatchOfBAndC() {
    List<Future<String>> answers = new ArrayList<>();
    answers.add(commit.submit("a", "a"));
    answers.add(commit.submit("b", "b"));
    answers.add(commit.submit("c", "c"));
    assertEquals(List.of("a"), alone, "a request that finds nothing in flight leaves at once, alone");
    assertTrue(batches.isEmpty(), "the others wait for the statement in flight");
    aloneStatements.get(0).complete("row:a");
    assertEquals(List.of(List.of("b", "c")), batches);
    return answers;
  }

  @Test
  void eachCallerGetsItsOwnRowAndOneTheBatchDidNotSettleRunsAlone() {
    List<Future<String>> answers = aThenBatchOfBAndC();
    Future<String> secondB = commit.submit("b", "b-again"); // same key: never in the same statement
    batchStatements.get(0).complete(Map.of("b", "row:b")); // c did not come back
    assertEquals(List.of("a", "c", "b-again"), alone,
      "c re-runs alone (which tells it why); the second b leaves after the batch, alone");
    assertEquals("row:a", answers.get(0).result());
    assertEquals("row:b", answers.get(1).result());
    aloneStatements.get(1).complete("alone:c");
    aloneStatements.get(2).complete("alone:b-again");
    assertEquals("alone:c", answers.get(2).result());
    assertEquals("alone:b-again", secondB.result());
    assertTrue(unsure.isEmpty(), "nothing was lost in flight");
  }

  @Test
  void aBatchLostInFlightReportsEveryKeyAsUnsureAndRunsEachAlone() {
    List<Future<String>> answers = aThenBatchOfBAndC();
    batchStatements.get(0).fail(ClosedConnectionException.INSTANCE);
    assertEquals(List.of("b", "c"), unsure, "the statement may have been committed: both tasks are unsure");
    assertEquals(List.of("a", "b", "c"), alone, "each re-runs alone, which finds out what happened");
    aloneStatements.get(1).complete("alone:b");
    aloneStatements.get(2).complete("alone:c");
    assertEquals("alone:b", answers.get(1).result());
    assertEquals("alone:c", answers.get(2).result());
  }

  @Test
  void aBatchPostgresRefusedIsNotUnsure() {
    List<Future<String>> answers = aThenBatchOfBAndC();
    batchStatements.get(0).fail(new PgException("value too long", "ERROR", "22001", "detail"));
    assertTrue(unsure.isEmpty(), "Postgres answered: the statement was rolled back");
    assertEquals(List.of("a", "b", "c"), alone);
    aloneStatements.get(1).complete("alone:b");
    aloneStatements.get(2).complete("alone:c");
    assertEquals("alone:c", answers.get(2).result());
  }
}
