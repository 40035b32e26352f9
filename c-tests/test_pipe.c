/* Pipe handles: Unix-domain sockets by path and (Linux) in the abstract
 * namespace, name rules (truncation, UV_PIPE_NO_TRUNCATE, embedded NUL),
 * uv_pipe_getsockname/getpeername and their UV_ENOBUFS contract,
 * uv_pipe_open of pipe(2) ends, socketpair ends and regular files,
 * uv_pipe_chmod, uv_pipe, uv_socketpair, unlinking at close.
 *
 * Every expectation was checked against libuv 1.52.1.  uv_pipe_bind2,
 * uv_pipe_connect2 and UV_PIPE_NO_TRUNCATE are 1.46 additions: those parts
 * are compiled only with a header that has them. */
#include "test.h"

#include <uv.h>

#include "net_util.h"

#include <stddef.h>

#define PIPE_SUN_PATH_MAX ((int) sizeof(((struct sockaddr_un*) 0)->sun_path))

/* Accepts a connection and closes it. */
static void pipe_accept_close_cb(uv_stream_t* server, int status) {
  uv_pipe_t* c = (uv_pipe_t*) malloc(sizeof(*c));
  ASSERT_OK(status);
  ASSERT_NOT_NULL(c);
  ASSERT_OK(uv_pipe_init(server->loop, c, 0));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) c));
  uv_close((uv_handle_t*) c, nu_free_close_cb);
}

static int pipe_path_exists(const char* path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* ---- by path ------------------------------------------------------------------ */

static struct {
  uv_pipe_t server;
  uv_pipe_t conn;
  uv_pipe_t client;
  uv_connect_t creq;
  uv_write_t w1;
  uv_write_t w2;
  char path[108];
  int in_call;
  int connect_calls;
  int accepted;
  char server_got[8];
  char client_got[8];
  size_t server_n;
  size_t client_n;
} pp;

static void pp_server_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    uv_buf_t b;
    memcpy(pp.server_got + pp.server_n, buf->base, (size_t) nread);
    pp.server_n += (size_t) nread;
    if (pp.server_n == 4) {
      b = uv_buf_init((char*) "pong", 4);
      ASSERT_OK(uv_write(&pp.w2, s, &b, 1, NULL));
    }
  } else if (nread == UV_EOF) {
    uv_close((uv_handle_t*) s, NULL);
  }
  free(buf->base);
}

static void pp_connection_cb(uv_stream_t* server, int status) {
  char name[256];
  size_t len = sizeof(name);
  ASSERT_OK(status);
  ASSERT_OK(uv_pipe_init(server->loop, &pp.conn, 0));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) &pp.conn));
  pp.accepted++;
  /* The accepted end is named after the server. */
  ASSERT_OK(uv_pipe_getsockname(&pp.conn, name, &len));
  ASSERT_U64_EQ(len, strlen(pp.path));
  ASSERT_STR_EQ(name, pp.path);
  ASSERT_OK(uv_read_start((uv_stream_t*) &pp.conn, nu_alloc_cb, pp_server_read));
  uv_close((uv_handle_t*) server, NULL);
}

static void pp_client_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    memcpy(pp.client_got + pp.client_n, buf->base, (size_t) nread);
    pp.client_n += (size_t) nread;
    if (pp.client_n == 4)
      uv_close((uv_handle_t*) s, NULL);
  }
  free(buf->base);
}

static void pp_connect_cb(uv_connect_t* req, int status) {
  char name[256];
  size_t len = sizeof(name);
  uv_buf_t b;
  ASSERT_EQ(pp.in_call, 0);
  ASSERT_OK(status);
  pp.connect_calls++;
  ASSERT_OK(uv_pipe_getpeername(&pp.client, name, &len));
  ASSERT_U64_EQ(len, strlen(pp.path));
  ASSERT_STR_EQ(name, pp.path);
  /* An unbound client has an empty name. */
  len = sizeof(name);
  ASSERT_OK(uv_pipe_getsockname(&pp.client, name, &len));
  ASSERT_U64_EQ(len, 0);
  b = uv_buf_init((char*) "ping", 4);
  ASSERT_OK(uv_write(&pp.w1, req->handle, &b, 1, NULL));
  ASSERT_OK(uv_read_start(req->handle, nu_alloc_cb, pp_client_read));
}

TEST(pipe_bind_listen_connect_by_path) {
  uv_loop_t loop;
  uv_pipe_t other;
  char name[256];
  size_t len;
  struct stat st;

  memset(&pp, 0, sizeof(pp));
  nu_sock_path(pp.path, sizeof(pp.path), "pipe-path");
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &pp.server, 0));
  ASSERT_EQ(uv_handle_get_type((uv_handle_t*) &pp.server), UV_NAMED_PIPE);
  ASSERT_OK(uv_pipe_bind(&pp.server, pp.path));
  ASSERT_OK(stat(pp.path, &st));
  ASSERT(S_ISSOCK(st.st_mode));
  /* Bound once only. */
  ASSERT_EQ(uv_pipe_bind(&pp.server, pp.path), UV_EINVAL);
  /* The name is taken. */
  ASSERT_OK(uv_pipe_init(&loop, &other, 0));
  ASSERT_EQ(uv_pipe_bind(&other, pp.path), UV_EADDRINUSE);
  uv_close((uv_handle_t*) &other, NULL);

  len = sizeof(name);
  memset(name, 'x', sizeof(name));
  ASSERT_OK(uv_pipe_getsockname(&pp.server, name, &len));
  ASSERT_U64_EQ(len, strlen(pp.path));
  ASSERT_STR_EQ(name, pp.path);   /* NUL-terminated */
  ASSERT_OK(uv_listen((uv_stream_t*) &pp.server, 8, pp_connection_cb));

  ASSERT_OK(uv_pipe_init(&loop, &pp.client, 0));
  pp.in_call = 1;
  uv_pipe_connect(&pp.creq, &pp.client, pp.path, pp_connect_cb);
  pp.in_call = 0;
  ASSERT_EQ(pp.connect_calls, 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(pp.connect_calls, 1);
  ASSERT_EQ(pp.accepted, 1);
  ASSERT_U64_EQ(pp.server_n, 4);
  ASSERT(memcmp(pp.server_got, "ping", 4) == 0);
  ASSERT_U64_EQ(pp.client_n, 4);
  ASSERT(memcmp(pp.client_got, "pong", 4) == 0);
  /* Closing the server removed its socket file. */
  ASSERT_EQ(pipe_path_exists(pp.path), 0);
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(pipe_bind_in_missing_directory_eacces) {
  uv_loop_t loop;
  uv_pipe_t p;
  char path[128];

  snprintf(path, sizeof(path), "/tmp/rsuv-no-such-dir-%d/x.sock", (int) getpid());
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  /* ENOENT is reported as UV_EACCES (as on Windows). */
  ASSERT_EQ(uv_pipe_bind(&p, path), UV_EACCES);
  nu_loop_finish(&loop);
}

/* ---- connect errors ------------------------------------------------------------- */

static struct {
  int in_call;
  int calls;
  int status[4];
} pc;

static void pc_connect_cb(uv_connect_t* req, int status) {
  (void) req;
  ASSERT_EQ(pc.in_call, 0);
  ASSERT_LT(pc.calls, 4);
  pc.status[pc.calls++] = status;
}

/* uv_pipe_connect returns nothing: every error, even a bad name, comes
 * through the callback, from the loop. */
TEST(pipe_connect_errors_via_callback) {
  uv_loop_t loop;
  uv_pipe_t a;
  uv_pipe_t b;
  uv_pipe_t c;
  uv_connect_t ra;
  uv_connect_t rb;
  uv_connect_t rc;
  char missing[108];
  char file[108];
  int fd;

  memset(&pc, 0, sizeof(pc));
  nu_sock_path(missing, sizeof(missing), "pipe-missing");
  nu_sock_path(file, sizeof(file), "pipe-file");
  fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &a, 0));
  ASSERT_OK(uv_pipe_init(&loop, &b, 0));
  ASSERT_OK(uv_pipe_init(&loop, &c, 0));
  pc.in_call = 1;
  uv_pipe_connect(&ra, &a, missing, pc_connect_cb);   /* no such file */
  uv_pipe_connect(&rb, &b, file, pc_connect_cb);      /* not a socket */
  uv_pipe_connect(&rc, &c, "", pc_connect_cb);        /* empty name */
  pc.in_call = 0;
  ASSERT_EQ(pc.calls, 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(pc.calls, 3);
  ASSERT_EQ(pc.status[0], UV_ENOENT);
  ASSERT_EQ(pc.status[1], UV_ECONNREFUSED);
  ASSERT_EQ(pc.status[2], UV_EINVAL);
  nu_loop_finish(&loop);
  unlink(file);
}

#ifdef NU_HAVE_PIPE_BIND2
/* uv_pipe_connect2 returns argument errors directly, without a callback. */
TEST(pipe_connect2_argument_errors_returned) {
  uv_loop_t loop;
  uv_pipe_t a;
  uv_connect_t r;
  char path[108];

  memset(&pc, 0, sizeof(pc));
  nu_sock_path(path, sizeof(path), "pipe-c2");
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &a, 0));
  ASSERT_EQ(uv_pipe_connect2(&r, &a, path, strlen(path), 2, pc_connect_cb), UV_EINVAL);
  ASSERT_EQ(uv_pipe_connect2(&r, &a, path, 0, 0, pc_connect_cb), UV_EINVAL);
  ASSERT_EQ(uv_pipe_connect2(&r, &a, NULL, 4, 0, pc_connect_cb), UV_EINVAL);
  /* A real attempt reports through the callback, as uv_pipe_connect. */
  pc.in_call = 1;
  ASSERT_OK(uv_pipe_connect2(&r, &a, path, strlen(path), 0, pc_connect_cb));
  pc.in_call = 0;
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(pc.calls, 1);
  ASSERT_EQ(pc.status[0], UV_ENOENT);
  nu_loop_finish(&loop);
}
#endif

/* ---- abstract namespace ----------------------------------------------------------- */

#ifdef NU_HAVE_PIPE_BIND2

static struct {
  uv_pipe_t server;
  uv_pipe_t conn;
  uv_pipe_t client;
  uv_connect_t req;
  char name[64];
  size_t namelen;
  int connected;
  int accepted;
} ab;

static void ab_connection_cb(uv_stream_t* server, int status) {
  ASSERT_OK(status);
  ASSERT_OK(uv_pipe_init(server->loop, &ab.conn, 0));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) &ab.conn));
  ab.accepted++;
  uv_close((uv_handle_t*) &ab.conn, NULL);
  uv_close((uv_handle_t*) server, NULL);
}

static void ab_connect_cb(uv_connect_t* req, int status) {
  char buf[128];
  size_t len = sizeof(buf);
  ASSERT_OK(status);
  ab.connected++;
  /* The peer's name: the exact bytes, leading NUL, no terminator. */
  ASSERT_OK(uv_pipe_getpeername(&ab.client, buf, &len));
  ASSERT_U64_EQ(len, ab.namelen);
  ASSERT(memcmp(buf, ab.name, ab.namelen) == 0);
  uv_close((uv_handle_t*) req->handle, NULL);
}

TEST(pipe_abstract_namespace_exact_bytes) {
  uv_loop_t loop;
  char buf[128];
  size_t len;
  int n;

  memset(&ab, 0, sizeof(ab));
  /* "\0rsuv-abstract-<pid>\0tail": NULs inside are part of the name. */
  n = snprintf(ab.name + 1, sizeof(ab.name) - 1, "rsuv-abstract-%d", (int) getpid());
  ASSERT_GT(n, 0);
  ab.name[0] = '\0';
  memcpy(ab.name + 1 + n, "\0tail", 5);
  ab.namelen = 1 + (size_t) n + 5;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &ab.server, 0));
  ASSERT_OK(uv_pipe_bind2(&ab.server, ab.name, ab.namelen, 0));
  len = sizeof(buf);
  memset(buf, 'x', sizeof(buf));
  ASSERT_OK(uv_pipe_getsockname(&ab.server, buf, &len));
  ASSERT_U64_EQ(len, ab.namelen);
  ASSERT(memcmp(buf, ab.name, ab.namelen) == 0);
  ASSERT_EQ(buf[ab.namelen], 'x');   /* no terminator written */
  /* Exactly the name's size is enough (no room for a NUL needed)... */
  len = ab.namelen;
  ASSERT_OK(uv_pipe_getsockname(&ab.server, buf, &len));
  ASSERT_U64_EQ(len, ab.namelen);
  /* ...one less is not, and the needed size comes back. */
  len = ab.namelen - 1;
  ASSERT_EQ(uv_pipe_getsockname(&ab.server, buf, &len), UV_ENOBUFS);
  ASSERT_U64_EQ(len, ab.namelen);

  ASSERT_OK(uv_listen((uv_stream_t*) &ab.server, 8, ab_connection_cb));
  ASSERT_OK(uv_pipe_init(&loop, &ab.client, 0));
  ASSERT_OK(uv_pipe_connect2(&ab.req, &ab.client, ab.name, ab.namelen, 0,
                             ab_connect_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(ab.connected, 1);
  ASSERT_EQ(ab.accepted, 1);
  ASSERT_OK(uv_loop_close(&loop));
}

/* A name that differs only after an inner NUL is a different name. */
TEST(pipe_abstract_inner_nul_is_significant) {
  uv_loop_t loop;
  uv_pipe_t server;
  uv_pipe_t client;
  uv_connect_t req;
  char name[64];
  size_t namelen;
  int n;

  memset(&pc, 0, sizeof(pc));
  n = snprintf(name + 1, sizeof(name) - 1, "rsuv-abs-nul-%d", (int) getpid());
  name[0] = '\0';
  memcpy(name + 1 + n, "\0A", 2);
  namelen = 1 + (size_t) n + 2;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &server, 0));
  ASSERT_OK(uv_pipe_bind2(&server, name, namelen, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 8, pipe_accept_close_cb));
  name[namelen - 1] = 'B';
  ASSERT_OK(uv_pipe_init(&loop, &client, 0));
  ASSERT_OK(uv_pipe_connect2(&req, &client, name, namelen, 0, pc_connect_cb));
  uv_close((uv_handle_t*) &server, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(pc.calls, 1);
  ASSERT_EQ(pc.status[0], UV_ECONNREFUSED);
  nu_loop_finish(&loop);
}

/* namelen 0: Linux picks a fresh abstract name ("\0" and five hex digits). */
TEST(pipe_bind2_autobind_abstract) {
  uv_loop_t loop;
  uv_pipe_t p;
  char buf[64];
  size_t len = sizeof(buf);
  size_t i;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_OK(uv_pipe_bind2(&p, "", 0, 0));
  ASSERT_OK(uv_pipe_getsockname(&p, buf, &len));
  ASSERT_U64_EQ(len, 6);
  ASSERT_EQ(buf[0], '\0');
  for (i = 1; i < 6; i++)
    ASSERT(strchr("0123456789abcdef", buf[i]) != NULL);
  nu_loop_finish(&loop);
}

#endif /* NU_HAVE_PIPE_BIND2 */

/* ---- name rules -------------------------------------------------------------------- */

static void pipe_long_name(char* buf, size_t size, size_t len) {
  int n;
  ASSERT_U64_LT(len, size);
  n = snprintf(buf, size, "/tmp/rsuv-long-%d-", (int) getpid());
  ASSERT_GT(n, 0);
  memset(buf + n, 'L', len - (size_t) n);
  buf[len] = '\0';
}

static int pl_connected;

static void pl_connect_cb(uv_connect_t* req, int status) {
  ASSERT_OK(status);
  pl_connected++;
  uv_close((uv_handle_t*) req->handle, NULL);
}

/* Longer than sun_path: truncated to its 108 bytes (documented), so a
 * connect with the same long name meets the bound socket. */
TEST(pipe_long_name_truncated) {
  uv_loop_t loop;
  uv_pipe_t server;
  uv_pipe_t client;
  uv_connect_t req;
  char name[200];
  char truncated[200];
  char buf[256];
  size_t len;

  pl_connected = 0;
  pipe_long_name(name, sizeof(name), 150);
  memcpy(truncated, name, PIPE_SUN_PATH_MAX);
  truncated[PIPE_SUN_PATH_MAX] = '\0';
  unlink(truncated);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &server, 0));
  ASSERT_OK(uv_pipe_bind(&server, name));
  ASSERT_EQ(pipe_path_exists(truncated), 1);
  len = sizeof(buf);
  ASSERT_OK(uv_pipe_getsockname(&server, buf, &len));
  ASSERT_U64_EQ(len, PIPE_SUN_PATH_MAX);
  ASSERT_STR_EQ(buf, truncated);
  /* The size contract: 108 bytes plus the terminator. */
  len = PIPE_SUN_PATH_MAX;
  ASSERT_EQ(uv_pipe_getsockname(&server, buf, &len), UV_ENOBUFS);
  ASSERT_U64_EQ(len, PIPE_SUN_PATH_MAX + 1);
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 8, pipe_accept_close_cb));
  ASSERT_OK(uv_pipe_init(&loop, &client, 0));
  uv_pipe_connect(&req, &client, name, pl_connect_cb);
  while (pl_connected == 0)
    uv_run(&loop, UV_RUN_ONCE);
  uv_close((uv_handle_t*) &server, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  /* The truncated file is what close removed. */
  ASSERT_EQ(pipe_path_exists(truncated), 0);
  ASSERT_OK(uv_loop_close(&loop));
}

#ifdef NU_HAVE_PIPE_BIND2
TEST(pipe_bind2_no_truncate_and_nul_rules) {
  uv_loop_t loop;
  uv_pipe_t p;
  uv_pipe_t q;
  uv_connect_t req;
  char name[200];
  char exact[200];
  char with_nul[64];
  size_t n;

  memset(&pc, 0, sizeof(pc));
  pipe_long_name(name, sizeof(name), 150);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_OK(uv_pipe_init(&loop, &q, 0));
  /* Too long with UV_PIPE_NO_TRUNCATE: refused, for bind and connect. */
  ASSERT_EQ(uv_pipe_bind2(&p, name, strlen(name), UV_PIPE_NO_TRUNCATE), UV_EINVAL);
  ASSERT_EQ(uv_pipe_connect2(&req, &q, name, strlen(name), UV_PIPE_NO_TRUNCATE,
                             pc_connect_cb), UV_EINVAL);
  /* Unknown flags. */
  ASSERT_EQ(uv_pipe_bind2(&p, "/tmp/x", 6, 2), UV_EINVAL);
  ASSERT_EQ(uv_pipe_bind2(&p, NULL, 6, 0), UV_EINVAL);
  /* A path with a NUL inside. */
  n = (size_t) snprintf(with_nul, sizeof(with_nul), "/tmp/rsuv-nul-%d", (int) getpid());
  with_nul[5] = '\0';
  ASSERT_EQ(uv_pipe_bind2(&p, with_nul, n, 0), UV_EINVAL);
  ASSERT_EQ(uv_pipe_connect2(&req, &q, with_nul, n, 0, pc_connect_cb), UV_EINVAL);
  /* Exactly sun_path's size is fine even with UV_PIPE_NO_TRUNCATE. */
  pipe_long_name(exact, sizeof(exact), PIPE_SUN_PATH_MAX);
  unlink(exact);
  ASSERT_OK(uv_pipe_bind2(&p, exact, strlen(exact), UV_PIPE_NO_TRUNCATE));
  ASSERT_EQ(pipe_path_exists(exact), 1);
  uv_close((uv_handle_t*) &p, NULL);
  ASSERT_EQ(pc.calls, 0);
  nu_loop_finish(&loop);
  ASSERT_EQ(pipe_path_exists(exact), 0);
}
#endif

/* ---- getsockname / getpeername -------------------------------------------------------- */

TEST(pipe_getsockname_size_contract) {
  uv_loop_t loop;
  uv_pipe_t p;
  uv_pipe_t unbound;
  char path[108];
  char buf[256];
  size_t len;
  size_t plen;

  nu_sock_path(path, sizeof(path), "pipe-names");
  plen = strlen(path);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_OK(uv_pipe_bind(&p, path));
  /* Room for the name but not the terminator: UV_ENOBUFS and the size needed. */
  len = plen;
  ASSERT_EQ(uv_pipe_getsockname(&p, buf, &len), UV_ENOBUFS);
  ASSERT_U64_EQ(len, plen + 1);
  len = 3;
  ASSERT_EQ(uv_pipe_getsockname(&p, buf, &len), UV_ENOBUFS);
  ASSERT_U64_EQ(len, plen + 1);
  len = plen + 1;
  memset(buf, 'x', sizeof(buf));
  ASSERT_OK(uv_pipe_getsockname(&p, buf, &len));
  ASSERT_U64_EQ(len, plen);
  ASSERT_EQ(buf[plen], '\0');
  ASSERT(memcmp(buf, path, plen) == 0);
  /* No room at all. */
  len = 0;
  ASSERT_EQ(uv_pipe_getsockname(&p, buf, &len), UV_EINVAL);
  /* Not connected. */
  len = sizeof(buf);
  ASSERT_EQ(uv_pipe_getpeername(&p, buf, &len), UV_ENOTCONN);
  ASSERT_U64_EQ(len, 0);
  /* No socket. */
  ASSERT_OK(uv_pipe_init(&loop, &unbound, 0));
  len = sizeof(buf);
  ASSERT_EQ(uv_pipe_getsockname(&unbound, buf, &len), UV_EBADF);
  ASSERT_U64_EQ(len, 0);
  nu_loop_finish(&loop);
  ASSERT_EQ(pipe_path_exists(path), 0);
}

/* ---- uv_pipe_open ------------------------------------------------------------------- */

static struct {
  char got[32];
  size_t n;
  int eof;
} po;

static void po_read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    ASSERT_U64_LE(po.n + (size_t) nread, sizeof(po.got));
    memcpy(po.got + po.n, buf->base, (size_t) nread);
    po.n += (size_t) nread;
  } else if (nread == UV_EOF) {
    po.eof++;
    uv_close((uv_handle_t*) s, NULL);
  }
  free(buf->base);
}

static void po_write_cb(uv_write_t* req, int status) {
  ASSERT_OK(status);
  uv_close((uv_handle_t*) req->handle, NULL);
}

TEST(pipe_open_pipe2_ends) {
  uv_loop_t loop;
  uv_pipe_t r;
  uv_pipe_t w;
  uv_write_t req;
  uv_buf_t b;
  int fds[2];

  memset(&po, 0, sizeof(po));
  ASSERT_OK(pipe(fds));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &r, 0));
  ASSERT_OK(uv_pipe_init(&loop, &w, 0));
  ASSERT_OK(uv_pipe_open(&r, fds[0]));
  ASSERT_OK(uv_pipe_open(&w, fds[1]));
  ASSERT_EQ(nu_is_nonblock(fds[0]), 1);
  ASSERT_EQ(nu_is_nonblock(fds[1]), 1);
  ASSERT_OK(uv_read_start((uv_stream_t*) &r, nu_alloc_cb, po_read_cb));
  b = uv_buf_init((char*) "through a pipe", 14);
  ASSERT_OK(uv_write(&req, (uv_stream_t*) &w, &b, 1, po_write_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_U64_EQ(po.n, 14);
  ASSERT(memcmp(po.got, "through a pipe", 14) == 0);
  ASSERT_EQ(po.eof, 1);
  ASSERT_OK(uv_loop_close(&loop));
  ASSERT_EQ(nu_fd_is_open(fds[0]), 0);
  ASSERT_EQ(nu_fd_is_open(fds[1]), 0);
}

TEST(pipe_open_socketpair_end_and_refusals) {
  uv_loop_t loop;
  uv_pipe_t p;
  uv_pipe_t again;
  uv_pipe_t bad;
  uv_os_sock_t sv[2];
  uv_os_sock_t sv2[2];
  int closed_fd;

  memset(&po, 0, sizeof(po));
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, sv, 0, 0));
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, sv2, 0, 0));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_OK(uv_pipe_open(&p, sv[0]));
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &p), 1);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &p), 1);
  ASSERT_OK(uv_read_start((uv_stream_t*) &p, nu_alloc_cb, po_read_cb));
  /* The same descriptor, watched already. */
  ASSERT_OK(uv_pipe_init(&loop, &again, 0));
  ASSERT_EQ(uv_pipe_open(&again, sv[0]), UV_EEXIST);
  /* Another descriptor on a handle that has one. */
  ASSERT_EQ(uv_pipe_open(&p, sv2[0]), UV_EBUSY);
  /* A descriptor that is not open. */
  closed_fd = dup(sv2[1]);
  ASSERT_GE(closed_fd, 0);
  close(closed_fd);
  ASSERT_OK(uv_pipe_init(&loop, &bad, 0));
  ASSERT_EQ(uv_pipe_open(&bad, closed_fd), UV_EBADF);
  nu_write_all(sv[1], "sock", 4);
  close(sv[1]);
  uv_close((uv_handle_t*) &again, NULL);
  uv_close((uv_handle_t*) &bad, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_U64_EQ(po.n, 4);
  ASSERT_EQ(po.eof, 1);
  ASSERT_OK(uv_loop_close(&loop));
  close(sv2[0]);
  close(sv2[1]);
}

/* A regular file as a pipe (stdout redirected to a file): writes land in it;
 * readable/writable follow the open mode. */
TEST(pipe_open_regular_file) {
  uv_loop_t loop;
  uv_pipe_t w;
  uv_pipe_t r;
  uv_write_t req;
  uv_buf_t b[2];
  char path[108];
  char buf[64];
  int wfd;
  int rfd;
  int check;
  ssize_t n;

  snprintf(path, sizeof(path), "/tmp/rsuv-pipe-file-%d.txt", (int) getpid());
  wfd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  ASSERT_GE(wfd, 0);
  rfd = open(path, O_RDONLY | O_CLOEXEC);
  ASSERT_GE(rfd, 0);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &w, 0));
  ASSERT_OK(uv_pipe_open(&w, wfd));
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &w), 0);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &w), 1);
  ASSERT_OK(uv_pipe_init(&loop, &r, 0));
  ASSERT_OK(uv_pipe_open(&r, rfd));
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &r), 1);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &r), 0);
  b[0] = uv_buf_init((char*) "to a ", 5);
  b[1] = uv_buf_init((char*) "file\n", 5);
  ASSERT_OK(uv_write(&req, (uv_stream_t*) &w, b, 2, po_write_cb));
  uv_close((uv_handle_t*) &r, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
  check = open(path, O_RDONLY | O_CLOEXEC);
  ASSERT_GE(check, 0);
  n = read(check, buf, sizeof(buf));
  ASSERT_EQ(n, 10);
  ASSERT(memcmp(buf, "to a file\n", 10) == 0);
  close(check);
  unlink(path);
}

/* ---- uv_pipe_chmod -------------------------------------------------------------------- */

static unsigned pipe_mode(const char* path) {
  struct stat st;
  ASSERT_OK(stat(path, &st));
  return (unsigned) (st.st_mode & 07777);
}

TEST(pipe_chmod_sets_modes) {
  uv_loop_t loop;
  uv_pipe_t p;
  uv_pipe_t unbound;
  char path[108];
  unsigned m_r;
  unsigned m_w;
  unsigned m_rw;
  unsigned m_after_bad;
  int bad0;
  int bad8;

  nu_sock_path(path, sizeof(path), "pipe-chmod");
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_OK(uv_pipe_bind(&p, path));
  /* Results first, checks after the close (which removes the file). */
  ASSERT_OK(uv_pipe_chmod(&p, UV_READABLE));
  m_r = pipe_mode(path);
  ASSERT_OK(uv_pipe_chmod(&p, UV_WRITABLE));
  m_w = pipe_mode(path);
  ASSERT_OK(uv_pipe_chmod(&p, UV_READABLE | UV_WRITABLE));
  m_rw = pipe_mode(path);
  bad0 = uv_pipe_chmod(&p, 0);
  bad8 = uv_pipe_chmod(&p, UV_READABLE | 8);
  m_after_bad = pipe_mode(path);
  ASSERT_OK(uv_pipe_init(&loop, &unbound, 0));
  ASSERT_EQ(uv_pipe_chmod(&unbound, UV_READABLE), UV_EBADF);
  nu_loop_finish(&loop);
  ASSERT_EQ(pipe_path_exists(path), 0);
  /* The mode becomes exactly what was asked for. */
  ASSERT_EQ(m_r, 0444);
  ASSERT_EQ(m_w, 0222);
  ASSERT_EQ(m_rw, 0666);
  ASSERT_EQ(bad0, UV_EINVAL);
  ASSERT_EQ(bad8, UV_EINVAL);
  ASSERT_EQ(m_after_bad, 0666);
}

/* ---- uv_pipe and uv_socketpair -------------------------------------------------------- */

TEST(pipe_uv_pipe_flags) {
  static const int flags[4][2] = {
    { 0, 0 }, { UV_NONBLOCK_PIPE, 0 }, { 0, UV_NONBLOCK_PIPE },
    { UV_NONBLOCK_PIPE, UV_NONBLOCK_PIPE }
  };
  uv_file fds[2];
  char c;
  int i;

  for (i = 0; i < 4; i++) {
    ASSERT_OK(uv_pipe(fds, flags[i][0], flags[i][1]));
    ASSERT_EQ(nu_is_nonblock(fds[0]), flags[i][0] != 0);
    ASSERT_EQ(nu_is_nonblock(fds[1]), flags[i][1] != 0);
    ASSERT_EQ(nu_is_cloexec(fds[0]), 1);
    ASSERT_EQ(nu_is_cloexec(fds[1]), 1);
    ASSERT_EQ(fcntl(fds[0], F_GETFL) & O_ACCMODE, O_RDONLY);
    ASSERT_EQ(fcntl(fds[1], F_GETFL) & O_ACCMODE, O_WRONLY);
    ASSERT_EQ(uv_guess_handle(fds[0]), UV_NAMED_PIPE);
    /* Data goes from fds[1] to fds[0]. */
    ASSERT_EQ(write(fds[1], "p", 1), 1);
    ASSERT_EQ(read(fds[0], &c, 1), 1);
    ASSERT_EQ(c, 'p');
    if (flags[i][0] != 0) {
      ASSERT_EQ(read(fds[0], &c, 1), -1);
      ASSERT_EQ(errno, EAGAIN);
    }
    close(fds[0]);
    close(fds[1]);
  }
}

TEST(pipe_uv_socketpair_flags) {
  uv_os_sock_t sv[2];
  char c;
  int i;

  for (i = 0; i < 2; i++) {
    int type = i == 0 ? SOCK_STREAM : SOCK_DGRAM;
    ASSERT_OK(uv_socketpair(type, 0, sv, UV_NONBLOCK_PIPE, 0));
    ASSERT_EQ(nu_is_nonblock(sv[0]), 1);
    ASSERT_EQ(nu_is_nonblock(sv[1]), 0);
    ASSERT_EQ(nu_is_cloexec(sv[0]), 1);
    ASSERT_EQ(nu_is_cloexec(sv[1]), 1);
    ASSERT_EQ(nu_sockopt_int(sv[0], SOL_SOCKET, SO_DOMAIN), AF_UNIX);
    ASSERT_EQ(nu_sockopt_int(sv[1], SOL_SOCKET, SO_TYPE), type);
    ASSERT_EQ(write(sv[1], "s", 1), 1);
    ASSERT_EQ(read(sv[0], &c, 1), 1);
    ASSERT_EQ(write(sv[0], "t", 1), 1);
    ASSERT_EQ(read(sv[1], &c, 1), 1);
    ASSERT_EQ(c, 't');
    ASSERT_EQ(read(sv[0], &c, 1), -1);
    ASSERT_EQ(errno, EAGAIN);
    close(sv[0]);
    close(sv[1]);
  }
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, sv, 0, UV_NONBLOCK_PIPE));
  ASSERT_EQ(nu_is_nonblock(sv[0]), 0);
  ASSERT_EQ(nu_is_nonblock(sv[1]), 1);
  close(sv[0]);
  close(sv[1]);
  /* A protocol AF_UNIX does not have. */
  ASSERT_EQ(uv_socketpair(SOCK_STREAM, 12345, sv, 0, 0), UV_EPROTONOSUPPORT);
}

/* ---- close unlinks, listen rules, many clients ------------------------------------------- */

TEST(pipe_close_unlinks_bound_path) {
  uv_loop_t loop;
  uv_pipe_t p;
  char path[108];

  nu_sock_path(path, sizeof(path), "pipe-unlink");
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_OK(uv_pipe_bind(&p, path));
  ASSERT_EQ(pipe_path_exists(path), 1);
  uv_close((uv_handle_t*) &p, NULL);
  /* Removed by uv_close itself, before the close callback. */
  ASSERT_EQ(pipe_path_exists(path), 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(pipe_listen_refusals) {
  uv_loop_t loop;
  uv_pipe_t unbound;
  uv_pipe_t ipc;
  char path[108];

  nu_sock_path(path, sizeof(path), "pipe-ipc-listen");
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &unbound, 0));
  ASSERT_EQ(uv_listen((uv_stream_t*) &unbound, 8, pipe_accept_close_cb), UV_EINVAL);
  /* An IPC pipe passes handles; it does not listen. */
  ASSERT_OK(uv_pipe_init(&loop, &ipc, 1));
  ASSERT_OK(uv_pipe_bind(&ipc, path));
  ASSERT_EQ(uv_listen((uv_stream_t*) &ipc, 8, pipe_accept_close_cb), UV_EINVAL);
  nu_loop_finish(&loop);
}

static struct {
  uv_pipe_t conns[8];
  int n;
} pm;

static void pm_connection_cb(uv_stream_t* server, int status) {
  ASSERT_OK(status);
  ASSERT_LT(pm.n, 8);
  ASSERT_OK(uv_pipe_init(server->loop, &pm.conns[pm.n], 0));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) &pm.conns[pm.n]));
  pm.n++;
}

TEST(pipe_accepts_every_pending_client) {
  uv_loop_t loop;
  uv_pipe_t server;
  struct sockaddr_un sa;
  char path[108];
  int fds[8];
  int i;

  memset(&pm, 0, sizeof(pm));
  nu_sock_path(path, sizeof(path), "pipe-many");
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &server, 0));
  ASSERT_OK(uv_pipe_bind(&server, path));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 16, pm_connection_cb));
  uv_pipe_pending_instances(&server, 4);   /* Windows only: no effect */
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, path, strlen(path));
  for (i = 0; i < 8; i++) {
    fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fds[i], 0);
    ASSERT_OK(connect(fds[i], (struct sockaddr*) &sa, sizeof(sa)));
  }
  for (i = 0; i < 100 && pm.n < 8; i++)
    uv_run(&loop, UV_RUN_NOWAIT);
  ASSERT_EQ(pm.n, 8);
  /* Each accepted end talks to its own client, in order. */
  for (i = 0; i < 8; i++) {
    char c = (char) ('a' + i);
    char got = 0;
    ASSERT_EQ(write(fds[i], &c, 1), 1);
    ASSERT_EQ(read(nu_fileno(&pm.conns[i]), &got, 1), 1);
    ASSERT_EQ(got, c);
  }
  nu_loop_finish(&loop);
  for (i = 0; i < 8; i++)
    close(fds[i]);
}
