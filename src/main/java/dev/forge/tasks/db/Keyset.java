package dev.forge.tasks.db;

import dev.forge.tasks.bus.ApiError;
import dev.forge.tasks.bus.ApiException;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.Collections;
import java.util.List;

/**
 * Keyset pages over a table's {@code seq}, as the lists of API.md page: the cursors are ids, read
 * as the {@code seq} of their row (an unknown one is refused rather than read as "from the start").
 *
 * @param seqOf $1 tenant, $2 id, returning the row's {@code seq}
 * @param noun what a row is, in refusals ("'after' names no file")
 */
public record Keyset(Pool pool, String seqOf, String noun) {

  /** One page, in the order asked for, and whether more rows follow it. */
  public record Page<T>(List<T> items, boolean hasMore) {
  }

  /**
   * Where a page lies: {@code seq} strictly between {@code lower} and {@code upper} (null: open),
   * read in {@code sqlAscending} order, {@code limit + 1} rows so that the last tells whether more follow.
   */
  public record Bounds(Long lower, Long upper, boolean sqlAscending, boolean reverse) {

    /** The page of the rows read (at most {@code limit + 1}), in the order asked for. */
    public <T> Page<T> page(List<T> rows, int limit) {
      boolean more = rows.size() > limit;
      if (more) {
        rows.remove(rows.size() - 1);
      }
      if (reverse) {
        Collections.reverse(rows);
      }
      return new Page<>(rows, more);
    }
  }

  /** The bounds of the page after {@code after} and before {@code before} (either may be null) of a tenant's rows. */
  public Future<Bounds> bounds(String tenant, boolean ascending, String after, String before) {
    return Future.all(cursorSeq(tenant, after, "after"), cursorSeq(tenant, before, "before")).map(cursors -> {
      Long afterSeq = cursors.resultAt(0);
      Long beforeSeq = cursors.resultAt(1);
      // In descending order "after" means older (lower seq); "before" means newer.
      Long lower = ascending ? afterSeq : beforeSeq;
      Long upper = ascending ? beforeSeq : afterSeq;
      // With only "before", read towards the cursor's side so the page ends next to it.
      boolean reverse = before != null && after == null;
      return new Bounds(lower, upper, reverse != ascending, reverse);
    });
  }

  private Future<Long> cursorSeq(String tenant, String cursor, String param) {
    if (cursor == null) {
      return Future.succeededFuture();
    }
    return pool.preparedQuery(seqOf).execute(Tuple.of(tenant, cursor)).compose(rows -> rows.size() == 1
      ? Future.succeededFuture(rows.iterator().next().getLong(0))
      : Future.failedFuture(new ApiException(ApiError.invalidParameter(param,
        "'" + param + "' names no " + noun + ": '" + ApiError.printable(cursor) + "'."))));
  }
}
