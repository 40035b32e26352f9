/* TCP ping-pong on 127.0.0.1: a client and an echo server in one loop. The client sends a
 * 16-byte message carrying a sequence number, waits for the echo, checks it byte for byte,
 * and sends the next, N round trips in total. Reports round trips per second.
 *
 *   tcp_pingpong [round_trips=100000] */
#include "bench.h"

#define MSG_LEN 16

typedef struct {
  uv_write_t req;
  uv_buf_t buf;
} echo_req_t;

static uv_loop_t loop;
static uv_tcp_t server, server_conn, client;
static uv_connect_t connect_req;
static uv_write_t client_write;
static char sent[MSG_LEN + 1], got[MSG_LEN];
static size_t got_len;
static long target, round_trips;
static char readbuf[65536];

static void alloc_static(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  (void) h;
  (void) size;
  *buf = uv_buf_init(readbuf, sizeof(readbuf));
}

static void echo_written(uv_write_t* req, int status) {
  echo_req_t* e = (echo_req_t*) req;
  UVOK(status);
  free(e);
}

static void server_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  echo_req_t* e;
  if (nread == UV_EOF) {
    uv_close((uv_handle_t*) s, NULL);
    return;
  }
  UVOK(nread);
  if (nread == 0)
    return;
  e = malloc(sizeof(*e) + nread);
  CHECK(e != NULL);
  memcpy(e + 1, buf->base, nread);
  e->buf = uv_buf_init((char*) (e + 1), (unsigned) nread);
  UVOK(uv_write(&e->req, s, &e->buf, 1, echo_written));
}

static void on_connection(uv_stream_t* s, int status) {
  UVOK(status);
  UVOK(uv_tcp_init(&loop, &server_conn));
  UVOK(uv_accept(s, (uv_stream_t*) &server_conn));
  UVOK(uv_tcp_nodelay(&server_conn, 1));
  UVOK(uv_read_start((uv_stream_t*) &server_conn, alloc_static, server_read));
  uv_close((uv_handle_t*) s, NULL); /* one connection only */
}

static void client_written(uv_write_t* req, int status) {
  (void) req;
  UVOK(status);
}

static void send_ping(void) {
  uv_buf_t b;
  snprintf(sent, sizeof(sent), "PING %010ld", round_trips);
  CHECK(strlen(sent) == MSG_LEN - 1);
  sent[MSG_LEN - 1] = '\n';
  b = uv_buf_init(sent, MSG_LEN);
  UVOK(uv_write(&client_write, (uv_stream_t*) &client, &b, 1, client_written));
}

static void client_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  UVOK(nread);
  if (nread == 0)
    return;
  CHECK(got_len + nread <= MSG_LEN);
  memcpy(got + got_len, buf->base, nread);
  got_len += nread;
  if (got_len < MSG_LEN)
    return;
  CHECK(memcmp(got, sent, MSG_LEN) == 0);
  got_len = 0;
  if (++round_trips == target) {
    uv_close((uv_handle_t*) s, NULL); /* the server sees EOF and closes its side */
    return;
  }
  send_ping();
}

static void on_connect(uv_connect_t* req, int status) {
  UVOK(status);
  UVOK(uv_tcp_nodelay(&client, 1));
  UVOK(uv_read_start(req->handle, alloc_static, client_read));
  send_ping();
}

int main(int argc, char** argv) {
  struct sockaddr_in addr;
  struct sockaddr_storage bound;
  int len = sizeof(bound);
  uint64_t t0, t1;

  bench_identify();
  target = bench_arg(argc, argv, 1, 100000);
  UVOK(uv_loop_init(&loop));
  UVOK(uv_ip4_addr("127.0.0.1", 0, &addr));
  UVOK(uv_tcp_init(&loop, &server));
  UVOK(uv_tcp_bind(&server, (const struct sockaddr*) &addr, 0));
  UVOK(uv_listen((uv_stream_t*) &server, 128, on_connection));
  UVOK(uv_tcp_getsockname(&server, (struct sockaddr*) &bound, &len));
  UVOK(uv_tcp_init(&loop, &client));
  t0 = uv_hrtime();
  UVOK(uv_tcp_connect(&connect_req, &client, (const struct sockaddr*) &bound, on_connect));
  UVOK(uv_run(&loop, UV_RUN_DEFAULT));
  t1 = uv_hrtime();
  CHECK(round_trips == target);
  UVOK(uv_loop_close(&loop));
  bench_result("tcp_pingpong", target / bench_seconds(t0, t1), "roundtrips/s", 1);
  return 0;
}
