package dev.forge.tasks.bus;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.buffer.Buffer;

/**
 * Every event-bus address of the Tasks server, with its contract. No other class spells an address.
 *
 * <p>Bodies and replies are {@link JsonObject}s. A task is always named by
 * {@code tenant} (optional; {@value #DEFAULT_TENANT} when absent) and {@code id}. A Trace is the
 * task object of API.md: {@code id, object, type, status, progress, data, created_at, updated_at,
 * failure_reason}. Failures are {@link ReplyException}s whose
 * {@code failureCode()} is the HTTP status of API.md and whose message is the JSON
 * {@code {"code", "message", "param"}}; {@link ApiError#fromThrowable} decodes them. A reply that
 * carries a Trace also carries the headers of {@link #UPDATED} ({@link #HEADER_TASK_ID},
 * {@link #HEADER_TENANT}, {@link #HEADER_VERSION}, {@link #HEADER_ETAG}, {@link #HEADER_STATUS}),
 * so that the caller's node can cache what it acknowledges.
 *
 * <p>Commands go by {@code request} to the store, which is the only owner of the database; facts
 * ({@link #UPDATED}, {@link #JOB_AVAILABLE}) are {@code publish}ed and never persisted by anyone.
 */
public final class Addresses {

  private Addresses() {
  }

  /** The tenant of requests that name none, and of every request when no API keys are set. */
  public static final String DEFAULT_TENANT = "default";

  /**
   * Create a task. Body: {@code {tenant?, type, id?, input?, data?, max_attempts?}}; {@code input}
   * is kept for the job and never shown, {@code data} (an object) is merged into the Trace's data.
   * Reply: the Trace, with header {@link #HEADER_CREATED} {@code "true"}, or {@code "false"} when a
   * task with this id and type already existed (the existing task is returned).
   * Failures: 400 {@code invalid_parameter} / {@code unknown_task_type}, 409 {@code id_conflict}
   * (the id exists with another type), 503, 504.
   */
  public static final String CREATE = "tasks.create";

  /** Get one task. Body: {@code {tenant?, id}}. Reply: the Trace. Failures: 404 {@code task_not_found}, 503, 504. */
  public static final String GET = "tasks.get";

  /**
   * List tasks. Body: {@code {tenant?, limit (1-100), order ("asc"|"desc"), after?, before?,
   * status? (array of statuses), type?}}. Reply: {@code {object:"list", data:[Trace], first_id,
   * last_id, has_more}}. Failures: 400 {@code invalid_parameter} (also for a cursor id that does not
   * exist), 503, 504.
   */
  public static final String LIST = "tasks.list";

  /**
   * Cancel a task. Body: {@code {tenant?, id}}. Reply: the Trace, now {@code cancelled} (also when
   * it already was). Failures: 404, 409 {@code task_not_cancellable} (completed or failed), 503, 504.
   */
  public static final String CANCEL = "tasks.cancel";

  /**
   * Delete a terminal task. Body: {@code {tenant?, id}}. Reply:
   * {@code {id, object:"task.deleted", deleted:true}}, with the headers of {@link #UPDATED} for the
   * deleted task and {@link #HEADER_DELETED} {@code "true"}. Failures: 404, 409 {@code task_not_deletable}
   * (pending or in progress), 503, 504.
   */
  public static final String DELETE = "tasks.delete";

  /**
   * Claim pending work. Body: {@code {types:[type...], limit (1-100), worker}} where {@code worker}
   * names the claimer in logs. Reply: {@code {jobs:[{tenant, id, type, attempt, input, data,
   * lease_ms}]}}, possibly empty. Each job is now {@code in_progress} with a lease of
   * {@code lease_ms}; reports renew it. A job whose lease runs out is rescued: back to
   * {@code pending} with the next attempt, or {@code failed} after the last one.
   */
  public static final String JOB_CLAIM = "tasks.job.claim";

  /**
   * Report progress and renew the lease. Body: {@code {tenant?, id, attempt, progress?, data?}};
   * {@code progress} is a number in [0, 1] (a lower value than the stored one is kept at the stored
   * one), {@code data} an object shallow-merged into the Trace's data ({@code operation} cannot be
   * changed). Reply: {@code {cancelled: bool}}: {@code true} tells the job to stop now.
   * Failures: 400 {@code invalid_parameter}, 404, 409 {@code lease_lost} (the attempt is not the
   * task's current running attempt any more: rescued, completed or failed).
   */
  public static final String JOB_PROGRESS = "tasks.job.progress";

  /**
   * Complete an attempt. Body: {@code {tenant?, id, attempt, data?}}. Reply: the Trace, now
   * {@code completed} with progress 1.0. Failures: 404, 409 {@code task_cancelled} (a cancel won the
   * race: the task stays {@code cancelled}), 409 {@code lease_lost}.
   */
  public static final String JOB_COMPLETE = "tasks.job.complete";

  /**
   * Fail an attempt. Body: {@code {tenant?, id, attempt, reason, retryable}}. A retryable failure
   * puts the task back to {@code pending} (with backoff) while attempts remain; otherwise the task
   * becomes {@code failed} with {@code failure_reason = reason}. Reply: the Trace.
   * Failures: as {@link #JOB_COMPLETE}.
   */
  public static final String JOB_FAIL = "tasks.job.fail";

  /**
   * Hand back every lease of a worker that stops. Body: {@code {worker}}. The tasks go back to
   * {@code pending} at once, without using up an attempt. Reply: {@code {released: n}}.
   */
  public static final String JOB_RELEASE = "tasks.job.release";

  /**
   * Published after every persisted change: body = the Trace; headers {@link #HEADER_TASK_ID},
   * {@link #HEADER_TENANT}, {@link #HEADER_VERSION}, {@link #HEADER_ETAG} and
   * {@link #HEADER_STATUS}. A deletion (by request or by retention) is published with header
   * {@link #HEADER_DELETED} {@code "true"} and the last Trace as body.
   */
  public static final String UPDATED = "tasks.updated";

  /** Readiness: body {@code {}}; replies {@code {}} once the store has run a query. Failures: 503, 504. */
  public static final String PING = "tasks.store.ping";

  /**
   * Published when work of a type may be claimable: body {@code {type}}. A hint only: sent after
   * the change is committed, at most once per type for all the changes a store instance persisted
   * in one turn of its event loop (a batch of creates is one announcement), and claimers must also
   * poll.
   */
  public static final String JOB_AVAILABLE = "tasks.job.available";

  public static final String HEADER_TASK_ID = "task_id";
  public static final String HEADER_TENANT = "tenant";
  public static final String HEADER_VERSION = "version";
  public static final String HEADER_ETAG = "etag";
  public static final String HEADER_STATUS = "status";
  public static final String HEADER_CREATED = "created";
  public static final String HEADER_DELETED = "deleted";

  // Client library (issue 16).

  /**
   * On replies of {@link #LIST}: the versions of the listed tasks, comma-separated, in the order of
   * {@code data} (the Trace itself carries none), so that a client can order a listed state against
   * the events of {@link #UPDATED}.
   */
  public static final String HEADER_VERSIONS = "versions";

  // ---- Files (FILES.md). The files store (FilesVerticle) alone owns the tables
  // files (keyed (tenant, id)), file_parts and file_segments (keyed (tenant, file_id, idx)). A file
  // object is the one of FILES.md: {id, object:"file", filename, bytes, purpose, created_at,
  // updated_at, md5, content_type, status (processing|processed|failed), task_id, metadata,
  // parse_options, processing_error_message?}. Its status is reconciled with its task
  // upload-<id>: a stored "processing" whose task is failed, cancelled or gone reads "failed".
  // Every file address also fails with 503/504 like the task store's.

  /** Get one file. Body: {@code {tenant?, id}}. Reply: the file object. Failures: 404 {@code file_not_found}. */
  public static final String FILES_GET = "files.get";

  /**
   * A processed file's segments in index order. Body: {@code {tenant?, id, after? (a segment index;
   * -1 or absent: from the start), limit? (1-1000, default 100)}}. Reply: {@code {segments:
   * [{index, content, metadata}], has_more}}; empty until the file is {@code processed}.
   * Failures: 404 {@code file_not_found}, 400 {@code invalid_parameter}.
   */
  public static final String FILES_SEGMENTS = "files.segments";

  /**
   * List files. Body: {@code {tenant?, limit (1-100), order ("asc"|"desc"), after?, before?, purpose?}}.
   * Reply: {@code {object:"list", data:[file], first_id, last_id, has_more}}. Failures: 400.
   */
  public static final String FILES_LIST = "files.list";

  /**
   * The document of {@code GET /v1/files/{id}/content}. Body: {@code {tenant?, id}}. Reply: the file
   * object plus {@code title, author, md5sum, mime_type, vector_store_ids: [], content: {id, abstract,
   * summary, keywords, outline, language, file_type, page_count, metadata, segments}} (segments: the
   * first 1000, each {@code {id, index, content, metadata, url}}). Failures: 404.
   */
  public static final String FILES_DOCUMENT = "files.document";

  /**
   * Update a document. Body: {@code {tenant?, id, title?, author? (string or null), metadata? (object)}}.
   * Reply: as {@link #FILES_DOCUMENT}. Failures: 400 {@code invalid_parameter}, 404.
   */
  public static final String FILES_DOCUMENT_UPDATE = "files.document.update";

  /**
   * Delete a file: cancels its task {@code upload-<id>} when still running, then deletes the file, its
   * bytes and its segments (and, by cascade, whatever references them). Body: {@code {tenant?, id}}.
   * Reply: {@code {id, object:"file", deleted:true}}. Failures: 404.
   */
  public static final String FILES_DELETE = "files.delete";

  /**
   * Start an upload: an invisible staged file. Body: {@code {tenant?, id? (client-chosen, checked
   * again at finish), filename, content_type}}. Reply: {@code {upload, id}} ({@code upload} a number
   * naming the staged upload, {@code id} the given id or a new one). Failures: 409 {@code id_conflict}.
   */
  public static final String FILES_UPLOAD_BEGIN = "files.upload.begin";

  /**
   * Store one part of an upload's bytes. Body: a {@link Buffer} (at most 1 MiB);
   * headers {@link #HEADER_TENANT}, {@link #HEADER_UPLOAD} and {@link #HEADER_PART} (0, 1, 2...;
   * sending a part again replaces it). Reply: {@code {}}. Failures: 404 {@code upload_not_found}.
   */
  public static final String FILES_UPLOAD_PART = "files.upload.part";

  /**
   * Finish an upload. Body: {@code {tenant?, upload, id?, purpose, md5, bytes, parts, parse_options,
   * skip_exists}}. Checks that every part is stored; with {@code skip_exists} and a file of this
   * tenant with the same md5, drops the upload and replies that file (header {@link #HEADER_CREATED}
   * "false"). Otherwise creates the task {@code upload-<id>} (type {@code file_processing}) and only
   * then makes the file visible, so that a file a client can see always has its task; replies the
   * file object ({@link #HEADER_CREATED} "true"). On failure the staged upload is dropped.
   * Failures: 404 {@code upload_not_found}, 409 {@code id_conflict}.
   */
  public static final String FILES_UPLOAD_FINISH = "files.upload.finish";

  /** Drop a staged upload (the client went away). Body: {@code {tenant?, upload}}. Reply: {@code {}}. */
  public static final String FILES_UPLOAD_ABORT = "files.upload.abort";

  /**
   * A {@code file_processing} attempt takes its file over (visible or not yet), clearing segments of
   * earlier attempts. Body: {@code {tenant?, id, attempt}}. Reply: {@code {file: file object plus
   * parts, processed: bool}}; {@code processed} true means an earlier attempt finished it.
   * Failures: 404 (deleted), 409 {@code lease_lost} (a newer attempt owns it).
   */
  public static final String FILES_JOB_START = "files.job.start";

  /** Read one part of a file's bytes. Body: {@code {tenant?, id, part}}. Reply: a Buffer. Failures: 404. */
  public static final String FILES_JOB_READ = "files.job.read";

  /**
   * Store segments of an attempt. Body: {@code {tenant?, id, attempt, segments: [{index, content,
   * metadata}]}} (at most 1000). Reply: {@code {}}. Failures: 404, 409 {@code lease_lost}.
   */
  public static final String FILES_JOB_SEGMENTS = "files.job.segments";

  /**
   * Finish an attempt: the file becomes {@code processed} with its document fields, and segments
   * from {@code segment_count} on are dropped, atomically. Body: {@code {tenant?, id, attempt,
   * segment_count, abstract, summary, keywords, language, file_type, page_count}}. Reply: {@code {}}.
   * Failures: 404, 409 {@code lease_lost}.
   */
  public static final String FILES_JOB_DONE = "files.job.done";

  /** Record a final failure of an attempt. Body: {@code {tenant?, id, attempt, error}}. Reply: {@code {}}. */
  public static final String FILES_JOB_FAILED = "files.job.failed";

  public static final String HEADER_UPLOAD = "upload";
  public static final String HEADER_PART = "part";

  // ---- Vector stores (FILES.md). The vector store (VectorStoreVerticle)
  // alone owns vector_stores, vector_store_files and segment_vectors (V3__vector_stores.sql), and
  // only reads the files store's tables. The vector store object is the one of FILES.md: {id,
  // object:"vector_store", name, description, created_at, updated_at, metadata, expires_after
  // ({anchor:"last_active_at", days:1-365} or null), expires_at, last_active_at, file_ids,
  // file_counts:{in_progress, completed, failed, cancelled, total}, bytes, status
  // (in_progress|completed|expired), embedding_model, task_id}. An unknown or other tenant's store fails
  // with 404 vector_store_not_found; every address also fails with 503/504 like the task store's.

  /**
   * Create a store and its task {@code create-<id>} (type {@code vector_store_creation}), which
   * exists before the reply. Body: {@code {tenant?, id?, name?, description?, metadata?,
   * expires_after?, file_ids?}}. Reply: the store object. Failures: 400 {@code invalid_parameter}
   * (an unknown file id: {@code param "file_ids"}; nothing is created), 409 {@code id_conflict}.
   */
  public static final String VECTOR_STORES_CREATE = "vector_stores.create";

  /** Get a store. Body: {@code {tenant?, id}}. Reply: the store object. Failures: 404. */
  public static final String VECTOR_STORES_GET = "vector_stores.get";

  /**
   * List stores. Body: {@code {tenant?, limit (1-100), order ("asc"|"desc"), after?, before?}}.
   * Reply: {@code {object:"list", data:[store], first_id, last_id, has_more}}. Failures: 400.
   */
  public static final String VECTOR_STORES_LIST = "vector_stores.list";

  /**
   * Modify a store. Body: {@code {tenant?, id, name?, description?, metadata?, expires_after?,
   * join_file_ids?, left_file_ids?}}. Files left stop being searched at once; a join (of files not
   * in the store yet) makes {@code vectorize-<id>} (type {@code vectorization}) the store's task,
   * replacing a terminal one of that id, before the reply. Reply: the store object. Failures: 400
   * (an unknown file id: {@code param "join_file_ids"}), 404.
   */
  public static final String VECTOR_STORES_UPDATE = "vector_stores.update";

  /**
   * Delete a store (its files stay) and cancel its tasks. Body: {@code {tenant?, id}}. Reply:
   * {@code {id, object:"vector_store.deleted", deleted:true}}. Failures: 404.
   */
  public static final String VECTOR_STORES_DELETE = "vector_stores.delete";

  /**
   * A store's files. Body: {@code {tenant?, id}}. Reply: {@code {object:"list", data:[{id,
   * object:"vector_store.file", vector_store_id, filename, status, created_at}], first_id, last_id,
   * has_more:false}}. Failures: 404.
   */
  public static final String VECTOR_STORES_FILES = "vector_stores.files";

  /**
   * Search a store: exact cosine over the segments of its completed files. Body: {@code {tenant?,
   * id, query, top_k? (1-100, default 10), filters? (object: file metadata keys by equality),
   * score_threshold? (number)}}. Reply: the page of FILES.md ({@code object, search_query, data:
   * [{file_id, filename, score, attributes, content:[{type, text}]} plus id, vector_store_id, text,
   * metadata], has_more, next_page, request_id}) with {@code vector_store_id, query, top_k}.
   * Failures: 400 {@code invalid_parameter}, 404, 409 {@code vector_store_expired}.
   */
  public static final String VECTOR_STORES_SEARCH = "vector_stores.search";

  /**
   * An extractive summary of a store's completed files. Body: {@code {tenant?, id, model?,
   * max_tokens? (1-100000)}}. Reply: {@code {vector_store_id, summary_text, model_used, created_at,
   * token_count}}. Failures: 400, 404.
   */
  public static final String VECTOR_STORES_SUMMARY = "vector_stores.summary";

  /** The stores holding a file. Body: {@code {tenant?, file_id}}. Reply: {@code {vector_store_ids:[id]}}. */
  public static final String VECTOR_STORES_OF_FILE = "vector_stores.of_file";

  /**
   * A vector-store job's view of its store: the files still in progress and the counts. Body:
   * {@code {tenant?, id}}. Reply: {@code {pending:[file_id], files_total, files_completed,
   * files_failed, files_cancelled}}. Failures: 404 (the store was deleted).
   */
  public static final String VECTOR_STORES_JOB_PENDING = "vector_stores.job.pending";

  /**
   * Which of a file's segments have no vector of a model yet. Body: {@code {tenant?, file_id, model,
   * indexes:[int] (at most 1000)}}. Reply: {@code {missing:[int], segments: the file's segment
   * count}}.
   */
  public static final String VECTOR_STORES_JOB_MISSING = "vector_stores.job.missing";

  /**
   * Store vectors of a file's segments (a vector already stored for a segment and model is kept).
   * Body: {@code {tenant?, file_id, model, vectors:[{index, vector (binary: float32 little-endian)}]}}
   * (at most 1000). Reply: {@code {stored: n}}. Failures: 404 (the file or a segment is gone), 400.
   */
  public static final String VECTOR_STORES_JOB_VECTORS = "vector_stores.job.vectors";

  /**
   * Settle one file of a store. Body: {@code {tenant?, id, file_id, status ("completed"|"failed"),
   * error?}}; only a member still in progress changes. Reply: {@code {}}. Failures: 400.
   */
  public static final String VECTOR_STORES_JOB_FILE_DONE = "vector_stores.job.file_done";

  // ---- Webhooks (issue 14): the webhooks store owns the endpoint and delivery tables. ----
  // An endpoint is {id, object:"webhook_endpoint", url, events, types, description, status
  // ("enabled"|"disabled"), disabled_reason, created_at, updated_at}; a delivery is {id,
  // object:"webhook_delivery", endpoint_id, event, task_id, status ("pending"|"succeeded"|"failed"),
  // attempts, last_status_code, last_error, last_attempt_at, next_attempt_at, delivered_at, created_at}.

  /**
   * Create an endpoint. Body: {@code {tenant?, url, events, types?, description?}}. Reply: the
   * endpoint with {@code secret} (the only time it is shown). Failures: 400 {@code invalid_parameter}
   * (also for a URL that is not https, or http to a host not allowed, or a literal private address), 503, 504.
   */
  public static final String WEBHOOK_CREATE = "webhooks.create";

  /** List a tenant's endpoints. Body: {@code {tenant?}}. Reply: {@code {object:"list", data:[endpoint]}}. Failures: 503, 504. */
  public static final String WEBHOOK_LIST = "webhooks.list";

  /** Get one endpoint. Body: {@code {tenant?, id}}. Reply: the endpoint. Failures: 404 {@code webhook_not_found}, 503, 504. */
  public static final String WEBHOOK_GET = "webhooks.get";

  /**
   * Update an endpoint. Body: {@code {tenant?, id, url?, events?, types?, description?, disabled?,
   * rotate_secret?}}. Reply: the endpoint, with {@code secret} when it was rotated (the old secret
   * stays valid, and is signed with too, for {@code WebhookEndpoints.OVERLAP_MS}). Disabling
   * fails the endpoint's pending deliveries. Failures: 400, 404, 503, 504.
   */
  public static final String WEBHOOK_UPDATE = "webhooks.update";

  /**
   * Delete an endpoint and its deliveries. Body: {@code {tenant?, id}}. Reply:
   * {@code {id, object:"webhook_endpoint.deleted", deleted:true}}. Failures: 404, 503, 504.
   */
  public static final String WEBHOOK_DELETE = "webhooks.delete";

  /**
   * An endpoint's deliveries, newest first. Body: {@code {tenant?, id, limit (1-100), before?}}
   * ({@code before} a delivery id). Reply: {@code {object:"list", data:[delivery], has_more}}.
   * Failures: 400, 404, 503, 504.
   */
  public static final String WEBHOOK_DELIVERIES = "webhooks.deliveries";

  /**
   * Send a delivery again, now: it becomes pending and due, keeping its id. Body:
   * {@code {tenant?, id, delivery}}. Reply: the delivery. Failures: 404 {@code webhook_not_found} /
   * {@code delivery_not_found}, 409 {@code webhook_disabled}, 503, 504.
   */
  public static final String WEBHOOK_RETRY = "webhooks.retry";

  /**
   * Claim due deliveries for sending. Body: {@code {worker, limit (1-256), lease_ms}}. Each is leased
   * to the worker: not due again for {@code lease_ms}, after which another sender takes it. Reply:
   * {@code {deliveries:[{id, attempt, url, secrets:[whsec_...], body}]}} ({@code body} the exact
   * text to sign and post). Failures: 503, 504.
   */
  public static final String WEBHOOK_CLAIM = "webhooks.delivery.claim";

  /**
   * The outcomes of claimed attempts. Body: {@code {results:[{id, attempt, ok, status_code?, error?}]}}.
   * A success ends the delivery; a failure makes it due again after an exponential backoff with
   * jitter, or fails it once it is older than the retry window, and disables the endpoint whose
   * every attempt failed for that long. A report from an attempt that no longer holds the delivery
   * changes nothing. Reply: {@code {}}. Failures: 503, 504.
   */
  public static final String WEBHOOK_RESULT = "webhooks.delivery.result";

  // ---- Tenant-wide reads: the event stream's resume and the dashboard's counts (issue 13) ----

  /**
   * The tasks of one tenant changed since a point in time, oldest change first, one page at a time:
   * what {@code GET /v1/events} replays for a client that resumes with {@code Last-Event-ID}. Body:
   * {@code {tenant?, since_us, after_seq?, status? (array of statuses), type?, limit (1-500)}}:
   * tasks whose {@code updated_at} (the database's clock, in microseconds since the epoch) and
   * {@code seq} come after ({@code since_us}, {@code after_seq}, default 0). Reply:
   * {@code {events:[{trace, version, etag, updated_us, seq}], has_more}}; the next page starts
   * after the last element's ({@code updated_us}, {@code seq}). Each element is the task's current
   * state; deleted tasks are not replayed. Failures: 400 {@code invalid_parameter}, 503, 504.
   */
  public static final String EVENTS_REPLAY = "tasks.events.replay";

  /**
   * How many tasks of a tenant are in each status. Body: {@code {tenant?, type?}}. Reply:
   * {@code {object:"task_counts", type, counts:{pending, in_progress, completed, failed, cancelled},
   * total}} (every status present, 0 when none). Failures: 400 {@code invalid_parameter}, 503, 504.
   */
  public static final String COUNTS = "tasks.counts";
}
