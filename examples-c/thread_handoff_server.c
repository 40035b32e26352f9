/* Accept on one loop, serve on others: the main loop accepts TCP connections and hands each
 * one, round-robin, to one of N worker threads (each running its own loop) by writing the
 * socket over an IPC pipe made with uv_socketpair (uv_write2). A worker takes it with
 * uv_accept after checking uv_pipe_pending_count/uv_pipe_pending_type, then echoes.
 *
 *   thread_handoff_server PORT [workers=4] [connections=0 (forever)]
 *
 * With a connection limit the server stops accepting after that many, lets the workers
 * finish, prints how many connections and bytes each worker served, and exits. */
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#define MAX_WORKERS 64

typedef struct {
  int index;
  uv_thread_t thread;
  uv_loop_t loop;
  uv_pipe_t ipc;             /* the worker's end: connections arrive here */
  int served;
  size_t bytes;
  int fd;                    /* the socketpair end given to the worker */
} worker_t;

typedef struct {
  uv_pipe_t pipe;            /* the main loop's end of one worker's IPC channel */
  worker_t* worker;
} channel_t;

typedef struct {
  uv_write_t req;
  uv_tcp_t* client;          /* closed once its socket has been sent */
} handoff_t;

static worker_t workers[MAX_WORKERS];
static channel_t channels[MAX_WORKERS];
static int nworkers = 4;
static int max_connections;  /* 0: forever */
static int accepted, handed_off;
static uv_tcp_t server;

/* ---- worker side ---- */

static void echo_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void) h;
  buf->base = (char*) malloc(suggested);
  buf->len = suggested;
}

typedef struct { uv_write_t req; uv_buf_t buf; } echo_write_t;

static void echo_written(uv_write_t* req, int status) {
  echo_write_t* w = (echo_write_t*) req;
  (void) status;
  free(w->buf.base);
  free(w);
}

static void free_handle(uv_handle_t* h) { free(h); }

static void echo_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  worker_t* w = (worker_t*) s->data;
  if (nread > 0) {
    echo_write_t* req = (echo_write_t*) malloc(sizeof(*req));
    req->buf = uv_buf_init(buf->base, (unsigned int) nread);
    w->bytes += (size_t) nread;
    if (uv_write(&req->req, s, &req->buf, 1, echo_written) != 0) {
      free(buf->base);
      free(req);
    }
    return;
  }
  free(buf->base);
  if (nread < 0)
    uv_close((uv_handle_t*) s, free_handle);
}

static void ipc_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  static char scratch[64];
  (void) h; (void) suggested;
  buf->base = scratch;
  buf->len = sizeof(scratch);
}

static void ipc_read(uv_stream_t* pipe, ssize_t nread, const uv_buf_t* buf) {
  worker_t* w = (worker_t*) pipe->data;
  (void) buf;
  if (nread < 0) {
    /* The main loop closed its end: no more connections will come. */
    uv_close((uv_handle_t*) pipe, NULL);
    return;
  }
  while (uv_pipe_pending_count((uv_pipe_t*) pipe) > 0) {
    uv_tcp_t* client;
    if (uv_pipe_pending_type((uv_pipe_t*) pipe) != UV_TCP) {
      fprintf(stderr, "worker %d: unexpected handle type\n", w->index);
      return;
    }
    client = (uv_tcp_t*) malloc(sizeof(*client));
    uv_tcp_init(&w->loop, client);
    client->data = w;
    if (uv_accept(pipe, (uv_stream_t*) client) != 0) {
      uv_close((uv_handle_t*) client, free_handle);
      continue;
    }
    w->served++;
    uv_read_start((uv_stream_t*) client, echo_alloc, echo_read);
  }
}

static void worker_main(void* arg) {
  worker_t* w = (worker_t*) arg;
  uv_pipe_init(&w->loop, &w->ipc, 1);
  w->ipc.data = w;
  uv_pipe_open(&w->ipc, w->fd);
  uv_read_start((uv_stream_t*) &w->ipc, ipc_alloc, ipc_read);
  uv_run(&w->loop, UV_RUN_DEFAULT);
}

/* ---- main (accepting) side ---- */

static void close_channels(void) {
  int i;
  for (i = 0; i < nworkers; i++)
    if (!uv_is_closing((uv_handle_t*) &channels[i].pipe))
      uv_close((uv_handle_t*) &channels[i].pipe, NULL);
}

static void handoff_done(uv_write_t* req, int status) {
  handoff_t* h = (handoff_t*) req;
  if (status != 0)
    fprintf(stderr, "hand-off failed: %s\n", uv_strerror(status));
  /* The worker owns a duplicate of the socket now; ours can go. */
  uv_close((uv_handle_t*) h->client, free_handle);
  free(h);
  handed_off++;
  if (max_connections && handed_off == max_connections)
    close_channels();
}

static void on_connection(uv_stream_t* srv, int status) {
  static char token = 'c';
  channel_t* ch;
  handoff_t* h;
  uv_buf_t buf;
  uv_tcp_t* client;

  if (status != 0) {
    fprintf(stderr, "accept: %s\n", uv_strerror(status));
    return;
  }
  client = (uv_tcp_t*) malloc(sizeof(*client));
  uv_tcp_init(srv->loop, client);
  if (uv_accept(srv, (uv_stream_t*) client) != 0) {
    uv_close((uv_handle_t*) client, free_handle);
    return;
  }
  ch = &channels[accepted % nworkers];
  accepted++;
  h = (handoff_t*) malloc(sizeof(*h));
  h->client = client;
  buf = uv_buf_init(&token, 1);
  uv_write2(&h->req, (uv_stream_t*) &ch->pipe, &buf, 1, (uv_stream_t*) client, handoff_done);
  if (max_connections && accepted == max_connections)
    uv_close((uv_handle_t*) &server, NULL);
}

int main(int argc, char** argv) {
  uv_loop_t* loop = uv_default_loop();
  struct sockaddr_in addr;
  int i, total = 0, err;
  size_t bytes = 0;

  if (argc < 2) {
    fprintf(stderr, "usage: %s PORT [workers] [connections]\n", argv[0]);
    return 2;
  }
  if (argc > 2) nworkers = atoi(argv[2]);
  if (nworkers < 1 || nworkers > MAX_WORKERS) nworkers = 4;
  if (argc > 3) max_connections = atoi(argv[3]);

  for (i = 0; i < nworkers; i++) {
    uv_os_sock_t fds[2];
    worker_t* w = &workers[i];
    w->index = i;
    if ((err = uv_socketpair(SOCK_STREAM, 0, fds, 0, 0)) != 0) {
      fprintf(stderr, "socketpair: %s\n", uv_strerror(err));
      return 1;
    }
    uv_loop_init(&w->loop);
    w->fd = fds[1];
    channels[i].worker = w;
    uv_pipe_init(loop, &channels[i].pipe, 1);
    uv_pipe_open(&channels[i].pipe, fds[0]);
    uv_thread_create(&w->thread, worker_main, w);
  }

  uv_ip4_addr("127.0.0.1", atoi(argv[1]), &addr);
  uv_tcp_init(loop, &server);
  if ((err = uv_tcp_bind(&server, (const struct sockaddr*) &addr, 0)) != 0 ||
      (err = uv_listen((uv_stream_t*) &server, 511, on_connection)) != 0) {
    fprintf(stderr, "listen on port %s: %s\n", argv[1], uv_strerror(err));
    return 1;
  }
  printf("handoff server: port %s, %d workers\n", argv[1], nworkers);
  fflush(stdout);
  uv_run(loop, UV_RUN_DEFAULT);

  for (i = 0; i < nworkers; i++) {
    uv_thread_join(&workers[i].thread);
    uv_loop_close(&workers[i].loop);
    printf("  worker %d served %d connections, echoed %zu bytes\n",
           i, workers[i].served, workers[i].bytes);
    total += workers[i].served;
    bytes += workers[i].bytes;
  }
  printf("handoff server: %d connections accepted, %d served by workers, %zu bytes echoed\n",
         accepted, total, bytes);
  uv_loop_close(loop);
  return total == accepted ? 0 : 1;
}
