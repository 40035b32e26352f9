/* A load client for the echo servers: opens N concurrent connections (TCP or Unix socket),
 * sends B bytes of a pattern on each, reads everything back, checks every byte.
 *
 *   echo_client tcp 127.0.0.1 PORT [connections] [bytes]
 *   echo_client unix PATH [connections] [bytes]
 *
 * Exits 0 only if every connection got back exactly what it sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct {
  union { uv_tcp_t tcp; uv_pipe_t pipe; } h;
  uv_connect_t connect_req;
  uv_write_t write_req;
  char* out;
  size_t received;
  int id;
  int ok;
} conn_t;

static size_t bytes_per_conn = 64 * 1024;
static int nconns = 100;
static int done_conns, good_conns, failed_conns;
static size_t total_echoed;

static char pattern_byte(int id, size_t i) { return (char) ('a' + (id * 7 + i) % 26); }

static void on_close(uv_handle_t* h) {
  conn_t* c = (conn_t*) h->data;
  free(c->out);
  if (c->ok) good_conns++; else failed_conns++;
  done_conns++;
  free(c);
}

static void finish(conn_t* c, int ok) {
  c->ok = ok;
  if (!uv_is_closing((uv_handle_t*) &c->h))
    uv_close((uv_handle_t*) &c->h, on_close);
}

static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void) h;
  buf->base = (char*) malloc(suggested);
  buf->len = suggested;
}

static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  conn_t* c = (conn_t*) s->data;
  ssize_t i;
  if (nread > 0) {
    for (i = 0; i < nread; i++) {
      if (c->received + i >= bytes_per_conn || buf->base[i] != pattern_byte(c->id, c->received + i)) {
        fprintf(stderr, "connection %d: wrong byte at %zu\n", c->id, c->received + (size_t) i);
        free(buf->base);
        finish(c, 0);
        return;
      }
    }
    c->received += nread;
    total_echoed += nread;
    if (c->received == bytes_per_conn) {
      free(buf->base);
      finish(c, 1);
      return;
    }
  } else if (nread < 0) {
    fprintf(stderr, "connection %d: %s after %zu bytes\n", c->id, uv_err_name((int) nread), c->received);
    free(buf->base);
    finish(c, 0);
    return;
  }
  free(buf->base);
}

static void on_write(uv_write_t* req, int status) {
  conn_t* c = (conn_t*) req->data;
  if (status != 0) {
    fprintf(stderr, "connection %d: write failed: %s\n", c->id, uv_strerror(status));
    finish(c, 0);
  }
}

static void on_connect(uv_connect_t* req, int status) {
  conn_t* c = (conn_t*) req->data;
  uv_buf_t buf;
  if (status != 0) {
    fprintf(stderr, "connection %d: connect failed: %s\n", c->id, uv_strerror(status));
    finish(c, 0);
    return;
  }
  buf = uv_buf_init(c->out, (unsigned int) bytes_per_conn);
  c->write_req.data = c;
  uv_write(&c->write_req, (uv_stream_t*) &c->h, &buf, 1, on_write);
  uv_read_start((uv_stream_t*) &c->h, on_alloc, on_read);
}

int main(int argc, char** argv) {
  uv_loop_t* loop = uv_default_loop();
  struct sockaddr_in addr;
  int unix_socket, i, argi;
  uint64_t start;
  double secs;

  if (argc < 3) {
    fprintf(stderr, "usage: %s tcp HOST PORT [connections] [bytes] | unix PATH [connections] [bytes]\n", argv[0]);
    return 2;
  }
  unix_socket = strcmp(argv[1], "unix") == 0;
  argi = unix_socket ? 3 : 4;
  if (!unix_socket && uv_ip4_addr(argv[2], atoi(argv[3]), &addr) != 0) {
    fprintf(stderr, "bad address\n");
    return 2;
  }
  if (argc > argi) nconns = atoi(argv[argi]);
  if (argc > argi + 1) bytes_per_conn = (size_t) atol(argv[argi + 1]);

  start = uv_hrtime();
  for (i = 0; i < nconns; i++) {
    conn_t* c = (conn_t*) calloc(1, sizeof(*c));
    size_t j;
    c->id = i;
    c->out = (char*) malloc(bytes_per_conn);
    for (j = 0; j < bytes_per_conn; j++) c->out[j] = pattern_byte(i, j);
    c->connect_req.data = c;
    c->h.tcp.data = c;
    if (unix_socket) {
      uv_pipe_init(loop, &c->h.pipe, 0);
      c->h.pipe.data = c;
      /* A leading '@' names Linux's abstract namespace (a leading NUL byte). */
      char name[256];
      size_t len = strlen(argv[2]);
      if (len >= sizeof(name)) return 2;
      memcpy(name, argv[2], len);
      if (name[0] == '@') name[0] = '\0';
      uv_pipe_connect2(&c->connect_req, &c->h.pipe, name, len, UV_PIPE_NO_TRUNCATE, on_connect);
    } else {
      uv_tcp_init(loop, &c->h.tcp);
      c->h.tcp.data = c;
      uv_tcp_connect(&c->connect_req, &c->h.tcp, (const struct sockaddr*) &addr, on_connect);
    }
  }
  uv_run(loop, UV_RUN_DEFAULT);
  secs = (uv_hrtime() - start) / 1e9;
  printf("client: %d connections, %d verified, %d failed, %zu bytes echoed in %.2fs\n",
         done_conns, good_conns, failed_conns, total_echoed, secs);
  uv_loop_close(loop);
  return (good_conns == nconns && failed_conns == 0) ? 0 : 1;
}
