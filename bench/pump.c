/* Pump throughput: C client connections in the main loop each write their share of M
 * megabytes as fast as they can (64 KiB writes, up to 4 in flight per connection) to a sink
 * server running its own loop in a second thread, which reads and counts every byte. Over
 * TCP on 127.0.0.1 or over a Unix domain socket (pipe). Reports MB/s (10^6 bytes), from the
 * first connect until the sink has counted the last byte.
 *
 *   pump tcp|pipe C [megabytes=2000] */
#include "bench.h"
#include <unistd.h>

#define CHUNK 65536
#define DEPTH 4

typedef struct {
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h;
  uv_connect_t connect;
  uv_shutdown_t shutdown;
  uv_write_t writes[DEPTH];
  char busy[DEPTH];
  uint64_t to_send; /* bytes not yet queued */
  int in_flight;
} conn_t;

static int use_pipe, nconns;
static uint64_t total_bytes;
static char chunk[CHUNK];
static char pipe_path[128];
static struct sockaddr_storage server_addr;

/* sink side (second thread) */
static uv_loop_t sink_loop;
static union {
  uv_tcp_t tcp;
  uv_pipe_t pipe;
} listener;
static uv_sem_t sink_ready;
static uint64_t received, t_last_byte;
static int sink_closed;
static char sink_buf[CHUNK];

static void sink_alloc(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  (void) h;
  (void) size;
  *buf = uv_buf_init(sink_buf, sizeof(sink_buf));
}

static void sink_closed_cb(uv_handle_t* h) {
  free(h);
  if (++sink_closed == nconns)
    uv_close((uv_handle_t*) &listener, NULL);
}

static void sink_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  (void) buf;
  if (nread == UV_EOF) {
    uv_close((uv_handle_t*) s, sink_closed_cb);
    return;
  }
  UVOK(nread);
  received += nread;
  if (received == total_bytes)
    t_last_byte = uv_hrtime();
}

static void sink_connection(uv_stream_t* server, int status) {
  uv_stream_t* s;
  UVOK(status);
  if (use_pipe) {
    s = malloc(sizeof(uv_pipe_t));
    CHECK(s != NULL);
    UVOK(uv_pipe_init(&sink_loop, (uv_pipe_t*) s, 0));
  } else {
    s = malloc(sizeof(uv_tcp_t));
    CHECK(s != NULL);
    UVOK(uv_tcp_init(&sink_loop, (uv_tcp_t*) s));
  }
  UVOK(uv_accept(server, s));
  UVOK(uv_read_start(s, sink_alloc, sink_read));
}

static void sink_thread(void* arg) {
  (void) arg;
  UVOK(uv_loop_init(&sink_loop));
  if (use_pipe) {
    UVOK(uv_pipe_init(&sink_loop, &listener.pipe, 0));
    UVOK(uv_pipe_bind(&listener.pipe, pipe_path));
  } else {
    struct sockaddr_in addr;
    int len = sizeof(server_addr);
    UVOK(uv_ip4_addr("127.0.0.1", 0, &addr));
    UVOK(uv_tcp_init(&sink_loop, &listener.tcp));
    UVOK(uv_tcp_bind(&listener.tcp, (const struct sockaddr*) &addr, 0));
    UVOK(uv_tcp_getsockname(&listener.tcp, (struct sockaddr*) &server_addr, &len));
  }
  UVOK(uv_listen((uv_stream_t*) &listener, 1024, sink_connection));
  uv_sem_post(&sink_ready);
  UVOK(uv_run(&sink_loop, UV_RUN_DEFAULT));
  UVOK(uv_loop_close(&sink_loop));
}

/* client side (main thread) */
static void pump(conn_t* c);

static void client_closed(uv_handle_t* h) {
  (void) h;
}

static void shutdown_done(uv_shutdown_t* req, int status) {
  UVOK(status);
  uv_close((uv_handle_t*) req->handle, client_closed);
}

static void written(uv_write_t* req, int status) {
  conn_t* c = (conn_t*) req->data;
  UVOK(status);
  c->busy[req - c->writes] = 0;
  c->in_flight--;
  pump(c);
}

static void pump(conn_t* c) {
  int i = 0;
  while (c->in_flight < DEPTH && c->to_send > 0) {
    uint64_t n = c->to_send < CHUNK ? c->to_send : CHUNK;
    uv_buf_t b = uv_buf_init(chunk, (unsigned) n);
    while (c->busy[i])
      i++;
    c->busy[i] = 1;
    c->writes[i].data = c;
    c->in_flight++;
    c->to_send -= n;
    UVOK(uv_write(&c->writes[i], (uv_stream_t*) &c->h, &b, 1, written));
  }
  if (c->in_flight == 0 && c->to_send == 0)
    UVOK(uv_shutdown(&c->shutdown, (uv_stream_t*) &c->h, shutdown_done));
}

static void connected(uv_connect_t* req, int status) {
  UVOK(status);
  pump((conn_t*) req->data);
}

int main(int argc, char** argv) {
  uv_loop_t loop;
  uv_thread_t sink;
  conn_t* conns;
  uint64_t t0;
  int i;

  bench_identify();
  CHECK(argc >= 3);
  CHECK(strcmp(argv[1], "tcp") == 0 || strcmp(argv[1], "pipe") == 0);
  use_pipe = strcmp(argv[1], "pipe") == 0;
  nconns = (int) bench_arg(argc, argv, 2, 1);
  total_bytes = (uint64_t) bench_arg(argc, argv, 3, 2000) * 1000000;
  memset(chunk, 'x', sizeof(chunk));
  snprintf(pipe_path, sizeof(pipe_path), "/tmp/rsuv-bench-pump-%d.sock", (int) getpid());
  unlink(pipe_path);

  UVOK(uv_sem_init(&sink_ready, 0));
  UVOK(uv_thread_create(&sink, sink_thread, NULL));
  uv_sem_wait(&sink_ready);

  conns = calloc(nconns, sizeof(*conns));
  CHECK(conns != NULL);
  UVOK(uv_loop_init(&loop));
  t0 = uv_hrtime();
  for (i = 0; i < nconns; i++) {
    conn_t* c = &conns[i];
    c->to_send = total_bytes / nconns + (i == 0 ? total_bytes % nconns : 0);
    c->connect.data = c;
    if (use_pipe) {
      UVOK(uv_pipe_init(&loop, &c->h.pipe, 0));
      uv_pipe_connect(&c->connect, &c->h.pipe, pipe_path, connected);
    } else {
      UVOK(uv_tcp_init(&loop, &c->h.tcp));
      UVOK(uv_tcp_connect(&c->connect, &c->h.tcp, (const struct sockaddr*) &server_addr,
                          connected));
    }
  }
  UVOK(uv_run(&loop, UV_RUN_DEFAULT));
  UVOK(uv_thread_join(&sink));
  CHECK(received == total_bytes);
  UVOK(uv_loop_close(&loop));
  uv_sem_destroy(&sink_ready);
  unlink(pipe_path);
  free(conns);
  bench_result(use_pipe ? "pipe_pump" : "tcp_pump",
               total_bytes / 1e6 / bench_seconds(t0, t_last_byte), "MB/s", 1);
  return 0;
}
