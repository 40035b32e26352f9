/* N threads, each with its own loop, each listening on the same port with
 * UV_TCP_REUSEPORT: the kernel spreads incoming connections over them.
 *
 *   reuseport_server PORT [threads=4] [connections=0 (forever)]
 *
 * With a limit, the thread that finishes the last connection tells every loop to stop
 * (through each loop's async handle), then each thread's count is printed. */
#include <stdio.h>
#include "echo.h"

#define MAX_THREADS 64

typedef struct {
  int index;
  uv_thread_t thread;
  uv_loop_t loop;
  uv_tcp_t server;
  uv_async_t stop;
  int served;
  size_t bytes;
  int err;
} listener_t;

static listener_t listeners[MAX_THREADS];
static int nthreads = 4, limit;
static struct sockaddr_in addr;
static uv_mutex_t lock;
static int finished;                /* under lock */
static uv_barrier_t ready;

static void on_stop(uv_async_t* a) {
  listener_t* l = (listener_t*) a->data;
  uv_close((uv_handle_t*) &l->server, NULL);
  uv_close((uv_handle_t*) &l->stop, NULL);
}

static void on_closed(uv_handle_t* h) {
  int i, all;
  (void) h;
  uv_mutex_lock(&lock);
  all = ++finished == limit;
  uv_mutex_unlock(&lock);
  if (all)
    for (i = 0; i < nthreads; i++) uv_async_send(&listeners[i].stop);
}

static void on_connection(uv_stream_t* srv, int status) {
  listener_t* l = (listener_t*) srv->data;
  uv_tcp_t* client;
  if (status != 0) return;
  client = (uv_tcp_t*) malloc(sizeof(*client));
  uv_tcp_init(srv->loop, client);
  client->data = &l->bytes;
  if (uv_accept(srv, (uv_stream_t*) client) != 0) {
    uv_close((uv_handle_t*) client, echo_free_handle);
    return;
  }
  l->served++;
  uv_read_start((uv_stream_t*) client, echo_alloc, echo_read);
}

static void listener_main(void* arg) {
  listener_t* l = (listener_t*) arg;
  uv_loop_init(&l->loop);
  uv_async_init(&l->loop, &l->stop, on_stop);
  l->stop.data = l;
  uv_tcp_init(&l->loop, &l->server);
  l->server.data = l;
  l->err = uv_tcp_bind(&l->server, (const struct sockaddr*) &addr, UV_TCP_REUSEPORT);
  if (l->err == 0)
    l->err = uv_listen((uv_stream_t*) &l->server, 511, on_connection);
  uv_barrier_wait(&ready);
  if (l->err != 0) {
    uv_close((uv_handle_t*) &l->server, NULL);
    uv_close((uv_handle_t*) &l->stop, NULL);
  }
  uv_run(&l->loop, UV_RUN_DEFAULT);
  uv_loop_close(&l->loop);
}

int main(int argc, char** argv) {
  int i, total = 0, failed = 0;
  if (argc < 2) {
    fprintf(stderr, "usage: %s PORT [threads] [connections]\n", argv[0]);
    return 2;
  }
  if (argc > 2) nthreads = atoi(argv[2]);
  if (nthreads < 1 || nthreads > MAX_THREADS) nthreads = 4;
  if (argc > 3) limit = atoi(argv[3]);
  echo_on_closed = on_closed;
  uv_mutex_init(&lock);
  uv_barrier_init(&ready, nthreads + 1);
  uv_ip4_addr("127.0.0.1", atoi(argv[1]), &addr);
  for (i = 0; i < nthreads; i++) {
    listeners[i].index = i;
    uv_thread_create(&listeners[i].thread, listener_main, &listeners[i]);
  }
  uv_barrier_wait(&ready);
  for (i = 0; i < nthreads; i++)
    if (listeners[i].err != 0) {
      fprintf(stderr, "listener %d: %s\n", i, uv_strerror(listeners[i].err));
      failed = 1;
    }
  if (!failed) {
    printf("reuseport server: port %s, %d listening loops\n", argv[1], nthreads);
    fflush(stdout);
  }
  for (i = 0; i < nthreads; i++) {
    uv_thread_join(&listeners[i].thread);
    if (!failed)
      printf("  loop %d served %d connections, echoed %zu bytes\n", i, listeners[i].served, listeners[i].bytes);
    total += listeners[i].served;
  }
  if (!failed)
    printf("reuseport server: %d connections in total\n", total);
  uv_barrier_destroy(&ready);
  uv_mutex_destroy(&lock);
  return failed;
}
