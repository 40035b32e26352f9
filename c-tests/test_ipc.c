/* Handle passing over IPC pipes (uv_pipe_init(..., 1) on a uv_socketpair
 * end): uv_write2 / uv_try_write2 with a send_handle, uv_pipe_pending_count,
 * uv_pipe_pending_type, uv_accept from the pipe; a TCP connection and a
 * listening server handed to another thread's loop, a pipe handed over,
 * several descriptors queued, closing with descriptors still pending, and
 * the refusals.
 *
 * Every expectation was checked against libuv 1.52.1. */
#include "test.h"

#include <uv.h>

#include "net_util.h"

/* An IPC pair: two IPC pipes on one loop (or *b left unopened, fd in *bfd). */
static void ipc_pair(uv_loop_t* loop, uv_pipe_t* a, uv_pipe_t* b, int* bfd) {
  uv_os_sock_t sv[2];
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, sv, 0, 0));
  ASSERT_OK(uv_pipe_init(loop, a, 1));
  ASSERT_OK(uv_pipe_open(a, sv[0]));
  ASSERT_EQ(a->ipc, 1);
  if (b != NULL) {
    ASSERT_OK(uv_pipe_init(loop, b, 1));
    ASSERT_OK(uv_pipe_open(b, sv[1]));
  }
  if (bfd != NULL)
    *bfd = sv[1];
}

/* ---- a TCP connection handed to another thread's loop ---------------------------- */

/* The main loop accepts a connection and passes it over the IPC pipe; the
 * worker's loop takes it with uv_accept and serves it (echo).  The client
 * never notices the hand-off. */

static struct {
  /* main thread */
  uv_tcp_t server;
  uv_tcp_t conn;
  uv_pipe_t ipc;
  uv_write_t w;
  int write_status;
  int sent;
  /* worker thread */
  uv_loop_t wloop;
  uv_pipe_t wipc;
  uv_tcp_t wconn;
  uv_write_t echo;
  char echo_buf[64];
  int wfd;
  int pending_count_seen;
  int pending_type_seen;
  int pending_after_accept;
  int accepted;
  int peer_port;
  int worker_eof;
  uv_sem_t accepted_sem;
} ht;

static void ht_echo_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    uv_buf_t b;
    ASSERT_U64_LE((size_t) nread, sizeof(ht.echo_buf));
    memcpy(ht.echo_buf, buf->base, (size_t) nread);
    b = uv_buf_init(ht.echo_buf, (unsigned int) nread);
    ASSERT_OK(uv_write(&ht.echo, s, &b, 1, NULL));
  } else if (nread < 0) {
    ASSERT_EQ(nread, UV_EOF);
    ht.worker_eof++;
    uv_close((uv_handle_t*) s, NULL);
  }
  free(buf->base);
}

static void ht_worker_ipc_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  uv_pipe_t* p = (uv_pipe_t*) s;
  if (nread > 0) {
    ASSERT_EQ(nread, 1);
    ASSERT_EQ(buf->base[0], 'T');
    ht.pending_count_seen = uv_pipe_pending_count(p);
    ht.pending_type_seen = uv_pipe_pending_type(p);
    ASSERT_EQ(ht.pending_type_seen, UV_TCP);
    ASSERT_OK(uv_tcp_init(s->loop, &ht.wconn));
    ASSERT_OK(uv_accept(s, (uv_stream_t*) &ht.wconn));
    ht.pending_after_accept = uv_pipe_pending_count(p);
    ht.peer_port = nu_tcp_peer_port(&ht.wconn);
    ht.accepted++;
    ASSERT_OK(uv_read_start((uv_stream_t*) &ht.wconn, nu_alloc_cb, ht_echo_read));
    uv_sem_post(&ht.accepted_sem);
  } else if (nread < 0) {
    ASSERT_EQ(nread, UV_EOF);
    uv_close((uv_handle_t*) s, NULL);
  }
  free(buf->base);
}

static void ht_worker(void* arg) {
  (void) arg;
  ASSERT_OK(uv_loop_init(&ht.wloop));
  ASSERT_OK(uv_pipe_init(&ht.wloop, &ht.wipc, 1));
  ASSERT_OK(uv_pipe_open(&ht.wipc, ht.wfd));
  ASSERT_OK(uv_read_start((uv_stream_t*) &ht.wipc, nu_alloc_cb, ht_worker_ipc_read));
  ASSERT_OK(uv_run(&ht.wloop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&ht.wloop));
}

static void ht_written(uv_write_t* req, int status) {
  (void) req;
  ht.write_status = status;
  ht.sent++;
  /* The worker has its own descriptor now: ours can go. */
  uv_close((uv_handle_t*) &ht.conn, NULL);
  uv_close((uv_handle_t*) &ht.server, NULL);
  uv_close((uv_handle_t*) &ht.ipc, NULL);
}

static void ht_connection_cb(uv_stream_t* server, int status) {
  uv_buf_t b;
  ASSERT_OK(status);
  ASSERT_OK(uv_tcp_init(server->loop, &ht.conn));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) &ht.conn));
  b = uv_buf_init((char*) "T", 1);
  ASSERT_OK(uv_write2(&ht.w, (uv_stream_t*) &ht.ipc, &b, 1, (uv_stream_t*) &ht.conn,
                      ht_written));
}

TEST(ipc_pass_tcp_connection_to_another_thread) {
  uv_loop_t loop;
  uv_thread_t worker;
  struct sockaddr_in a;
  char got[16];
  int client;

  memset(&ht, 0, sizeof(ht));
  ASSERT_OK(uv_sem_init(&ht.accepted_sem, 0));
  ASSERT_OK(uv_loop_init(&loop));
  ipc_pair(&loop, &ht.ipc, NULL, &ht.wfd);
  ASSERT_OK(uv_thread_create(&worker, ht_worker, NULL));

  nu_addr4(&a, 0);
  ASSERT_OK(uv_tcp_init(&loop, &ht.server));
  ASSERT_OK(uv_tcp_bind(&ht.server, (const struct sockaddr*) &a, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &ht.server, 8, ht_connection_cb));
  client = nu_raw_connect(nu_tcp_port(&ht.server));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(ht.sent, 1);
  ASSERT_OK(ht.write_status);
  ASSERT_OK(uv_loop_close(&loop));

  /* The main loop is gone; the worker serves the client. */
  uv_sem_wait(&ht.accepted_sem);
  ASSERT_EQ(ht.accepted, 1);
  ASSERT_EQ(ht.pending_count_seen, 1);
  ASSERT_EQ(ht.pending_after_accept, 0);
  ASSERT_EQ(ht.peer_port, nu_fd_port(client));
  nu_write_all(client, "hello worker", 12);
  ASSERT_U64_EQ(nu_read_n(client, got, 12, 5000), 12);
  ASSERT(memcmp(got, "hello worker", 12) == 0);
  ASSERT_OK(close(client));
  ASSERT_OK(uv_thread_join(&worker));
  ASSERT_EQ(ht.worker_eof, 1);
  uv_sem_destroy(&ht.accepted_sem);
}

/* ---- a listening server handed to another thread ------------------------------------ */

static struct {
  uv_tcp_t server;
  uv_pipe_t ipc;
  uv_write_t w;
  uv_loop_t wloop;
  uv_pipe_t wipc;
  uv_tcp_t wserver;
  uv_tcp_t wconn;
  uv_write_t echo;
  char echo_buf[16];
  uv_sem_t listening;
  int wfd;
  int port;
  int listen_err;
  int connections;
} hs;

static void hs_echo_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    uv_buf_t b;
    memcpy(hs.echo_buf, buf->base, (size_t) nread);
    b = uv_buf_init(hs.echo_buf, (unsigned int) nread);
    ASSERT_OK(uv_write(&hs.echo, s, &b, 1, NULL));
  } else if (nread < 0) {
    uv_close((uv_handle_t*) s, NULL);
    uv_close((uv_handle_t*) &hs.wserver, NULL);
    uv_close((uv_handle_t*) &hs.wipc, NULL);
  }
  free(buf->base);
}

static void hs_worker_connection_cb(uv_stream_t* server, int status) {
  ASSERT_OK(status);
  hs.connections++;
  ASSERT_OK(uv_tcp_init(server->loop, &hs.wconn));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) &hs.wconn));
  ASSERT_OK(uv_read_start((uv_stream_t*) &hs.wconn, nu_alloc_cb, hs_echo_read));
}

static void hs_worker_ipc_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    ASSERT_EQ(uv_pipe_pending_count((uv_pipe_t*) s), 1);
    ASSERT_EQ(uv_pipe_pending_type((uv_pipe_t*) s), UV_TCP);
    ASSERT_OK(uv_tcp_init(s->loop, &hs.wserver));
    ASSERT_OK(uv_accept(s, (uv_stream_t*) &hs.wserver));
    hs.port = nu_tcp_port(&hs.wserver);
    hs.listen_err = uv_listen((uv_stream_t*) &hs.wserver, 8, hs_worker_connection_cb);
    ASSERT_OK(uv_read_stop(s));
    uv_sem_post(&hs.listening);
  }
  free(buf->base);
}

static void hs_worker(void* arg) {
  (void) arg;
  ASSERT_OK(uv_loop_init(&hs.wloop));
  ASSERT_OK(uv_pipe_init(&hs.wloop, &hs.wipc, 1));
  ASSERT_OK(uv_pipe_open(&hs.wipc, hs.wfd));
  ASSERT_OK(uv_read_start((uv_stream_t*) &hs.wipc, nu_alloc_cb, hs_worker_ipc_read));
  ASSERT_OK(uv_run(&hs.wloop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&hs.wloop));
}

static void hs_written(uv_write_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  uv_close((uv_handle_t*) &hs.server, NULL);
  uv_close((uv_handle_t*) &hs.ipc, NULL);
}

static void hs_never_cb(uv_stream_t* server, int status) {
  (void) server;
  (void) status;
  TEST_FAIL("the main loop must not see connections");
}

TEST(ipc_pass_listening_server_to_another_thread) {
  uv_loop_t loop;
  uv_thread_t worker;
  struct sockaddr_in a;
  uv_buf_t b;
  char got[8];
  int port;
  int client;

  memset(&hs, 0, sizeof(hs));
  ASSERT_OK(uv_sem_init(&hs.listening, 0));
  ASSERT_OK(uv_loop_init(&loop));
  ipc_pair(&loop, &hs.ipc, NULL, &hs.wfd);
  nu_addr4(&a, 0);
  ASSERT_OK(uv_tcp_init(&loop, &hs.server));
  ASSERT_OK(uv_tcp_bind(&hs.server, (const struct sockaddr*) &a, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &hs.server, 8, hs_never_cb));
  port = nu_tcp_port(&hs.server);
  ASSERT_OK(uv_thread_create(&worker, hs_worker, NULL));
  b = uv_buf_init((char*) "S", 1);
  ASSERT_OK(uv_write2(&hs.w, (uv_stream_t*) &hs.ipc, &b, 1, (uv_stream_t*) &hs.server,
                      hs_written));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));

  uv_sem_wait(&hs.listening);
  ASSERT_OK(hs.listen_err);
  ASSERT_EQ(hs.port, port);
  client = nu_raw_connect(port);
  nu_write_all(client, "srv", 3);
  ASSERT_U64_EQ(nu_read_n(client, got, 3, 5000), 3);
  ASSERT(memcmp(got, "srv", 3) == 0);
  close(client);
  ASSERT_OK(uv_thread_join(&worker));
  ASSERT_EQ(hs.connections, 1);
  uv_sem_destroy(&hs.listening);
}

/* ---- a pipe handed over ---------------------------------------------------------------- */

static struct {
  uv_pipe_t a;
  uv_pipe_t b;
  uv_pipe_t passed;
  uv_pipe_t received;
  uv_write_t w;
  uv_write_t w2;
  char got[32];
  size_t n;
  int type_seen;
  int received_fd;
} hp;

static void hp_received_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    memcpy(hp.got + hp.n, buf->base, (size_t) nread);
    hp.n += (size_t) nread;
  } else if (nread < 0) {
    ASSERT_EQ(nread, UV_EOF);
    uv_close((uv_handle_t*) s, NULL);
    uv_close((uv_handle_t*) &hp.b, NULL);
  }
  free(buf->base);
}

static void hp_ipc_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    uv_buf_t b;
    ASSERT_EQ(buf->base[0], 'P');
    hp.type_seen = uv_pipe_pending_type((uv_pipe_t*) s);
    ASSERT_OK(uv_pipe_init(s->loop, &hp.received, 0));
    ASSERT_OK(uv_accept(s, (uv_stream_t*) &hp.received));
    hp.received_fd = nu_fileno(&hp.received);
    ASSERT_EQ(uv_is_readable((uv_stream_t*) &hp.received), 1);
    ASSERT_EQ(uv_is_writable((uv_stream_t*) &hp.received), 1);
    b = uv_buf_init((char*) "from the receiver", 17);
    ASSERT_OK(uv_write(&hp.w2, (uv_stream_t*) &hp.received, &b, 1, NULL));
    ASSERT_OK(uv_read_start((uv_stream_t*) &hp.received, nu_alloc_cb, hp_received_read));
    ASSERT_OK(uv_read_stop(s));
  }
  free(buf->base);
}

static void hp_written(uv_write_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  /* The sender's handle can go; the receiver's copy lives on. */
  uv_close((uv_handle_t*) &hp.passed, NULL);
  uv_close((uv_handle_t*) &hp.a, NULL);
}

TEST(ipc_pass_pipe_handle) {
  uv_loop_t loop;
  uv_os_sock_t xs[2];
  uv_buf_t b;
  char got[32];

  memset(&hp, 0, sizeof(hp));
  ASSERT_OK(uv_loop_init(&loop));
  ipc_pair(&loop, &hp.a, &hp.b, NULL);
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, xs, 0, 0));
  ASSERT_OK(uv_pipe_init(&loop, &hp.passed, 0));
  ASSERT_OK(uv_pipe_open(&hp.passed, xs[0]));
  ASSERT_OK(uv_read_start((uv_stream_t*) &hp.b, nu_alloc_cb, hp_ipc_read));
  b = uv_buf_init((char*) "P", 1);
  ASSERT_OK(uv_write2(&hp.w, (uv_stream_t*) &hp.a, &b, 1, (uv_stream_t*) &hp.passed,
                      hp_written));
  /* Run until the receiver has written. */
  while (hp.received_fd == 0 || !uv_is_closing((uv_handle_t*) &hp.a))
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_EQ(hp.type_seen, UV_NAMED_PIPE);
  ASSERT_NE(hp.received_fd, xs[0]);
  ASSERT_U64_EQ(nu_read_n(xs[1], got, 17, 5000), 17);
  ASSERT(memcmp(got, "from the receiver", 17) == 0);
  nu_write_all(xs[1], "to the receiver", 15);
  close(xs[1]);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_U64_EQ(hp.n, 15);
  ASSERT(memcmp(hp.got, "to the receiver", 15) == 0);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- several descriptors queued ------------------------------------------------------------ */

static struct {
  uv_pipe_t a;
  uv_pipe_t b;
  uv_write_t w[3];
  int written;
  char data[8];
  size_t n;
  int max_pending;
} hq;

static void hq_written(uv_write_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  hq.written++;
}

static void hq_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  int pending;
  if (nread > 0) {
    ASSERT_U64_LE(hq.n + (size_t) nread, sizeof(hq.data));
    memcpy(hq.data + hq.n, buf->base, (size_t) nread);
    hq.n += (size_t) nread;
    pending = uv_pipe_pending_count((uv_pipe_t*) s);
    /* One descriptor per byte so far, none accepted yet. */
    ASSERT_EQ(pending, (int) hq.n);
    if (pending > hq.max_pending)
      hq.max_pending = pending;
    if (hq.n == 3)
      ASSERT_OK(uv_read_stop(s));
  }
  free(buf->base);
}

TEST(ipc_several_handles_queued_in_order) {
  uv_loop_t loop;
  uv_tcp_t c1;
  uv_tcp_t p1;
  uv_tcp_t c2;
  uv_tcp_t p2;
  uv_tcp_t t1;
  uv_tcp_t t2;
  uv_pipe_t px;
  uv_pipe_t rx;
  uv_os_sock_t xs[2];
  uv_buf_t b;
  char c;
  int i;

  memset(&hq, 0, sizeof(hq));
  ASSERT_OK(uv_loop_init(&loop));
  ipc_pair(&loop, &hq.a, &hq.b, NULL);
  nu_tcp_pair(&loop, &c1, &p1, 0, 0);
  nu_tcp_pair(&loop, &c2, &p2, 0, 0);
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, xs, 0, 0));
  ASSERT_OK(uv_pipe_init(&loop, &px, 0));
  ASSERT_OK(uv_pipe_open(&px, xs[0]));

  /* Three in a row, before the loop runs. */
  b = uv_buf_init((char*) "1", 1);
  ASSERT_OK(uv_write2(&hq.w[0], (uv_stream_t*) &hq.a, &b, 1, (uv_stream_t*) &c1, hq_written));
  b = uv_buf_init((char*) "2", 1);
  ASSERT_OK(uv_write2(&hq.w[1], (uv_stream_t*) &hq.a, &b, 1, (uv_stream_t*) &px, hq_written));
  b = uv_buf_init((char*) "3", 1);
  ASSERT_OK(uv_write2(&hq.w[2], (uv_stream_t*) &hq.a, &b, 1, (uv_stream_t*) &c2, hq_written));
  ASSERT_OK(uv_read_start((uv_stream_t*) &hq.b, nu_alloc_cb, hq_read));
  for (i = 0; i < 200 && (hq.n < 3 || hq.written < 3); i++)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_EQ(hq.written, 3);
  ASSERT_U64_EQ(hq.n, 3);
  ASSERT(memcmp(hq.data, "123", 3) == 0);
  ASSERT_EQ(hq.max_pending, 3);
  ASSERT_EQ(uv_pipe_pending_count(&hq.b), 3);

  /* Taken in the order sent, each typed. */
  ASSERT_EQ(uv_pipe_pending_type(&hq.b), UV_TCP);
  ASSERT_OK(uv_tcp_init(&loop, &t1));
  ASSERT_OK(uv_accept((uv_stream_t*) &hq.b, (uv_stream_t*) &t1));
  ASSERT_EQ(uv_pipe_pending_count(&hq.b), 2);
  ASSERT_EQ(uv_pipe_pending_type(&hq.b), UV_NAMED_PIPE);
  ASSERT_OK(uv_pipe_init(&loop, &rx, 0));
  ASSERT_OK(uv_accept((uv_stream_t*) &hq.b, (uv_stream_t*) &rx));
  ASSERT_EQ(uv_pipe_pending_count(&hq.b), 1);
  ASSERT_EQ(uv_pipe_pending_type(&hq.b), UV_TCP);
  ASSERT_OK(uv_tcp_init(&loop, &t2));
  ASSERT_OK(uv_accept((uv_stream_t*) &hq.b, (uv_stream_t*) &t2));
  ASSERT_EQ(uv_pipe_pending_count(&hq.b), 0);
  ASSERT_EQ(uv_pipe_pending_type(&hq.b), UV_UNKNOWN_HANDLE);
  ASSERT_EQ(uv_accept((uv_stream_t*) &hq.b, (uv_stream_t*) &t2), UV_EAGAIN);

  /* Each is the connection it was. */
  ASSERT_EQ(nu_tcp_port(&t1), nu_tcp_port(&c1));
  ASSERT_EQ(nu_tcp_peer_port(&t1), nu_tcp_port(&p1));
  ASSERT_EQ(nu_tcp_port(&t2), nu_tcp_port(&c2));
  ASSERT_EQ(uv_try_write((uv_stream_t*) &t2, &b, 1), 1);
  ASSERT_U64_EQ(nu_read_n(nu_fileno(&p2), &c, 1, 2000), 1);
  ASSERT_EQ(c, '3');
  b = uv_buf_init((char*) "r", 1);
  ASSERT_EQ(uv_try_write((uv_stream_t*) &rx, &b, 1), 1);
  ASSERT_U64_EQ(nu_read_n(xs[1], &c, 1, 2000), 1);
  ASSERT_EQ(c, 'r');
  nu_loop_finish(&loop);
  close(xs[1]);
}

/* ---- closing with descriptors pending ------------------------------------------------------ */

static struct {
  int n;
} hl;

static void hl_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    hl.n += (int) nread;
    if (hl.n == 3) {
      ASSERT_EQ(uv_pipe_pending_count((uv_pipe_t*) s), 3);
      /* Never accepted: closing the pipe must close them. */
      uv_close((uv_handle_t*) s, NULL);
    }
  }
  free(buf->base);
}

TEST(ipc_close_with_pending_descriptors_leaks_none) {
  uv_loop_t loop;
  uv_pipe_t a;
  uv_pipe_t b;
  uv_pipe_t px[3];
  uv_write_t w[3];
  uv_os_sock_t xs[3][2];
  uv_buf_t buf;
  int baseline;
  int during;
  int i;

  hl.n = 0;
  /* A first loop lets the library make its process-wide descriptors (libuv
   * keeps a signal lock pipe for the life of the process). */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_loop_close(&loop));
  baseline = nu_count_fds();
  ASSERT_OK(uv_loop_init(&loop));
  ipc_pair(&loop, &a, &b, NULL);
  buf = uv_buf_init((char*) "x", 1);
  for (i = 0; i < 3; i++) {
    ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, xs[i], 0, 0));
    ASSERT_OK(uv_pipe_init(&loop, &px[i], 0));
    ASSERT_OK(uv_pipe_open(&px[i], xs[i][0]));
    ASSERT_OK(uv_write2(&w[i], (uv_stream_t*) &a, &buf, 1, (uv_stream_t*) &px[i], NULL));
  }
  ASSERT_OK(uv_read_start((uv_stream_t*) &b, nu_alloc_cb, hl_read));
  for (i = 0; i < 200 && !uv_is_closing((uv_handle_t*) &b); i++)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_EQ(hl.n, 3);
  during = nu_count_fds();
  /* The received copies were open while pending... */
  ASSERT_GT(during, baseline + 3 * 2);
  nu_loop_finish(&loop);
  for (i = 0; i < 3; i++)
    close(xs[i][1]);
  /* ...and nothing is left now. */
  ASSERT_EQ(nu_count_fds(), baseline);
}

/* ---- refusals --------------------------------------------------------------------------- */

TEST(ipc_write2_refusals) {
  uv_loop_t loop;
  uv_pipe_t plain;
  uv_pipe_t ipc;
  uv_pipe_t peer;
  uv_tcp_t c;
  uv_tcp_t p;
  uv_tcp_t nofd;
  uv_write_t w;
  uv_buf_t b;
  uv_os_sock_t sv[2];
  char got[4];

  ASSERT_OK(uv_loop_init(&loop));
  nu_tcp_pair(&loop, &c, &p, 0, 0);
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, sv, 0, 0));
  ASSERT_OK(uv_pipe_init(&loop, &plain, 0));
  ASSERT_OK(uv_pipe_open(&plain, sv[0]));
  b = uv_buf_init((char*) "h", 1);
  /* Not an IPC pipe. */
  ASSERT_EQ(uv_write2(&w, (uv_stream_t*) &plain, &b, 1, (uv_stream_t*) &c, NULL),
            UV_EINVAL);
  /* Not a pipe at all. */
  ASSERT_EQ(uv_write2(&w, (uv_stream_t*) &c, &b, 1, (uv_stream_t*) &p, NULL), UV_EINVAL);
  /* Nothing refused was written. */
  ASSERT_U64_EQ(uv_stream_get_write_queue_size((uv_stream_t*) &plain), 0);
  /* Without a handle, uv_write2 is uv_write. */
  ASSERT_OK(uv_write2(&w, (uv_stream_t*) &plain, &b, 1, NULL, NULL));
  uv_run(&loop, UV_RUN_NOWAIT);
  ASSERT_U64_EQ(nu_read_n(sv[1], got, 1, 2000), 1);
  ASSERT_EQ(got[0], 'h');
  /* A plain pipe has nothing pending, ever. */
  ASSERT_EQ(uv_pipe_pending_count(&plain), 0);
  ASSERT_EQ(uv_pipe_pending_type(&plain), UV_UNKNOWN_HANDLE);

  /* A handle without a descriptor cannot be sent. */
  ipc_pair(&loop, &ipc, &peer, NULL);
  ASSERT_OK(uv_tcp_init(&loop, &nofd));
  ASSERT_EQ(uv_write2(&w, (uv_stream_t*) &ipc, &b, 1, (uv_stream_t*) &nofd, NULL),
            UV_EBADF);
  /* Nothing received: nothing to accept. */
  ASSERT_EQ(uv_pipe_pending_count(&peer), 0);
  ASSERT_EQ(uv_pipe_pending_type(&peer), UV_UNKNOWN_HANDLE);
  ASSERT_EQ(uv_accept((uv_stream_t*) &peer, (uv_stream_t*) &nofd), UV_EAGAIN);
  nu_loop_finish(&loop);
  close(sv[1]);
}

/* ---- uv_try_write2 with a handle ------------------------------------------------------------ */

static int tw2_reads;

static void tw2_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    tw2_reads++;
    ASSERT_EQ(uv_pipe_pending_count((uv_pipe_t*) s), 1);
    ASSERT_EQ(uv_pipe_pending_type((uv_pipe_t*) s), UV_TCP);
    ASSERT_OK(uv_read_stop(s));
  }
  free(buf->base);
}

TEST(ipc_try_write2_passes_handle) {
  uv_loop_t loop;
  uv_pipe_t a;
  uv_pipe_t b;
  uv_tcp_t c;
  uv_tcp_t p;
  uv_tcp_t t;
  uv_buf_t buf;
  int i;

  tw2_reads = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ipc_pair(&loop, &a, &b, NULL);
  nu_tcp_pair(&loop, &c, &p, 0, 0);
  buf = uv_buf_init((char*) "H", 1);
  ASSERT_EQ(uv_try_write2((uv_stream_t*) &a, &buf, 1, (uv_stream_t*) &c), 1);
  ASSERT_OK(uv_read_start((uv_stream_t*) &b, nu_alloc_cb, tw2_read));
  for (i = 0; i < 100 && tw2_reads == 0; i++)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_EQ(tw2_reads, 1);
  ASSERT_OK(uv_tcp_init(&loop, &t));
  ASSERT_OK(uv_accept((uv_stream_t*) &b, (uv_stream_t*) &t));
  ASSERT_EQ(nu_tcp_port(&t), nu_tcp_port(&c));
  nu_loop_finish(&loop);
}

/* ---- every message before EOF ------------------------------------------------------------ */

/* A peer sends three messages, each carrying a descriptor, and closes its
 * end before the receiver runs.  The kernel hands out one descriptor-carrying
 * message per read (a short read), and the socket reports hang-up together
 * with readability: all three messages and descriptors must still arrive
 * before UV_EOF. */

static struct {
  char data[8];
  size_t n;
  int eof;
  int pending_at_eof;
  int reads_after_eof;
} he;

static void he_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (he.eof)
    he.reads_after_eof++;
  if (nread > 0) {
    ASSERT_U64_LE(he.n + (size_t) nread, sizeof(he.data));
    memcpy(he.data + he.n, buf->base, (size_t) nread);
    he.n += (size_t) nread;
  } else if (nread < 0) {
    ASSERT_EQ(nread, UV_EOF);
    he.eof++;
    he.pending_at_eof = uv_pipe_pending_count((uv_pipe_t*) s);
  }
  free(buf->base);
}

static void he_send_fd(int sock, char byte, int fd) {
  struct msghdr msg;
  struct iovec iov;
  union {
    struct cmsghdr hdr;
    char space[CMSG_SPACE(sizeof(int))];
  } cmsg;
  struct cmsghdr* c;
  memset(&msg, 0, sizeof(msg));
  memset(&cmsg, 0, sizeof(cmsg));
  iov.iov_base = &byte;
  iov.iov_len = 1;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cmsg.space;
  msg.msg_controllen = sizeof(cmsg.space);
  c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ASSERT_EQ(sendmsg(sock, &msg, 0), 1);
}

TEST(ipc_all_messages_arrive_before_eof) {
  uv_loop_t loop;
  uv_pipe_t b;
  uv_pipe_t got[3];
  uv_os_sock_t sv[2];
  int xs[2];
  int i;

  memset(&he, 0, sizeof(he));
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, sv, 0, 0));
  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, xs));
  he_send_fd(sv[0], 'a', xs[0]);
  he_send_fd(sv[0], 'b', xs[1]);
  he_send_fd(sv[0], 'c', xs[0]);
  ASSERT_OK(close(sv[0]));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &b, 1));
  ASSERT_OK(uv_pipe_open(&b, sv[1]));
  ASSERT_OK(uv_read_start((uv_stream_t*) &b, nu_alloc_cb, he_read));
  for (i = 0; i < 100 && he.eof == 0; i++)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_U64_EQ(he.n, 3);
  ASSERT(memcmp(he.data, "abc", 3) == 0);
  ASSERT_EQ(he.eof, 1);
  ASSERT_EQ(he.pending_at_eof, 3);
  ASSERT_EQ(he.reads_after_eof, 0);
  for (i = 0; i < 3; i++) {
    ASSERT_EQ(uv_pipe_pending_type(&b), UV_NAMED_PIPE);
    ASSERT_OK(uv_pipe_init(&loop, &got[i], 0));
    ASSERT_OK(uv_accept((uv_stream_t*) &b, (uv_stream_t*) &got[i]));
  }
  ASSERT_EQ(uv_pipe_pending_count(&b), 0);
  nu_loop_finish(&loop);
  close(xs[0]);
  close(xs[1]);
}
