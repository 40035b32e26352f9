/* Helpers shared by the stream, TCP, pipe and IPC tests (test_stream.c,
 * test_tcp.c, test_pipe.c, test_ipc.c).
 *
 * Everything here is "static inline" so a test file that does not use a
 * helper gets no unused-function warning.
 *
 * Conventions: TCP servers bind 127.0.0.1 port 0 (the kernel picks the port,
 * read back with uv_tcp_getsockname); socket paths live under /tmp and carry
 * the pid, so parallel runs never collide.  Include after "test.h" and
 * <uv.h>. */
#ifndef RSUV_NET_UTIL_H_
#define RSUV_NET_UTIL_H_

#include "test.h"

/* <uv.h> is not included here: the test file includes it first.  (rsuv's
 * generated uv.h cannot be included twice in C++ at the moment: its include
 * guard closes before the API declarations and the C++ uv_tty_set_mode
 * overload, which is then defined twice.) */
#ifndef UV_VERSION_HEX
#error "include <uv.h> before net_util.h"
#endif

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Functions newer than Debian's libuv 1.44.2 header. */
#if UV_VERSION_HEX >= 0x012e00
#define NU_HAVE_PIPE_BIND2 1      /* uv_pipe_bind2/connect2, UV_PIPE_NO_TRUNCATE (1.46) */
#endif
#if UV_VERSION_HEX >= 0x013000
#define NU_HAVE_KEEPALIVE_EX 1    /* uv_tcp_keepalive_ex (1.48) */
#endif

/* UV_TCP_REUSEPORT (1.49) is an enum member, not a macro: its ABI value is 2.
 * The library under test is always 1.52.1, so the flag is usable even when
 * the header is older. */
#if UV_VERSION_HEX >= 0x013100
#define NU_TCP_REUSEPORT ((unsigned int) UV_TCP_REUSEPORT)
#else
#define NU_TCP_REUSEPORT 2u
#endif

/* ---- addresses and raw sockets -------------------------------------------- */

static inline void nu_addr4(struct sockaddr_in* a, int port) {
  ASSERT_OK(uv_ip4_addr("127.0.0.1", port, a));
}

/* The port of a sockaddr_in / sockaddr_in6. */
static inline int nu_sa_port(const struct sockaddr_storage* ss) {
  if (ss->ss_family == AF_INET6)
    return ntohs(((const struct sockaddr_in6*) ss)->sin6_port);
  ASSERT_EQ(ss->ss_family, AF_INET);
  return ntohs(((const struct sockaddr_in*) ss)->sin_port);
}

static inline int nu_tcp_port(const uv_tcp_t* h) {
  struct sockaddr_storage ss;
  int len = (int) sizeof(ss);
  ASSERT_OK(uv_tcp_getsockname(h, (struct sockaddr*) &ss, &len));
  return nu_sa_port(&ss);
}

static inline int nu_tcp_peer_port(const uv_tcp_t* h) {
  struct sockaddr_storage ss;
  int len = (int) sizeof(ss);
  ASSERT_OK(uv_tcp_getpeername(h, (struct sockaddr*) &ss, &len));
  return nu_sa_port(&ss);
}

static inline int nu_fd_port(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  ASSERT_OK(getsockname(fd, (struct sockaddr*) &ss, &len));
  return nu_sa_port(&ss);
}

/* A blocking TCP socket connected to 127.0.0.1:port. */
static inline int nu_raw_connect(int port) {
  struct sockaddr_in a;
  int fd;
  nu_addr4(&a, port);
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  ASSERT_OK(connect(fd, (struct sockaddr*) &a, sizeof(a)));
  return fd;
}

/* A raw listening socket on 127.0.0.1, port 0; returns the fd. */
static inline int nu_raw_listener(int backlog, int* port) {
  struct sockaddr_in a;
  int fd;
  nu_addr4(&a, 0);
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  ASSERT_OK(bind(fd, (struct sockaddr*) &a, sizeof(a)));
  ASSERT_OK(listen(fd, backlog));
  *port = nu_fd_port(fd);
  return fd;
}

/* A loopback port nobody listens on (bound once by us, then released). */
static inline int nu_closed_port(void) {
  struct sockaddr_in a;
  int fd;
  int port;
  nu_addr4(&a, 0);
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  ASSERT_OK(bind(fd, (struct sockaddr*) &a, sizeof(a)));
  port = nu_fd_port(fd);
  ASSERT_OK(close(fd));
  return port;
}

static inline int nu_have_ipv6(void) {
  struct sockaddr_in6 a;
  int fd;
  int ok;
  fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return 0;
  memset(&a, 0, sizeof(a));
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  ok = bind(fd, (struct sockaddr*) &a, sizeof(a)) == 0;
  close(fd);
  return ok;
}

/* Number of connections waiting in a listening TCP socket's accept queue. */
static inline int nu_accept_queue_len(int listen_fd) {
  struct tcp_info ti;
  socklen_t len = sizeof(ti);
  memset(&ti, 0, sizeof(ti));
  ASSERT_OK(getsockopt(listen_fd, IPPROTO_TCP, TCP_INFO, &ti, &len));
  return (int) ti.tcpi_unacked;   /* sk_ack_backlog for a listener */
}

/* Waits (up to ms) until the accept queue holds n connections. */
static inline void nu_wait_accept_queue(int listen_fd, int n, int ms) {
  int i;
  for (i = 0; i < ms; i++) {
    if (nu_accept_queue_len(listen_fd) >= n)
      return;
    usleep(1000);
  }
  TEST_FAIL("accept queue never reached %d (has %d)", n,
            nu_accept_queue_len(listen_fd));
}

static inline int nu_sockopt_int(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof(v);
  ASSERT_OK(getsockopt(fd, level, name, &v, &len));
  return v;
}

/* ---- fds --------------------------------------------------------------------- */

static inline int nu_is_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  ASSERT_NE(fl, -1);
  return (fl & O_NONBLOCK) != 0;
}

static inline int nu_is_cloexec(int fd) {
  int fl = fcntl(fd, F_GETFD);
  ASSERT_NE(fl, -1);
  return (fl & FD_CLOEXEC) != 0;
}

static inline int nu_fd_is_open(int fd) {
  return fcntl(fd, F_GETFD) != -1;
}

static inline int nu_fileno(const void* handle) {
  uv_os_fd_t fd = -1;
  ASSERT_OK(uv_fileno((const uv_handle_t*) handle, &fd));
  ASSERT_GE(fd, 0);
  return fd;
}

/* Open descriptors of this process, from /proc/self/fd. */
static inline int nu_count_fds(void) {
  DIR* d;
  struct dirent* e;
  int n = 0;
  d = opendir("/proc/self/fd");
  ASSERT_NOT_NULL(d);
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.')
      n++;
  closedir(d);
  return n - 1;   /* the directory's own fd */
}

/* Reads exactly n bytes from a blocking or non-blocking fd, waiting at most
 * ms in total; returns the bytes read (less on EOF/timeout). */
static inline size_t nu_read_n(int fd, void* buf, size_t n, int ms) {
  size_t got = 0;
  uint64_t deadline = uv_hrtime() + (uint64_t) ms * 1000000u;
  while (got < n) {
    struct pollfd p;
    ssize_t r;
    uint64_t now = uv_hrtime();
    if (now >= deadline)
      break;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, (int) ((deadline - now) / 1000000u) + 1) <= 0)
      continue;
    r = read(fd, (char*) buf + got, n - got);
    if (r == 0)
      break;
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      break;
    }
    got += (size_t) r;
  }
  return got;
}

static inline void nu_write_all(int fd, const void* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = write(fd, (const char*) buf + done, n - done);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) {
      struct pollfd p;
      p.fd = fd;
      p.events = POLLOUT;
      p.revents = 0;
      poll(&p, 1, 100);
      continue;
    }
    ASSERT_GT(r, 0);
    done += (size_t) r;
  }
}

/* Waits until fd reports end of file (read returns 0) or a reset, at most
 * ms; returns 0 on EOF, the negative errno on reset, 1 on timeout/data. */
static inline int nu_wait_closed(int fd, int ms) {
  char c;
  struct pollfd p;
  ssize_t r;
  p.fd = fd;
  p.events = POLLIN;
  p.revents = 0;
  if (poll(&p, 1, ms) <= 0)
    return 1;
  r = read(fd, &c, 1);
  if (r == 0)
    return 0;
  if (r < 0)
    return -errno;
  return 1;
}

static inline void nu_ignore_sigpipe(void) {
  signal(SIGPIPE, SIG_IGN);
}

/* "/tmp/rsuv-<tag>-<pid>.sock" */
static inline void nu_sock_path(char* buf, size_t size, const char* tag) {
  int n = snprintf(buf, size, "/tmp/rsuv-%s-%d.sock", tag, (int) getpid());
  ASSERT_GT(n, 0);
  ASSERT_LT(n, (long long) size);
  unlink(buf);
}

/* ---- data patterns ----------------------------------------------------------- */

/* Byte i of a stream with the given seed: not periodic over small spans, so
 * reordered, lost or duplicated chunks are caught. */
static inline unsigned char nu_pat(size_t i, unsigned seed) {
  uint32_t x = (uint32_t) i * 2654435761u + seed * 40503u;
  x ^= x >> 15;
  x ^= (uint32_t) (i >> 13);
  return (unsigned char) (x ^ (x >> 8));
}

static inline void nu_fill(unsigned char* p, size_t n, size_t off, unsigned seed) {
  size_t i;
  for (i = 0; i < n; i++)
    p[i] = nu_pat(off + i, seed);
}

/* Index of the first byte that differs from the pattern, or n. */
static inline size_t nu_check(const unsigned char* p, size_t n, size_t off,
                              unsigned seed) {
  size_t i;
  for (i = 0; i < n; i++)
    if (p[i] != nu_pat(off + i, seed))
      return i;
  return n;
}

/* ---- loop helpers ------------------------------------------------------------ */

static inline void nu_alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void) h;
  buf->base = (char*) malloc(suggested);
  ASSERT_NOT_NULL(buf->base);
  buf->len = suggested;
}

static inline void nu_close_walk_cb(uv_handle_t* h, void* arg) {
  (void) arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

/* Closes whatever is still open, runs the loop dry and closes it. */
static inline void nu_loop_finish(uv_loop_t* loop) {
  uv_walk(loop, nu_close_walk_cb, NULL);
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(loop));
}

/* For handles allocated with malloc. */
static inline void nu_free_close_cb(uv_handle_t* h) {
  free(h);
}

/* A connection callback that accepts and closes at once. */
static inline void nu_accept_close_cb(uv_stream_t* server, int status) {
  uv_tcp_t* c;
  ASSERT_OK(status);
  c = (uv_tcp_t*) malloc(sizeof(*c));
  ASSERT_NOT_NULL(c);
  ASSERT_OK(uv_tcp_init(server->loop, c));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) c));
  uv_close((uv_handle_t*) c, nu_free_close_cb);
}

static inline void nu_flag_close_cb(uv_handle_t* h) {
  int* flag = (int*) h->data;
  if (flag != NULL)
    (*flag)++;
}

/* A connected TCP pair on one loop: *client connected to 127.0.0.1, *peer the
 * server side, accepted.  sndbuf/rcvbuf (when > 0) are set on the client
 * before it connects and on the listening socket (the accepted socket
 * inherits them), so both directions have small kernel buffers. */
struct nu_pair_ctx {
  uv_tcp_t* peer;
  int accepted;
  int connected;
  int server_closed;
};

static inline void nu_pair_connection_cb(uv_stream_t* server, int status) {
  struct nu_pair_ctx* c = (struct nu_pair_ctx*) server->data;
  ASSERT_OK(status);
  ASSERT_EQ(c->accepted, 0);
  ASSERT_OK(uv_tcp_init(server->loop, c->peer));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) c->peer));
  c->accepted = 1;
}

static inline void nu_pair_connect_cb(uv_connect_t* req, int status) {
  struct nu_pair_ctx* c = (struct nu_pair_ctx*) req->data;
  ASSERT_OK(status);
  c->connected = 1;
}

static inline void nu_pair_server_close_cb(uv_handle_t* h) {
  struct nu_pair_ctx* c = (struct nu_pair_ctx*) h->data;
  c->server_closed = 1;
}

static inline void nu_tcp_pair(uv_loop_t* loop, uv_tcp_t* client, uv_tcp_t* peer,
                               int sndbuf, int rcvbuf) {
  uv_tcp_t server;
  uv_connect_t req;
  struct sockaddr_in a;
  struct nu_pair_ctx c;
  int v;

  memset(&c, 0, sizeof(c));
  c.peer = peer;
  nu_addr4(&a, 0);
  ASSERT_OK(uv_tcp_init(loop, &server));
  server.data = &c;
  ASSERT_OK(uv_tcp_bind(&server, (const struct sockaddr*) &a, 0));
  if (rcvbuf > 0) {
    v = rcvbuf;
    ASSERT_OK(uv_recv_buffer_size((uv_handle_t*) &server, &v));
  }
  if (sndbuf > 0) {
    v = sndbuf;
    ASSERT_OK(uv_send_buffer_size((uv_handle_t*) &server, &v));
  }
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 16, nu_pair_connection_cb));
  nu_addr4(&a, nu_tcp_port(&server));

  ASSERT_OK(uv_tcp_init_ex(loop, client, AF_INET));
  if (sndbuf > 0) {
    v = sndbuf;
    ASSERT_OK(uv_send_buffer_size((uv_handle_t*) client, &v));
  }
  if (rcvbuf > 0) {
    v = rcvbuf;
    ASSERT_OK(uv_recv_buffer_size((uv_handle_t*) client, &v));
  }
  req.data = &c;
  ASSERT_OK(uv_tcp_connect(&req, client, (const struct sockaddr*) &a,
                           nu_pair_connect_cb));
  while (!c.accepted || !c.connected)
    uv_run(loop, UV_RUN_ONCE);
  uv_close((uv_handle_t*) &server, nu_pair_server_close_cb);
  while (!c.server_closed)
    uv_run(loop, UV_RUN_NOWAIT);
  client->data = NULL;
  peer->data = NULL;
}

#endif /* RSUV_NET_UTIL_H_ */
