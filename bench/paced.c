/*
 * paced: an evenly paced, open-loop HTTP/1.1 polling load generator (one thread, epoll).
 *
 *   gcc -O2 -o paced bench/paced.c
 *   ./paced --port 8080 --connections 4096 --per-conn-rate 1 --warmup 5 --duration 20 \
 *           --path '/v1/tasks/{id}' --id-prefix task_bench000001 --count 10000
 *   ./paced --port 8080 --connections 4096 --path /bench/constant
 *
 * N kept-alive connections; connection i sends GET at  T0 + (i + k*N) / R  for k = 0, 1, ...
 * (R = total rate = N * per-connection rate), so the N connections' phases are spread evenly over
 * one period and the server sees one request every 1/R seconds, never a burst. A connection has at
 * most one request in flight (like a real poller); a send that falls due while the previous answer
 * has not arrived waits for it, and its latency is still counted from its scheduled time.
 *
 * Phases: connections are opened gradually (--connect-rate per second, not a SYN burst), then the
 * schedule starts at T0; sends scheduled in [T0, T0+warmup) are not recorded; sends scheduled in
 * [T0+warmup, T0+warmup+duration) are measured. After the last one it waits (at most --timeout)
 * for the answers still in flight.
 *
 * Two latencies per measured request:
 *   from the scheduled send time (coordinated-omission corrected: includes any lateness of the
 *   client and any wait behind a slow previous answer)  -> p50_ms ... max_ms
 *   from the actual write()                             -> sent_p50_ms ... sent_max_ms
 * and two lags: tick_* = when the loop handled the slot - scheduled time (the client's own
 * lateness: descheduled, busy), lag_* = actual write - scheduled time (tick plus any wait for the
 * connection's previous answer). tick_p99_ms well below p99_ms says the tail is not the client's timer.
 * {id} in --path becomes <id-prefix> + %013d of a random n in 1..count (as bench/random-range.lua).
 *
 * Output: one line on stdout, "PACED_RESULT key=value ...", and a human summary on stderr, with a
 * timeline: per second of the measured window, answers, answers slower than --slow-ms, the max.
 * Errors: status (non-2xx), resets (EOF, ECONNRESET, EPIPE, bad response), timeouts (no answer
 * within --timeout ms; the connection is closed and reopened), connect_errors.
 * Exit status: 0 when it ran (whatever the errors), 2 on bad arguments, 3 when connecting failed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { ST_DOWN, ST_CONNECTING, ST_IDLE, ST_BUSY };

typedef struct {
  int fd;
  int state;
  uint64_t next_k;      /* index k of the next request this connection will write */
  uint64_t due_k;       /* requests with k < due_k have fallen due */
  int64_t sched_ns;     /* scheduled time of the request in flight */
  int64_t sent_ns;      /* actual write time of the request in flight */
  int64_t conn_start_ns;
  int measured;         /* the request in flight is in the measured window */
  char *buf;
  size_t len, cap;
  char wbuf[1024];
  size_t wlen, woff;
} conn_t;

typedef struct {
  int64_t *v;
  size_t n, cap;
} vec_t;

static void vpush(vec_t *a, int64_t x) {
  if (a->n == a->cap) {
    a->cap = a->cap ? a->cap * 2 : 65536;
    a->v = realloc(a->v, a->cap * sizeof(int64_t));
    if (!a->v) { perror("realloc"); exit(1); }
  }
  a->v[a->n++] = x;
}
static int cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}
static double pct_ms(vec_t *a, double p) { /* a sorted; nearest-rank percentile in ms */
  if (!a->n) return 0;
  size_t r = (size_t)(p / 100.0 * a->n + 0.999999);
  if (r < 1) r = 1;
  if (r > a->n) r = a->n;
  return a->v[r - 1] / 1e6;
}

/* options */
static const char *o_host = "127.0.0.1";
static int o_port = 8080;
static int o_conns = 4096;
static double o_per_conn_rate = 1.0, o_rate = 0;
static double o_duration = 20, o_warmup = 5;
static const char *o_path = "/v1/tasks/{id}";
static const char *o_id_prefix = "";
static long o_count = 10000;
static const char *o_token = NULL;
static double o_connect_rate = 2000;
static int o_timeout_ms = 5000;
static uint64_t o_seed = 0;
static double o_slow_ms = 20; /* the timeline counts answers slower than this */

/* state */
static int ep;
static conn_t *C;
static struct sockaddr_in addr;
static int64_t T0, interval_ns, warm_end, meas_end;
static uint64_t total_sends; /* sends scheduled in [T0, meas_end) */
static uint64_t rng;
static vec_t lat_sched, lat_sent, lag, tick;
static uint64_t n_ok, n_status, n_resets, n_timeouts, n_connect_err, n_sent_meas, n_reconnects;
static uint64_t n_status_all, n_resets_all, n_timeouts_all;
static int n_connected;
/* per second of the measured window (by scheduled time): answers, answers slower than --slow-ms, max */
static uint64_t *tl_n, *tl_slow;
static int64_t *tl_max;
static int tl_len;

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}
static uint64_t xorshift(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return rng;
}
static double cpu_s(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}
static int64_t sched_of(int i, uint64_t k) { return T0 + (int64_t)((k * (uint64_t)o_conns + (uint64_t)i) * (uint64_t)interval_ns); }

static void usage(void) {
  fprintf(stderr,
    "usage: paced [--host 127.0.0.1] --port P [--connections 4096] [--per-conn-rate 1 | --rate TOTAL]\n"
    "             [--duration 20] [--warmup 5] [--path '/v1/tasks/{id}'] [--id-prefix PFX] [--count 10000]\n"
    "             [--token BEARER] [--connect-rate 2000] [--timeout-ms 5000] [--seed N] [--slow-ms 20]\n");
  exit(2);
}

static void ep_set(conn_t *c, int i, uint32_t ev, int op) {
  struct epoll_event e = {.events = ev, .data.u32 = (uint32_t)i};
  if (epoll_ctl(ep, op, c->fd, &e) < 0) { perror("epoll_ctl"); exit(1); }
}

static void open_conn(int i) {
  conn_t *c = &C[i];
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) { perror("socket"); exit(1); }
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->len = 0; c->wlen = c->woff = 0;
  c->conn_start_ns = now_ns();
  if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
    c->state = ST_IDLE; n_connected++;
    ep_set(c, i, EPOLLIN, EPOLL_CTL_ADD);
  } else if (errno == EINPROGRESS) {
    c->state = ST_CONNECTING;
    ep_set(c, i, EPOLLOUT, EPOLL_CTL_ADD);
  } else {
    n_connect_err++;
    close(c->fd); c->fd = -1; c->state = ST_DOWN;
  }
}

static void send_next(int i, int64_t now);

/* Close after an error; the request in flight (if any) is lost; reopen at once. */
static void drop_conn(int i, int kind, int64_t now) {
  conn_t *c = &C[i];
  if (c->state == ST_BUSY) {
    uint64_t *all = kind == 't' ? &n_timeouts_all : &n_resets_all;
    (*all)++;
    if (c->measured) { if (kind == 't') n_timeouts++; else n_resets++; }
    c->next_k++; /* that request is given up, not retried */
  }
  if (c->fd >= 0) { epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); close(c->fd); }
  if (c->state != ST_CONNECTING && c->state != ST_DOWN) n_connected--;
  c->fd = -1; c->state = ST_DOWN;
  if (now < meas_end) { n_reconnects++; open_conn(i); }
  (void)now;
}

static void send_next(int i, int64_t now) {
  conn_t *c = &C[i];
  if (c->state != ST_IDLE || c->next_k >= c->due_k) return;
  int64_t s = sched_of(i, c->next_k);
  char path[600];
  const char *p = strstr(o_path, "{id}");
  if (p) {
    unsigned long n = 1 + (unsigned long)(xorshift() % (uint64_t)o_count);
    snprintf(path, sizeof path, "%.*s%s%013lu%s", (int)(p - o_path), o_path, o_id_prefix, n, p + 4);
  } else {
    snprintf(path, sizeof path, "%s", o_path);
  }
  int w = snprintf(c->wbuf, sizeof c->wbuf, "GET %s HTTP/1.1\r\nHost: %s:%d\r\n%s%s%s\r\n", path, o_host, o_port,
                   o_token ? "Authorization: Bearer " : "", o_token ? o_token : "", o_token ? "\r\n" : "");
  c->wlen = (size_t)w; c->woff = 0;
  c->sched_ns = s;
  c->sent_ns = now;
  c->measured = s >= warm_end && s < meas_end;
  c->state = ST_BUSY;
  c->len = 0;
  if (c->measured) { n_sent_meas++; vpush(&lag, now - s); }
  ssize_t r = write(c->fd, c->wbuf, c->wlen);
  if (r < 0 && errno != EAGAIN) { drop_conn(i, 'r', now); return; }
  if (r > 0) c->woff = (size_t)r;
  if (c->woff < c->wlen) ep_set(c, i, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
}

/* Returns 1 when buf holds a complete response; sets *status and *total (bytes it spans). -1: bad. */
static int parse(conn_t *c, int *status, size_t *total) {
  char *b = c->buf;
  char *end = memmem(b, c->len, "\r\n\r\n", 4);
  if (!end) return c->len > 65536 ? -1 : 0;
  size_t hlen = (size_t)(end - b) + 4;
  if (c->len < 12 || memcmp(b, "HTTP/1.", 7) != 0) return -1;
  *status = atoi(b + 9);
  long cl = -1;
  for (char *l = memchr(b, '\n', hlen); l && l < end; l = memchr(l + 1, '\n', (size_t)(end - l))) {
    if ((size_t)(end - l) > 16 && strncasecmp(l + 1, "content-length:", 15) == 0) { cl = strtol(l + 16, NULL, 10); break; }
  }
  if (cl < 0) {
    /* no Content-Length: only bodiless answers are understood (the server always sends it) */
    if (*status == 204 || *status == 304) cl = 0; else return -1;
  }
  if (c->len < hlen + (size_t)cl) return 0;
  *total = hlen + (size_t)cl;
  return 1;
}

static void on_readable(int i, int64_t now) {
  conn_t *c = &C[i];
  for (;;) {
    if (c->cap - c->len < 4096) {
      c->cap = c->cap ? c->cap * 2 : 8192;
      c->buf = realloc(c->buf, c->cap);
      if (!c->buf) { perror("realloc"); exit(1); }
    }
    ssize_t r = read(c->fd, c->buf + c->len, c->cap - c->len);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) { drop_conn(i, 'r', now); return; }
    if (r < 0) return;
    c->len += (size_t)r;
    if (c->state != ST_BUSY) { drop_conn(i, 'r', now); return; } /* bytes nobody asked for */
    int status = 0; size_t total = 0;
    int p = parse(c, &status, &total);
    if (p < 0) { drop_conn(i, 'r', now); return; }
    if (p == 0) continue;
    if (total != c->len) { drop_conn(i, 'r', now); return; } /* one request in flight: nothing may follow */
    c->len = 0;
    int ok = status >= 200 && status < 300;
    if (!ok) n_status_all++;
    if (c->measured) {
      if (ok) {
        n_ok++;
        vpush(&lat_sched, now - c->sched_ns);
        int sec = (int)((c->sched_ns - warm_end) / 1000000000LL);
        if (sec >= 0 && sec < tl_len) {
          int64_t l = now - c->sched_ns;
          tl_n[sec]++;
          if (l > (int64_t)(o_slow_ms * 1e6)) tl_slow[sec]++;
          if (l > tl_max[sec]) tl_max[sec] = l;
        }
        vpush(&lat_sent, now - c->sent_ns);
      } else {
        n_status++;
      }
    }
    c->next_k++;
    c->state = ST_IDLE;
    send_next(i, now);
    return;
  }
}

static void on_writable(int i, int64_t now) {
  conn_t *c = &C[i];
  if (c->state == ST_CONNECTING) {
    int err = 0; socklen_t l = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
    if (err) {
      n_connect_err++;
      epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); close(c->fd); c->fd = -1; c->state = ST_DOWN;
      if (now < meas_end) open_conn(i);
      return;
    }
    c->state = ST_IDLE; n_connected++;
    ep_set(c, i, EPOLLIN, EPOLL_CTL_MOD);
    send_next(i, now);
    return;
  }
  if (c->state == ST_BUSY && c->woff < c->wlen) {
    ssize_t r = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
    if (r < 0 && errno != EAGAIN) { drop_conn(i, 'r', now); return; }
    if (r > 0) c->woff += (size_t)r;
    if (c->woff >= c->wlen) ep_set(c, i, EPOLLIN, EPOLL_CTL_MOD);
  }
}

static int wait_events(struct epoll_event *evs, int max, int64_t until) {
  int64_t d = until - now_ns();
  if (d < 0) d = 0;
  if (d > 100000000) d = 100000000; /* wake at least every 100 ms for the timeout scan */
#ifdef SYS_epoll_pwait2
  struct timespec ts = {.tv_sec = d / 1000000000, .tv_nsec = d % 1000000000};
  int n = (int)syscall(SYS_epoll_pwait2, ep, evs, max, &ts, NULL, 0);
  if (n >= 0 || errno == EINTR) return n < 0 ? 0 : n;
  if (errno != ENOSYS) { perror("epoll_pwait2"); exit(1); }
#endif
  int n2 = epoll_wait(ep, evs, max, (int)((d + 999999) / 1000000));
  return n2 < 0 ? 0 : n2;
}

static void dispatch(struct epoll_event *evs, int n, int64_t now) {
  for (int e = 0; e < n; e++) {
    int i = (int)evs[e].data.u32;
    if (C[i].fd < 0) continue;
    if (C[i].state == ST_CONNECTING) { on_writable(i, now); continue; }
    if (evs[e].events & EPOLLOUT) on_writable(i, now);
    if (C[i].fd >= 0 && (evs[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) on_readable(i, now);
  }
}

int main(int argc, char **argv) {
  for (int a = 1; a < argc; a++) {
    const char *k = argv[a];
    if (a + 1 >= argc) usage();
    const char *v = argv[++a];
    if (!strcmp(k, "--host")) o_host = v;
    else if (!strcmp(k, "--port")) o_port = atoi(v);
    else if (!strcmp(k, "--connections")) o_conns = atoi(v);
    else if (!strcmp(k, "--per-conn-rate")) o_per_conn_rate = atof(v);
    else if (!strcmp(k, "--rate")) o_rate = atof(v);
    else if (!strcmp(k, "--duration")) o_duration = atof(v);
    else if (!strcmp(k, "--warmup")) o_warmup = atof(v);
    else if (!strcmp(k, "--path")) o_path = v;
    else if (!strcmp(k, "--id-prefix")) o_id_prefix = v;
    else if (!strcmp(k, "--count")) o_count = atol(v);
    else if (!strcmp(k, "--token")) o_token = v;
    else if (!strcmp(k, "--connect-rate")) o_connect_rate = atof(v);
    else if (!strcmp(k, "--timeout-ms")) o_timeout_ms = atoi(v);
    else if (!strcmp(k, "--seed")) o_seed = strtoull(v, NULL, 10);
    else if (!strcmp(k, "--slow-ms")) o_slow_ms = atof(v);
    else usage();
  }
  if (o_conns < 1 || o_port < 1 || o_count < 1 || o_duration <= 0 || o_warmup < 0 || o_connect_rate <= 0) usage();
  double rate = o_rate > 0 ? o_rate : o_per_conn_rate * o_conns;
  if (rate <= 0) usage();
  interval_ns = (int64_t)(1e9 / rate);
  if (interval_ns < 1) interval_ns = 1;
  rng = o_seed ? o_seed : (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32);
  if (!rng) rng = 88172645463325252ULL;
  signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_TIMERSLACK, 1000UL); /* 1 us instead of 50 us of timer slack */

  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)o_port);
  if (inet_pton(AF_INET, o_host, &addr.sin_addr) != 1) {
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(o_host, NULL, &hints, &res) != 0) { fprintf(stderr, "paced: cannot resolve %s\n", o_host); return 2; }
    addr.sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
    freeaddrinfo(res);
  }
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)o_conns + 64) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)o_conns + 64) { fprintf(stderr, "paced: ulimit -n %ld is too low\n", (long)rl.rlim_cur); return 2; }
  }
  ep = epoll_create1(EPOLL_CLOEXEC);
  C = calloc((size_t)o_conns, sizeof *C);
  for (int i = 0; i < o_conns; i++) C[i].fd = -1;
  enum { MAXEV = 1024 };
  struct epoll_event evs[MAXEV];

  /* 1. connect gradually */
  T0 = INT64_MAX / 2; meas_end = INT64_MAX / 2; warm_end = INT64_MAX / 2;
  int64_t c0 = now_ns(), step = (int64_t)(1e9 / o_connect_rate), give_up = c0 + 60000000000LL;
  int opened = 0;
  while (n_connected < o_conns) {
    int64_t now = now_ns();
    while (opened < o_conns && now >= c0 + opened * step) open_conn(opened++);
    if (now > give_up || n_connect_err > (uint64_t)o_conns) break;
    int64_t until = opened < o_conns ? c0 + opened * step : now + 100000000;
    dispatch(evs, wait_events(evs, MAXEV, until), now_ns());
  }
  double connect_s = (now_ns() - c0) / 1e9;
  if (n_connected < o_conns) {
    printf("PACED_RESULT error=connect connected=%d connections=%d connect_errors=%lu\n", n_connected, o_conns,
           (unsigned long)n_connect_err);
    return 3;
  }
  uint64_t connect_errors_at_start = n_connect_err;

  /* 2. the schedule: send j goes to connection j % N at T0 + j * interval */
  T0 = now_ns() + 50000000;
  warm_end = T0 + (int64_t)(o_warmup * 1e9);
  meas_end = warm_end + (int64_t)(o_duration * 1e9);
  tl_len = (int)o_duration + 1;
  tl_n = calloc((size_t)tl_len, sizeof *tl_n); tl_slow = calloc((size_t)tl_len, sizeof *tl_slow); tl_max = calloc((size_t)tl_len, sizeof *tl_max);
  struct timespec wall; clock_gettime(CLOCK_REALTIME, &wall);
  double warm_end_wall = wall.tv_sec + wall.tv_nsec / 1e9 + (warm_end - now_ns()) / 1e9;
  total_sends = (uint64_t)((meas_end - T0 + interval_ns - 1) / interval_ns);
  uint64_t j = 0;
  double cpu0 = 0; int cpu0_taken = 0;
  int64_t last_scan = T0, drain_end = meas_end + (int64_t)o_timeout_ms * 1000000;
  for (;;) {
    int64_t now = now_ns();
    if (!cpu0_taken && now >= warm_end) { cpu0 = cpu_s(); cpu0_taken = 1; }
    /* every send now due, in schedule order */
    while (j < total_sends && T0 + (int64_t)j * interval_ns <= now) {
      int i = (int)(j % (uint64_t)o_conns);
      int64_t s = T0 + (int64_t)j * interval_ns;
      if (s >= warm_end && s < meas_end) vpush(&tick, now - s);
      C[i].due_k = j / (uint64_t)o_conns + 1;
      send_next(i, now);
      j++;
    }
    if (now - last_scan >= 100000000) { /* time out requests unanswered for too long */
      last_scan = now;
      for (int i = 0; i < o_conns; i++) {
        if (C[i].state == ST_BUSY && now - C[i].sent_ns > (int64_t)o_timeout_ms * 1000000) drop_conn(i, 't', now);
        else if (C[i].state == ST_CONNECTING && now - C[i].conn_start_ns > (int64_t)o_timeout_ms * 1000000) {
          n_connect_err++;
          epoll_ctl(ep, EPOLL_CTL_DEL, C[i].fd, NULL); close(C[i].fd); C[i].fd = -1; C[i].state = ST_DOWN;
          if (now < meas_end) open_conn(i);
        }
      }
    }
    if (j >= total_sends) {
      int busy = 0;
      for (int i = 0; i < o_conns && !busy; i++) busy = C[i].state == ST_BUSY || (C[i].state != ST_DOWN && C[i].next_k < C[i].due_k);
      if (!busy || now > drain_end) break;
    }
    int64_t until = j < total_sends ? T0 + (int64_t)j * interval_ns : now + 10000000;
    dispatch(evs, wait_events(evs, MAXEV, until), now_ns());
  }
  double cpu1 = cpu_s();
  /* measured requests without an answer at the end count as timeouts: the one in flight, and any
     that fell due but were never written (connection down, or still behind a slow answer) */
  for (int i = 0; i < o_conns; i++) {
    uint64_t k = C[i].next_k;
    if (C[i].state == ST_BUSY) { if (C[i].measured) n_timeouts++; k++; }
    for (; k < C[i].due_k; k++) {
      int64_t s = sched_of(i, k);
      if (s >= warm_end && s < meas_end) n_timeouts++;
    }
  }
  qsort(lat_sched.v, lat_sched.n, sizeof(int64_t), cmp64);
  qsort(lat_sent.v, lat_sent.n, sizeof(int64_t), cmp64);
  qsort(lag.v, lag.n, sizeof(int64_t), cmp64);
  qsort(tick.v, tick.n, sizeof(int64_t), cmp64);
  uint64_t scheduled = 0;
  for (uint64_t q = 0; q < total_sends; q++) {
    int64_t s = T0 + (int64_t)q * interval_ns;
    if (s >= warm_end && s < meas_end) scheduled++;
  }
  uint64_t errors = n_status + n_resets + n_timeouts + (n_connect_err - connect_errors_at_start);
  double cpu = cpu1 - cpu0;
  printf("PACED_RESULT connections=%d target_rps=%.1f rps=%.1f scheduled=%lu sent=%lu ok=%lu errors=%lu status_errors=%lu"
         " resets=%lu timeouts=%lu connect_errors=%lu reconnects=%lu"
         " p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f"
         " sent_p50_ms=%.3f sent_p90_ms=%.3f sent_p99_ms=%.3f sent_p999_ms=%.3f sent_max_ms=%.3f"
         " tick_p99_ms=%.3f tick_max_ms=%.3f lag_p99_ms=%.3f lag_max_ms=%.3f cpu_s=%.3f cpu_us_per_req=%.1f cpu_pct=%.1f connect_s=%.2f warmup_s=%.1f duration_s=%.1f\n",
         o_conns, rate, n_ok / o_duration, (unsigned long)scheduled, (unsigned long)n_sent_meas, (unsigned long)n_ok,
         (unsigned long)errors, (unsigned long)n_status, (unsigned long)n_resets, (unsigned long)n_timeouts,
         (unsigned long)n_connect_err, (unsigned long)n_reconnects,
         pct_ms(&lat_sched, 50), pct_ms(&lat_sched, 90), pct_ms(&lat_sched, 99), pct_ms(&lat_sched, 99.9), pct_ms(&lat_sched, 100),
         pct_ms(&lat_sent, 50), pct_ms(&lat_sent, 90), pct_ms(&lat_sent, 99), pct_ms(&lat_sent, 99.9), pct_ms(&lat_sent, 100),
         pct_ms(&tick, 99), pct_ms(&tick, 100), pct_ms(&lag, 99), pct_ms(&lag, 100), cpu, n_sent_meas ? cpu * 1e6 / n_sent_meas : 0,
         100.0 * cpu / ((now_ns() - warm_end) / 1e9), connect_s, o_warmup, o_duration);
  fflush(stdout);
  fprintf(stderr,
    "paced: %d connections to %s:%d %s, %.0f req/s scheduled (%.3g per connection), opened in %.2f s\n"
    "  measured %.1f s after %.1f s of warm-up: %lu scheduled, %lu sent, %lu ok (%.1f req/s)\n"
    "  errors %lu: %lu non-2xx, %lu resets, %lu timeouts (> %d ms), %lu connect errors; %lu reconnects\n"
    "  latency from the scheduled time: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms\n"
    "  latency from the actual write:   p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms\n"
    "  client's own lateness (slot handled - scheduled): p99 %.2f  max %.2f ms\n"
    "  write lag (write - scheduled, incl. waiting for the previous answer): p99 %.2f  max %.2f ms\n"
    "  client CPU %.2f s (%.1f us/request)\n",
    o_conns, o_host, o_port, o_path, rate, rate / o_conns, connect_s, o_duration, o_warmup, (unsigned long)scheduled,
    (unsigned long)n_sent_meas, (unsigned long)n_ok, n_ok / o_duration, (unsigned long)errors, (unsigned long)n_status,
    (unsigned long)n_resets, (unsigned long)n_timeouts, o_timeout_ms, (unsigned long)n_connect_err, (unsigned long)n_reconnects,
    pct_ms(&lat_sched, 50), pct_ms(&lat_sched, 90), pct_ms(&lat_sched, 99), pct_ms(&lat_sched, 99.9), pct_ms(&lat_sched, 100),
    pct_ms(&lat_sent, 50), pct_ms(&lat_sent, 90), pct_ms(&lat_sent, 99), pct_ms(&lat_sent, 99.9), pct_ms(&lat_sent, 100),
    pct_ms(&tick, 99), pct_ms(&tick, 100), pct_ms(&lag, 99), pct_ms(&lag, 100), cpu, n_sent_meas ? cpu * 1e6 / n_sent_meas : 0);
  /* the timeline: when the slow answers were scheduled (UTC), to set beside a GC log or other events */
  for (int t = 0; t < tl_len; t++) {
    if (!tl_n[t]) continue;
    time_t ws = (time_t)(warm_end_wall + t);
    struct tm tm; gmtime_r(&ws, &tm);
    char hms[16]; strftime(hms, sizeof hms, "%H:%M:%S", &tm);
    fprintf(stderr, "  second %3d (%s.%03d UTC): %5lu answers, %5lu over %.0f ms, max %8.2f ms\n", t, hms,
            (int)((warm_end_wall - (double)(time_t)warm_end_wall) * 1000), (unsigned long)tl_n[t], (unsigned long)tl_slow[t],
            o_slow_ms, tl_max[t] / 1e6);
  }
  (void)n_timeouts_all; (void)n_resets_all; (void)n_status_all;
  return 0;
}
