/* Echo logic shared by the example servers: read, write back, close on EOF.
 * A connection's handle->data may point to a counter of echoed bytes (size_t). */
#ifndef RSUV_EXAMPLE_ECHO_H
#define RSUV_EXAMPLE_ECHO_H

#include <stdlib.h>
#include <uv.h>

typedef struct {
  uv_write_t req;
  uv_buf_t buf;
} echo_write_t;

static void echo_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void) h;
  buf->base = (char*) malloc(suggested);
  buf->len = buf->base ? suggested : 0;
}

static void echo_written(uv_write_t* req, int status) {
  echo_write_t* w = (echo_write_t*) req;
  (void) status;
  free(w->buf.base);
  free(w);
}

static void echo_free_handle(uv_handle_t* h) { free(h); }

/* Called when a connection is closed; servers count finished connections here. */
static void (*echo_on_closed)(uv_handle_t* h);

static void echo_closed(uv_handle_t* h) {
  if (echo_on_closed) echo_on_closed(h);
  free(h);
}

static void echo_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    echo_write_t* w = (echo_write_t*) malloc(sizeof(*w));
    w->buf = uv_buf_init(buf->base, (unsigned int) nread);
    if (s->data) *(size_t*) s->data += (size_t) nread;
    if (uv_write(&w->req, s, &w->buf, 1, echo_written) != 0) {
      free(buf->base);
      free(w);
    }
    return;
  }
  free(buf->base);
  if (nread < 0)
    uv_close((uv_handle_t*) s, echo_closed);
}

#endif
