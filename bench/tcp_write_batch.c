/* Batched small writes: one TCP connection on 127.0.0.1; the client queues N separate
 * uv_write requests of 13 bytes each at once, then a shutdown; a sink server in a second
 * thread (its own loop) reads and counts every byte. Reports write requests completed per
 * second, from the first uv_write until the shutdown callback.
 *
 *   tcp_write_batch [writes=1000000] */
#include "bench.h"

#define DATA "Hello, world."
#define DATA_LEN 13

static uv_loop_t sink_loop;
static uv_tcp_t listener, *sink_conn;
static struct sockaddr_storage server_addr;
static uv_sem_t sink_ready;
static uint64_t received;
static char sink_buf[65536];

static long n, written_count;
static uv_write_t* reqs;
static uv_tcp_t client;
static uv_connect_t connect_req;
static uv_shutdown_t shutdown_req;
static uint64_t t0, t1;

static void sink_alloc(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  (void) h;
  (void) size;
  *buf = uv_buf_init(sink_buf, sizeof(sink_buf));
}

static void sink_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  (void) buf;
  if (nread == UV_EOF) {
    uv_close((uv_handle_t*) s, NULL);
    uv_close((uv_handle_t*) &listener, NULL);
    return;
  }
  UVOK(nread);
  received += nread;
}

static void sink_connection(uv_stream_t* server, int status) {
  UVOK(status);
  CHECK(sink_conn == NULL);
  sink_conn = malloc(sizeof(*sink_conn));
  CHECK(sink_conn != NULL);
  UVOK(uv_tcp_init(&sink_loop, sink_conn));
  UVOK(uv_accept(server, (uv_stream_t*) sink_conn));
  UVOK(uv_read_start((uv_stream_t*) sink_conn, sink_alloc, sink_read));
}

static void sink_thread(void* arg) {
  struct sockaddr_in addr;
  int len = sizeof(server_addr);
  (void) arg;
  UVOK(uv_loop_init(&sink_loop));
  UVOK(uv_ip4_addr("127.0.0.1", 0, &addr));
  UVOK(uv_tcp_init(&sink_loop, &listener));
  UVOK(uv_tcp_bind(&listener, (const struct sockaddr*) &addr, 0));
  UVOK(uv_tcp_getsockname(&listener, (struct sockaddr*) &server_addr, &len));
  UVOK(uv_listen((uv_stream_t*) &listener, 16, sink_connection));
  uv_sem_post(&sink_ready);
  UVOK(uv_run(&sink_loop, UV_RUN_DEFAULT));
  UVOK(uv_loop_close(&sink_loop));
  free(sink_conn);
}

static void write_cb(uv_write_t* req, int status) {
  (void) req;
  UVOK(status);
  written_count++;
}

static void shutdown_cb(uv_shutdown_t* req, int status) {
  UVOK(status);
  t1 = uv_hrtime();
  CHECK(written_count == n);
  uv_close((uv_handle_t*) req->handle, NULL);
}

static void connect_cb(uv_connect_t* req, int status) {
  static char data[] = DATA;
  uv_buf_t b = uv_buf_init(data, DATA_LEN);
  long i;
  UVOK(status);
  t0 = uv_hrtime();
  for (i = 0; i < n; i++)
    UVOK(uv_write(&reqs[i], req->handle, &b, 1, write_cb));
  UVOK(uv_shutdown(&shutdown_req, req->handle, shutdown_cb));
}

int main(int argc, char** argv) {
  uv_loop_t loop;
  uv_thread_t sink;

  bench_identify();
  n = bench_arg(argc, argv, 1, 1000000);
  reqs = malloc(n * sizeof(*reqs));
  CHECK(reqs != NULL);
  UVOK(uv_sem_init(&sink_ready, 0));
  UVOK(uv_thread_create(&sink, sink_thread, NULL));
  uv_sem_wait(&sink_ready);
  UVOK(uv_loop_init(&loop));
  UVOK(uv_tcp_init(&loop, &client));
  UVOK(uv_tcp_connect(&connect_req, &client, (const struct sockaddr*) &server_addr,
                      connect_cb));
  UVOK(uv_run(&loop, UV_RUN_DEFAULT));
  UVOK(uv_thread_join(&sink));
  CHECK(received == (uint64_t) n * DATA_LEN);
  UVOK(uv_loop_close(&loop));
  uv_sem_destroy(&sink_ready);
  free(reqs);
  bench_result("tcp_write_batch", n / bench_seconds(t0, t1), "writes/s", 1);
  return 0;
}
