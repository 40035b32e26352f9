/* An echo server on a Unix-domain socket (a path, or an abstract name starting with '@').
 *
 *   unix_echo_server PATH [connections=0 (forever)] */
#include <stdio.h>
#include <string.h>
#include "echo.h"

static uv_pipe_t server;
static int limit, accepted, finished;
static size_t bytes;

static void on_closed(uv_handle_t* h) {
  (void) h;
  if (++finished == limit)
    uv_close((uv_handle_t*) &server, NULL);
}

static void on_connection(uv_stream_t* srv, int status) {
  uv_pipe_t* client;
  if (status != 0) {
    fprintf(stderr, "accept: %s\n", uv_strerror(status));
    return;
  }
  client = (uv_pipe_t*) malloc(sizeof(*client));
  uv_pipe_init(srv->loop, client, 0);
  client->data = &bytes;
  if (uv_accept(srv, (uv_stream_t*) client) != 0) {
    uv_close((uv_handle_t*) client, echo_free_handle);
    return;
  }
  accepted++;
  uv_read_start((uv_stream_t*) client, echo_alloc, echo_read);
}

int main(int argc, char** argv) {
  uv_loop_t* loop = uv_default_loop();
  char name[256];
  size_t len;
  int err;

  if (argc < 2) {
    fprintf(stderr, "usage: %s PATH|@abstract [connections]\n", argv[0]);
    return 2;
  }
  if (argc > 2) limit = atoi(argv[2]);
  echo_on_closed = on_closed;
  len = strlen(argv[1]);
  if (len >= sizeof(name)) return 2;
  memcpy(name, argv[1], len);
  if (name[0] == '@') name[0] = '\0'; /* abstract namespace */
  uv_pipe_init(loop, &server, 0);
  if ((err = uv_pipe_bind2(&server, name, len, UV_PIPE_NO_TRUNCATE)) != 0 ||
      (err = uv_listen((uv_stream_t*) &server, 511, on_connection)) != 0) {
    fprintf(stderr, "listen on %s: %s\n", argv[1], uv_strerror(err));
    return 1;
  }
  printf("unix echo server: %s\n", argv[1]);
  fflush(stdout);
  uv_run(loop, UV_RUN_DEFAULT);
  printf("unix echo server: %d connections, %zu bytes echoed\n", accepted, bytes);
  return uv_loop_close(loop) == 0 ? 0 : 1;
}
