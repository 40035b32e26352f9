/* A TCP echo server on one loop.
 *
 *   tcp_echo_server PORT [connections=0 (forever)]
 *
 * With a limit it stops after serving that many connections and prints a summary. */
#include <stdio.h>
#include "echo.h"

static uv_tcp_t server;
static int limit, accepted, finished;
static size_t bytes;

static void on_closed(uv_handle_t* h) {
  (void) h;
  if (++finished == limit)
    uv_close((uv_handle_t*) &server, NULL);
}

static void on_connection(uv_stream_t* srv, int status) {
  uv_tcp_t* client;
  if (status != 0) {
    fprintf(stderr, "accept: %s\n", uv_strerror(status));
    return;
  }
  client = (uv_tcp_t*) malloc(sizeof(*client));
  uv_tcp_init(srv->loop, client);
  client->data = &bytes;
  if (uv_accept(srv, (uv_stream_t*) client) != 0) {
    uv_close((uv_handle_t*) client, echo_free_handle);
    return;
  }
  accepted++;
  uv_tcp_nodelay(client, 1);
  uv_read_start((uv_stream_t*) client, echo_alloc, echo_read);
}

int main(int argc, char** argv) {
  uv_loop_t* loop = uv_default_loop();
  struct sockaddr_in addr;
  int err;

  if (argc < 2) {
    fprintf(stderr, "usage: %s PORT [connections]\n", argv[0]);
    return 2;
  }
  if (argc > 2) limit = atoi(argv[2]);
  echo_on_closed = on_closed;
  uv_ip4_addr("127.0.0.1", atoi(argv[1]), &addr);
  uv_tcp_init(loop, &server);
  if ((err = uv_tcp_bind(&server, (const struct sockaddr*) &addr, 0)) != 0 ||
      (err = uv_listen((uv_stream_t*) &server, 511, on_connection)) != 0) {
    fprintf(stderr, "listen: %s\n", uv_strerror(err));
    return 1;
  }
  printf("tcp echo server: port %s\n", argv[1]);
  fflush(stdout);
  uv_run(loop, UV_RUN_DEFAULT);
  printf("tcp echo server: %d connections, %zu bytes echoed\n", accepted, bytes);
  return uv_loop_close(loop) == 0 ? 0 : 1;
}
