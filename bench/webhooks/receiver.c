/*
 * receiver: the webhook receiver of bench/webhooks/run, lean (one thread, epoll), so that the
 * harness takes as little as possible of the cores it shares with the node and Postgres.
 *
 *   gcc -O2 -o receiver bench/webhooks/receiver.c
 *   ./receiver PORT OUT       (listens on 127.0.0.1:PORT only)
 *
 * Answers every request 200 at once (HTTP/1.1, kept-alive; requests with a Content-Length body,
 * pipelined ones in order) and appends "<task id> <receipt epoch ms> <webhook-id>" per call to OUT
 * (opened O_APPEND, so the bench may truncate it between phases), as bench/webhooks/receiver.js
 * did: the task id is the "id" of the body's "data" object, "unparsable" when there is none. The
 * lines of one epoll round are written (one write) before any of that round's answers leaves, so
 * a delivery recorded as succeeded is always in OUT.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEAD 16384
#define MAX_BODY (8 << 20)

typedef struct conn {
  int fd;
  char *in;           /* bytes read, not yet handled */
  size_t len, cap;
  char *out;          /* answers not yet written */
  size_t olen, ocap;
  int dirty;          /* answers added this round */
  int closing;        /* close once the answers are written */
  int gone;           /* closed: freed at the end of the round */
  struct conn *next_dirty;
} conn_t;

static const char OK[] = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
static const char BAD[] = "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

static int ep, log_fd;
static char *lines;       /* this round's log lines */
static size_t lines_len, lines_cap;
static conn_t *dirty;     /* connections with answers added this round */

static void *grow(void *p, size_t *cap, size_t need) {
  if (need <= *cap) return p;
  size_t c = *cap ? *cap : 4096;
  while (c < need) c *= 2;
  p = realloc(p, c);
  if (!p) { perror("realloc"); exit(1); }
  *cap = c;
  return p;
}

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n) {
  *buf = grow(*buf, cap, *len + n);
  memcpy(*buf + *len, s, n);
  *len += n;
}

static int64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The value of header NAME (case-insensitive) in the head [h, end), or NULL; its length in *n. */
static const char *header(const char *h, const char *end, const char *name, size_t *n) {
  size_t nl = strlen(name);
  for (const char *p = h; p < end;) {
    const char *eol = memmem(p, end - p, "\r\n", 2);
    if (!eol) eol = end;
    if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
      const char *v = p + nl + 1;
      while (v < eol && (*v == ' ' || *v == '\t')) v++;
      const char *e = eol;
      while (e > v && (e[-1] == ' ' || e[-1] == '\t')) e--;
      *n = e - v;
      return v;
    }
    p = eol + 2;
  }
  return NULL;
}

/* The task id in BODY: the first "id" string after "data"; NULL when there is none. */
static const char *task_id(const char *body, size_t len, size_t *n) {
  const char *d = memmem(body, len, "\"data\"", 6);
  if (!d) return NULL;
  const char *end = body + len;
  const char *k = memmem(d, end - d, "\"id\"", 4);
  if (!k) return NULL;
  const char *p = k + 4;
  while (p < end && (*p == ' ' || *p == ':' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  if (p >= end || *p != '"') return NULL;
  const char *s = ++p;
  while (p < end && *p != '"' && *p != '\\') p++;
  if (p >= end || *p != '"') return NULL;
  *n = p - s;
  return s;
}

static void answer(conn_t *c, const char *s, size_t n) {
  append(&c->out, &c->olen, &c->ocap, s, n);
  if (!c->dirty) {
    c->dirty = 1;
    c->next_dirty = dirty;
    dirty = c;
  }
}

static void record(const char *head, size_t head_len, const char *body, size_t body_len) {
  char line[512];
  size_t idn = 0, widn = 0;
  const char *id = task_id(body, body_len, &idn);
  const char *wid = header(head, head + head_len, "webhook-id", &widn);
  int n = snprintf(line, sizeof line, "%.*s %lld %.*s\n", id && idn < 200 ? (int)idn : 10,
                   id && idn < 200 ? id : "unparsable", (long long)now_ms(), wid && widn < 200 ? (int)widn : 1,
                   wid && widn < 200 ? wid : "-");
  append(&lines, &lines_len, &lines_cap, line, (size_t)n);
}

/* Handles every complete request in c->in; 0, or -1 when the connection is to be closed after its answers. */
static int handle(conn_t *c) {
  size_t off = 0;
  while (off < c->len) {
    const char *start = c->in + off;
    const char *eoh = memmem(start, c->len - off, "\r\n\r\n", 4);
    if (!eoh) {
      if (c->len - off > MAX_HEAD) { answer(c, BAD, sizeof BAD - 1); return -1; }
      break;
    }
    size_t head_len = eoh - start, n = 0;
    const char *te = header(start, eoh, "transfer-encoding", &n);
    if (te) { answer(c, BAD, sizeof BAD - 1); record(start, head_len, "", 0); return -1; } /* only Content-Length */
    const char *cl = header(start, eoh, "content-length", &n);
    long body_len = cl ? strtol(cl, NULL, 10) : 0;
    if (body_len < 0 || body_len > MAX_BODY) { answer(c, BAD, sizeof BAD - 1); return -1; }
    size_t total = head_len + 4 + (size_t)body_len;
    if (c->len - off < total) break;
    record(start, head_len, eoh + 4, (size_t)body_len);
    answer(c, OK, sizeof OK - 1);
    off += total;
  }
  memmove(c->in, c->in + off, c->len - off);
  c->len -= off;
  return 0;
}

static void drop(conn_t *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1; /* freed once no list holds it: see main */
}

/* Writes what it can of c's answers; waits for EPOLLOUT when the socket is full. */
static void flush(conn_t *c) {
  size_t off = 0;
  while (off < c->olen) {
    ssize_t w = write(c->fd, c->out + off, c->olen - off);
    if (w > 0) { off += (size_t)w; continue; }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) break;
    drop(c);
    return;
  }
  memmove(c->out, c->out + off, c->olen - off);
  c->olen -= off;
  struct epoll_event e = {.events = EPOLLIN | (c->olen ? EPOLLOUT : 0), .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
  if (!c->olen && c->closing) drop(c);
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: receiver PORT OUT\n"); return 2; }
  signal(SIGPIPE, SIG_IGN);
  log_fd = open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (log_fd < 0) { perror(argv[2]); return 1; }
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1024)) { perror("bind/listen"); return 1; }
  ep = epoll_create1(0);
  struct epoll_event le = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &le);
  struct epoll_event ev[256];
  conn_t *gone[512]; /* at most one per event and one per connection answered, each listed once */
  for (;;) {
    int n = epoll_wait(ep, ev, 256, -1);
    if (n < 0) { if (errno == EINTR) continue; perror("epoll_wait"); return 1; }
    int ngone = 0;
#define GONE(c) do { if (!(c)->gone) { (c)->gone = 1; gone[ngone++] = (c); } } while (0)
    for (int i = 0; i < n; i++) {
      conn_t *c = ev[i].data.ptr;
      if (!c) {
        int fd;
        while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          conn_t *nc = calloc(1, sizeof *nc);
          nc->fd = fd;
          struct epoll_event e = {.events = EPOLLIN, .data.ptr = nc};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        }
        continue;
      }
      if (c->fd < 0) continue;
      if (ev[i].events & EPOLLOUT) flush(c);
      if (c->fd < 0) { GONE(c); continue; }
      if (!(ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      int eof = 0;
      for (;;) {
        c->in = grow(c->in, &c->cap, c->len + 65536);
        size_t room = c->cap - c->len;
        ssize_t r = read(c->fd, c->in + c->len, room);
        if (r > 0) { c->len += (size_t)r; if ((size_t)r < room) break; continue; }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) break;
        eof = 1;
        break;
      }
      if (handle(c) < 0 || eof) c->closing = 1;
      if (c->closing && !c->dirty) { drop(c); GONE(c); }
    }
    /* this round's lines first, then its answers */
    for (size_t off = 0; off < lines_len;) {
      ssize_t w = write(log_fd, lines + off, lines_len - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) { perror("write log"); return 1; }
      off += (size_t)w;
    }
    lines_len = 0;
    for (conn_t *c = dirty, *next; c; c = next) {
      next = c->next_dirty;
      c->dirty = 0;
      c->next_dirty = NULL;
      if (c->fd >= 0) flush(c);
      if (c->fd < 0) GONE(c);
    }
    dirty = NULL;
    for (int i = 0; i < ngone; i++) {
      free(gone[i]->in);
      free(gone[i]->out);
      free(gone[i]);
    }
  }
}
