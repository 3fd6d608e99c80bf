package dev.forge.tasks.file;

import dev.forge.tasks.bus.Addresses;
import dev.forge.tasks.job.JobContext;
import dev.forge.tasks.job.JobFailure;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;

/**
 * A stored file's bytes as a stream, read part by part from the files store with the next part
 * requested while the current one is read: at most two parts in the heap, and no copy to scratch
 * space first (Tika spools to a file by itself for the formats it must seek in, PDF and zip-based
 * ones). A wait for a part holds no CPU permit ({@link JobContext#waitOutsideCpu}). A failed read,
 * or bytes that do not add up to the file's size, throws a {@link TextExtractor.SourceFailed}
 * carrying the job's failure.
 */
final class PartStream extends InputStream {

  private final JobContext ctx;
  private final FilesBus bus;
  private final JsonObject key;
  private final int parts;
  private final long bytes;
  private int requested;
  private Future<Message<Buffer>> ahead;
  private byte[] current = new byte[0];
  private int pos;
  private long read;
  private long waitedNanos;

  PartStream(JobContext ctx, FilesBus bus, JsonObject key, int parts, long bytes) {
    this.ctx = ctx;
    this.bus = bus;
    this.key = key;
    this.parts = parts;
    this.bytes = bytes;
    requestNext();
  }

  private void requestNext() {
    ahead = requested < parts ? bus.send(Addresses.FILES_JOB_READ, key.copy().put("part", requested++)) : null;
  }

  /** False at the end of the file. */
  private boolean fill() throws IOException {
    while (pos >= current.length) {
      if (ahead == null) {
        if (read != bytes) {
          throw new TextExtractor.SourceFailed(
            JobFailure.retryable("The file's stored bytes are incomplete (" + read + " of " + bytes + ")."));
        }
        return false;
      }
      Buffer data;
      long t0 = System.nanoTime();
      try {
        Future<Message<Buffer>> next = ahead;
        data = ctx.waitOutsideCpu(() -> bus.await(next));
      } catch (JobFailure | RuntimeException e) {
        ahead = null;
        throw new TextExtractor.SourceFailed(e);
      } finally {
        waitedNanos += System.nanoTime() - t0;
      }
      requestNext();
      current = data.getBytes();
      pos = 0;
      read += current.length;
      if (read > bytes) {
        throw new TextExtractor.SourceFailed(JobFailure.retryable("The file's stored bytes exceed its size."));
      }
    }
    return true;
  }

  @Override
  public int read() throws IOException {
    return fill() ? current[pos++] & 0xff : -1;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (!fill()) {
      return -1;
    }
    int n = Math.min(len, current.length - pos);
    System.arraycopy(current, pos, b, off, n);
    pos += n;
    return n;
  }

  /** Time spent waiting for parts from the store, in ms. */
  long waitedMs() {
    return waitedNanos / 1_000_000;
  }

  @Override
  public int available() {
    return current.length - pos;
  }
}
