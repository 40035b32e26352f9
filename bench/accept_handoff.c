/* TCP accept + hand-off: the main loop accepts connections on 127.0.0.1 and passes each one,
 * round-robin, to one of W worker threads (each running its own loop) over an IPC pipe made
 * with uv_socketpair (uv_write2 with a send_handle). The worker uv_accepts it from the pipe,
 * writes one byte and closes it. A client thread (its own loop) keeps K connections in
 * flight: connect, read the byte, check it, close, until N have completed. Reports
 * connections per second.
 *
 *   accept_handoff W [connections=20000] [concurrency=50] */
#include "bench.h"
#include <sys/socket.h>

#define MAX_WORKERS 64

typedef struct {
  uv_thread_t thread;
  uv_loop_t loop;
  uv_pipe_t ipc;     /* worker end, in the worker's loop */
  uv_pipe_t channel; /* acceptor end, in the main loop */
  uv_os_sock_t fds[2];
  long served;
} worker_t;

typedef struct {
  uv_write_t req;
  uv_tcp_t tcp;
} handoff_t;

typedef struct {
  uv_write_t req;
  uv_tcp_t tcp;
} served_t;

static worker_t workers[MAX_WORKERS];
static int nworkers, next_worker;
static long accepted;
static uv_loop_t main_loop;
static uv_tcp_t listener;
static uv_async_t stop_async;
static struct sockaddr_storage server_addr;

static long total, concurrency, started, completed;
static uv_loop_t client_loop;
static uint64_t t0, t1;

/* ---- workers ---- */

static void ipc_alloc(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  static __thread char b[64];
  (void) h;
  (void) size;
  *buf = uv_buf_init(b, sizeof(b));
}

static void served_closed(uv_handle_t* h) {
  free(h->data);
}

static void served_written(uv_write_t* req, int status) {
  served_t* s = (served_t*) req;
  UVOK(status);
  s->tcp.data = s;
  uv_close((uv_handle_t*) &s->tcp, served_closed);
}

static void ipc_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  uv_pipe_t* ipc = (uv_pipe_t*) stream;
  worker_t* w = (worker_t*) stream->data;
  static char byte[] = "w";
  (void) buf;
  if (nread == UV_EOF) {
    uv_close((uv_handle_t*) stream, NULL);
    return;
  }
  UVOK(nread);
  while (uv_pipe_pending_count(ipc) > 0) {
    served_t* s = malloc(sizeof(*s));
    uv_buf_t b = uv_buf_init(byte, 1);
    CHECK(s != NULL);
    CHECK(uv_pipe_pending_type(ipc) == UV_TCP);
    UVOK(uv_tcp_init(&w->loop, &s->tcp));
    UVOK(uv_accept(stream, (uv_stream_t*) &s->tcp));
    UVOK(uv_write(&s->req, (uv_stream_t*) &s->tcp, &b, 1, served_written));
    w->served++;
  }
}

static void worker_main(void* arg) {
  worker_t* w = (worker_t*) arg;
  UVOK(uv_run(&w->loop, UV_RUN_DEFAULT));
  UVOK(uv_loop_close(&w->loop));
}

/* ---- acceptor (main loop) ---- */

static void handoff_closed(uv_handle_t* h) {
  free(h->data);
}

static void handoff_written(uv_write_t* req, int status) {
  handoff_t* h = (handoff_t*) req;
  UVOK(status);
  h->tcp.data = h;
  uv_close((uv_handle_t*) &h->tcp, handoff_closed); /* the worker owns the socket now */
}

static void on_connection(uv_stream_t* server, int status) {
  static char tag[] = "c";
  handoff_t* h = malloc(sizeof(*h));
  uv_buf_t b = uv_buf_init(tag, 1);
  worker_t* w = &workers[next_worker];
  UVOK(status);
  CHECK(h != NULL);
  next_worker = (next_worker + 1) % nworkers;
  UVOK(uv_tcp_init(&main_loop, &h->tcp));
  UVOK(uv_accept(server, (uv_stream_t*) &h->tcp));
  UVOK(uv_write2(&h->req, (uv_stream_t*) &w->channel, &b, 1, (uv_stream_t*) &h->tcp,
                 handoff_written));
  accepted++;
}

static void stop_cb(uv_async_t* a) {
  int i;
  uv_close((uv_handle_t*) a, NULL);
  uv_close((uv_handle_t*) &listener, NULL);
  for (i = 0; i < nworkers; i++)
    uv_close((uv_handle_t*) &workers[i].channel, NULL); /* the workers see EOF and exit */
}

/* ---- client thread ---- */

static void client_start(void);

static void client_closed(uv_handle_t* h) {
  free(h);
  if (++completed == total) {
    t1 = uv_hrtime();
    UVOK(uv_async_send(&stop_async));
  } else if (started < total) {
    client_start();
  }
}

static void client_alloc(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  static char b[64];
  (void) h;
  (void) size;
  *buf = uv_buf_init(b, sizeof(b));
}

static void client_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread == 0)
    return;
  UVOK(nread);
  CHECK(nread == 1 && buf->base[0] == 'w');
  uv_close((uv_handle_t*) s, client_closed);
}

static void client_connected(uv_connect_t* req, int status) {
  UVOK(status);
  UVOK(uv_read_start(req->handle, client_alloc, client_read));
  free(req);
}

static void client_start(void) {
  uv_tcp_t* t = malloc(sizeof(*t));
  uv_connect_t* req = malloc(sizeof(*req));
  CHECK(t != NULL && req != NULL);
  started++;
  UVOK(uv_tcp_init(&client_loop, t));
  UVOK(uv_tcp_connect(req, t, (const struct sockaddr*) &server_addr, client_connected));
}

static void client_main(void* arg) {
  long i;
  (void) arg;
  UVOK(uv_loop_init(&client_loop));
  t0 = uv_hrtime();
  for (i = 0; i < concurrency && i < total; i++)
    client_start();
  UVOK(uv_run(&client_loop, UV_RUN_DEFAULT));
  UVOK(uv_loop_close(&client_loop));
}

int main(int argc, char** argv) {
  struct sockaddr_in addr;
  int len = sizeof(server_addr);
  uv_thread_t client;
  long served = 0;
  int i;

  bench_identify();
  nworkers = (int) bench_arg(argc, argv, 1, 4);
  total = bench_arg(argc, argv, 2, 20000);
  concurrency = bench_arg(argc, argv, 3, 50);
  CHECK(nworkers <= MAX_WORKERS);

  UVOK(uv_loop_init(&main_loop));
  for (i = 0; i < nworkers; i++) {
    worker_t* w = &workers[i];
    UVOK(uv_socketpair(SOCK_STREAM, 0, w->fds, 0, 0));
    UVOK(uv_loop_init(&w->loop));
    UVOK(uv_pipe_init(&w->loop, &w->ipc, 1));
    UVOK(uv_pipe_open(&w->ipc, w->fds[1]));
    w->ipc.data = w;
    UVOK(uv_read_start((uv_stream_t*) &w->ipc, ipc_alloc, ipc_read));
    UVOK(uv_pipe_init(&main_loop, &w->channel, 1));
    UVOK(uv_pipe_open(&w->channel, w->fds[0]));
    UVOK(uv_thread_create(&w->thread, worker_main, w));
  }
  UVOK(uv_ip4_addr("127.0.0.1", 0, &addr));
  UVOK(uv_tcp_init(&main_loop, &listener));
  UVOK(uv_tcp_bind(&listener, (const struct sockaddr*) &addr, 0));
  UVOK(uv_tcp_getsockname(&listener, (struct sockaddr*) &server_addr, &len));
  UVOK(uv_listen((uv_stream_t*) &listener, 1024, on_connection));
  UVOK(uv_async_init(&main_loop, &stop_async, stop_cb));

  UVOK(uv_thread_create(&client, client_main, NULL));
  UVOK(uv_run(&main_loop, UV_RUN_DEFAULT));
  UVOK(uv_thread_join(&client));
  for (i = 0; i < nworkers; i++) {
    UVOK(uv_thread_join(&workers[i].thread));
    served += workers[i].served;
  }
  CHECK(completed == total);
  CHECK(accepted == total);
  CHECK(served == total);
  UVOK(uv_loop_close(&main_loop));
  bench_result("accept_handoff", total / bench_seconds(t0, t1), "conns/s", 1);
  return 0;
}
