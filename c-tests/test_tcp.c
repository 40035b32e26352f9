/* TCP handles: connect (refused, cancelled by close, writes queued before
 * the connection), bind errors (EADDRINUSE deferred to listen/connect),
 * IPv6, uv_tcp_init_ex, uv_tcp_open, socket options, names,
 * uv_tcp_close_reset, accepting (draining, one connection per loop
 * iteration, pausing while the program does not accept, EMFILE), and
 * UV_TCP_REUSEPORT across two loops.
 *
 * Every expectation was checked against libuv 1.52.1.  Notably, since libuv
 * 1.45 a listening socket accepts one connection per readiness: with several
 * connections pending, each loop iteration delivers one; and an accept error
 * (EMFILE included) never reaches the connection callback. */
#include "test.h"

#include <uv.h>

#include "net_util.h"

#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

static void tcp_stop_timer_cb(uv_timer_t* t) {
  uv_stop(t->loop);
}

/* Runs the loop for about ms milliseconds. */
static void tcp_run_for(uv_loop_t* loop, uint64_t ms) {
  uv_timer_t t;
  ASSERT_OK(uv_timer_init(loop, &t));
  ASSERT_OK(uv_timer_start(&t, tcp_stop_timer_cb, ms, 0));
  uv_run(loop, UV_RUN_DEFAULT);
  uv_close((uv_handle_t*) &t, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
}

/* ---- connect errors --------------------------------------------------------- */

static struct {
  int in_call;
  int iterations;        /* check-phase count */
  int iteration_at_cb;
  int connect_calls;
  int connect_status;
  char events[16];
  int nevents;
} cn;

static void cn_event(char c) {
  ASSERT_LT(cn.nevents, 15);
  cn.events[cn.nevents++] = c;
}

static void cn_check_cb(uv_check_t* h) {
  (void) h;
  cn.iterations++;
}

static void cn_connect_cb(uv_connect_t* req, int status) {
  (void) req;
  ASSERT_EQ(cn.in_call, 0);
  cn.connect_calls++;
  cn.connect_status = status;
  cn.iteration_at_cb = cn.iterations;
  cn_event('c');
}

static void cn_write_cb(uv_write_t* req, int status) {
  (void) req;
  ASSERT_EQ(cn.in_call, 0);
  ASSERT_EQ(status, UV_ECANCELED);
  cn_event('w');
}

static void cn_close_cb(uv_handle_t* h) {
  (void) h;
  cn_event('x');
}

TEST(tcp_connect_refused_in_later_iteration) {
  uv_loop_t loop;
  uv_tcp_t c;
  uv_connect_t req;
  uv_write_t w;
  uv_check_t check;
  uv_buf_t b;
  struct sockaddr_in a;

  memset(&cn, 0, sizeof(cn));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_check_init(&loop, &check));
  ASSERT_OK(uv_check_start(&check, cn_check_cb));
  uv_unref((uv_handle_t*) &check);
  nu_addr4(&a, nu_closed_port());
  ASSERT_OK(uv_tcp_init(&loop, &c));
  cn.in_call = 1;
  ASSERT_OK(uv_tcp_connect(&req, &c, (const struct sockaddr*) &a, cn_connect_cb));
  /* A write queued before the connection exists. */
  b = uv_buf_init((char*) "early", 5);
  ASSERT_OK(uv_write(&w, (uv_stream_t*) &c, &b, 1, cn_write_cb));
  cn.in_call = 0;
  ASSERT(req.handle == (uv_stream_t*) &c);
  ASSERT_EQ(uv_req_get_type((uv_req_t*) &req), UV_CONNECT);
  ASSERT_EQ(cn.connect_calls, 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(cn.connect_calls, 1);
  ASSERT_EQ(cn.connect_status, UV_ECONNREFUSED);
  ASSERT_EQ(cn.iteration_at_cb, 0);     /* in the first iteration, after the call */
  /* The refused connection cancels the queued write, after the callback. */
  ASSERT_STR_EQ(cn.events, "cw");
  ASSERT_U64_EQ(uv_stream_get_write_queue_size((uv_stream_t*) &c), 0);
  uv_close((uv_handle_t*) &c, cn_close_cb);
  nu_loop_finish(&loop);
  ASSERT_STR_EQ(cn.events, "cwx");
}

/* Closing right after uv_tcp_connect (the request still pending for the
 * program): the connect callback gets UV_ECANCELED, then the queued write is
 * cancelled, then the close callback runs. */
TEST(tcp_close_while_connecting_cancels) {
  uv_loop_t loop;
  uv_tcp_t server;
  uv_tcp_t c;
  uv_connect_t req;
  uv_write_t w;
  uv_buf_t b;
  struct sockaddr_in a;

  memset(&cn, 0, sizeof(cn));
  ASSERT_OK(uv_loop_init(&loop));
  nu_addr4(&a, 0);
  ASSERT_OK(uv_tcp_init(&loop, &server));
  ASSERT_OK(uv_tcp_bind(&server, (const struct sockaddr*) &a, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 8, nu_accept_close_cb));
  nu_addr4(&a, nu_tcp_port(&server));
  ASSERT_OK(uv_tcp_init(&loop, &c));
  ASSERT_OK(uv_tcp_connect(&req, &c, (const struct sockaddr*) &a, cn_connect_cb));
  b = uv_buf_init((char*) "x", 1);
  ASSERT_OK(uv_write(&w, (uv_stream_t*) &c, &b, 1, cn_write_cb));
  cn.in_call = 1;
  uv_close((uv_handle_t*) &c, cn_close_cb);
  cn.in_call = 0;
  ASSERT_EQ(cn.nevents, 0);
  uv_close((uv_handle_t*) &server, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(cn.connect_status, UV_ECANCELED);
  ASSERT_STR_EQ(cn.events, "cwx");
  ASSERT_OK(uv_loop_close(&loop));
}

/* A connection the kernel cannot complete (the server's accept queue is
 * full, so its SYNs are dropped), closed while still in progress. */
static void cn_close_timer_cb(uv_timer_t* t) {
  uv_tcp_t* c = (uv_tcp_t*) t->data;
  /* Still connecting after 200 ms. */
  ASSERT_EQ(cn.connect_calls, 0);
  uv_close((uv_handle_t*) c, cn_close_cb);
  uv_close((uv_handle_t*) t, NULL);
}

TEST(tcp_close_pending_connect_cancels) {
  uv_loop_t loop;
  uv_tcp_t c;
  uv_connect_t req;
  uv_connect_t req2;
  uv_timer_t t;
  struct sockaddr_in a;
  int port;
  int lfd;
  int filler;

  memset(&cn, 0, sizeof(cn));
  lfd = nu_raw_listener(0, &port);
  filler = nu_raw_connect(port);      /* takes the only slot of the queue */
  nu_wait_accept_queue(lfd, 1, 2000);
  ASSERT_OK(uv_loop_init(&loop));
  nu_addr4(&a, port);
  ASSERT_OK(uv_tcp_init(&loop, &c));
  ASSERT_OK(uv_tcp_connect(&req, &c, (const struct sockaddr*) &a, cn_connect_cb));
  /* One connect at a time. */
  ASSERT_EQ(uv_tcp_connect(&req2, &c, (const struct sockaddr*) &a, cn_connect_cb),
            UV_EALREADY);
  ASSERT_OK(uv_timer_init(&loop, &t));
  t.data = &c;
  ASSERT_OK(uv_timer_start(&t, cn_close_timer_cb, 200, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(cn.connect_calls, 1);
  ASSERT_EQ(cn.connect_status, UV_ECANCELED);
  ASSERT_STR_EQ(cn.events, "cx");
  ASSERT_OK(uv_loop_close(&loop));
  close(filler);
  close(lfd);
}

/* ---- writes queued while connecting ------------------------------------------- */

static struct {
  uv_tcp_t server;
  uv_tcp_t conn;
  char got[32];
  size_t ngot;
  char events[8];
  int nevents;
} wq;

static void wq_read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    ASSERT_U64_LE(wq.ngot + (size_t) nread, sizeof(wq.got));
    memcpy(wq.got + wq.ngot, buf->base, (size_t) nread);
    wq.ngot += (size_t) nread;
  } else if (nread == UV_EOF) {
    uv_close((uv_handle_t*) s, NULL);
    uv_close((uv_handle_t*) &wq.server, NULL);
  }
  free(buf->base);
}

static void wq_connection_cb(uv_stream_t* server, int status) {
  ASSERT_OK(status);
  ASSERT_OK(uv_tcp_init(server->loop, &wq.conn));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) &wq.conn));
  ASSERT_OK(uv_read_start((uv_stream_t*) &wq.conn, nu_alloc_cb, wq_read_cb));
}

static void wq_connect_cb(uv_connect_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  wq.events[wq.nevents++] = 'c';
}

static void wq_write_cb(uv_write_t* req, int status) {
  ASSERT_OK(status);
  wq.events[wq.nevents++] = 'w';
  uv_close((uv_handle_t*) req->handle, NULL);
}

TEST(tcp_write_while_connecting_is_queued) {
  uv_loop_t loop;
  uv_tcp_t c;
  uv_connect_t req;
  uv_write_t w;
  uv_buf_t b[2];
  struct sockaddr_in a;

  memset(&wq, 0, sizeof(wq));
  ASSERT_OK(uv_loop_init(&loop));
  nu_addr4(&a, 0);
  ASSERT_OK(uv_tcp_init(&loop, &wq.server));
  ASSERT_OK(uv_tcp_bind(&wq.server, (const struct sockaddr*) &a, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &wq.server, 8, wq_connection_cb));
  nu_addr4(&a, nu_tcp_port(&wq.server));
  ASSERT_OK(uv_tcp_init(&loop, &c));
  ASSERT_OK(uv_tcp_connect(&req, &c, (const struct sockaddr*) &a, wq_connect_cb));
  b[0] = uv_buf_init((char*) "early ", 6);
  b[1] = uv_buf_init((char*) "bird", 4);
  ASSERT_OK(uv_write(&w, (uv_stream_t*) &c, b, 2, wq_write_cb));
  /* Nothing is written before the connection completes. */
  ASSERT_U64_EQ(uv_stream_get_write_queue_size((uv_stream_t*) &c), 10);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_STR_EQ(wq.events, "cw");
  ASSERT_U64_EQ(wq.ngot, 10);
  ASSERT(memcmp(wq.got, "early bird", 10) == 0);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- bind ----------------------------------------------------------------------- */

TEST(tcp_bind_eaddrinuse_reported_by_listen_and_connect) {
  uv_loop_t loop;
  uv_tcp_t server;
  uv_tcp_t h2;
  uv_tcp_t h3;
  uv_connect_t req;
  struct sockaddr_in a;
  struct sockaddr_storage ss;
  int len;
  int port;

  memset(&cn, 0, sizeof(cn));
  ASSERT_OK(uv_loop_init(&loop));
  nu_addr4(&a, 0);
  ASSERT_OK(uv_tcp_init(&loop, &server));
  ASSERT_OK(uv_tcp_bind(&server, (const struct sockaddr*) &a, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 8, nu_accept_close_cb));
  port = nu_tcp_port(&server);
  nu_addr4(&a, port);

  /* The port is taken: bind says nothing, listen says EADDRINUSE. */
  ASSERT_OK(uv_tcp_init(&loop, &h2));
  ASSERT_OK(uv_tcp_bind(&h2, (const struct sockaddr*) &a, 0));
  len = (int) sizeof(ss);
  ASSERT_EQ(uv_tcp_getsockname(&h2, (struct sockaddr*) &ss, &len), UV_EADDRINUSE);
  ASSERT_EQ(uv_listen((uv_stream_t*) &h2, 8, nu_accept_close_cb), UV_EADDRINUSE);

  /* ...and connect reports it through the callback. */
  ASSERT_OK(uv_tcp_init(&loop, &h3));
  ASSERT_OK(uv_tcp_bind(&h3, (const struct sockaddr*) &a, 0));
  cn.in_call = 1;
  ASSERT_OK(uv_tcp_connect(&req, &h3, (const struct sockaddr*) &a, cn_connect_cb));
  cn.in_call = 0;
  ASSERT_EQ(cn.connect_calls, 0);
  uv_run(&loop, UV_RUN_NOWAIT);
  ASSERT_EQ(cn.connect_calls, 1);
  ASSERT_EQ(cn.connect_status, UV_EADDRINUSE);
  nu_loop_finish(&loop);
}

TEST(tcp_bind_errors) {
  uv_loop_t loop;
  uv_tcp_t h;
  uv_tcp_t h4;
  uv_tcp_t hv6;
  uv_tcp_t hc;
  struct sockaddr_in a;
  struct sockaddr_in6 a6;
  struct sockaddr_un un;
  int port;

  ASSERT_OK(uv_loop_init(&loop));
  nu_addr4(&a, 0);
  ASSERT_OK(uv_tcp_init(&loop, &h));
  /* Only IPv4 and IPv6 addresses. */
  memset(&un, 0, sizeof(un));
  un.sun_family = AF_UNIX;
  ASSERT_EQ(uv_tcp_bind(&h, (const struct sockaddr*) &un, 0), UV_EINVAL);
  /* IPv6-only makes no sense for IPv4. */
  ASSERT_EQ(uv_tcp_bind(&h, (const struct sockaddr*) &a, UV_TCP_IPV6ONLY), UV_EINVAL);
  {
    uv_os_fd_t fd;
    ASSERT_EQ(uv_fileno((uv_handle_t*) &h, &fd), UV_EBADF);   /* no socket made */
  }
  ASSERT_OK(uv_tcp_bind(&h, (const struct sockaddr*) &a, 0));
  port = nu_tcp_port(&h);
  ASSERT_GT(port, 0);
  /* A bound socket cannot be bound again. */
  ASSERT_EQ(uv_tcp_bind(&h, (const struct sockaddr*) &a, 0), UV_EINVAL);
  ASSERT_EQ(nu_tcp_port(&h), port);

  /* An address this host does not have (TEST-NET-1). */
  ASSERT_OK(uv_tcp_init(&loop, &h4));
  ASSERT_OK(uv_ip4_addr("192.0.2.1", 0, &a));
  ASSERT_EQ(uv_tcp_bind(&h4, (const struct sockaddr*) &a, 0), UV_EADDRNOTAVAIL);

  /* An IPv4 socket and an IPv6 address: setting IPV6_V6ONLY (on or off, as
   * libuv does for every IPv6 bind) fails first. */
  ASSERT_OK(uv_tcp_init_ex(&loop, &hv6, AF_INET));
  ASSERT_OK(uv_ip6_addr("::1", 0, &a6));
  ASSERT_EQ(uv_tcp_bind(&hv6, (const struct sockaddr*) &a6, 0), UV_ENOPROTOOPT);

  /* Closing. */
  ASSERT_OK(uv_tcp_init(&loop, &hc));
  uv_close((uv_handle_t*) &hc, NULL);
  nu_addr4(&a, 0);
  ASSERT_EQ(uv_tcp_bind(&hc, (const struct sockaddr*) &a, 0), UV_EINVAL);
  nu_loop_finish(&loop);
}

/* ---- IPv6 ------------------------------------------------------------------------ */

static struct {
  uv_tcp_t server;
  uv_tcp_t conn;
  uv_tcp_t client;
  uv_connect_t req;
  uv_write_t w;
  uv_write_t echo;
  char echo_buf[64];
  char got[64];
  size_t ngot;
  int client_port_seen_by_server;
} v6;

static void v6_echo_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    uv_buf_t b;
    ASSERT_U64_LE((size_t) nread, sizeof(v6.echo_buf));
    memcpy(v6.echo_buf, buf->base, (size_t) nread);
    b = uv_buf_init(v6.echo_buf, (unsigned int) nread);
    ASSERT_OK(uv_write(&v6.echo, s, &b, 1, NULL));
  } else if (nread < 0) {
    ASSERT_EQ(nread, UV_EOF);
    uv_close((uv_handle_t*) s, NULL);
    uv_close((uv_handle_t*) &v6.server, NULL);
  }
  free(buf->base);
}

static void v6_connection_cb(uv_stream_t* server, int status) {
  struct sockaddr_storage ss;
  int len = (int) sizeof(ss);
  ASSERT_OK(status);
  ASSERT_OK(uv_tcp_init(server->loop, &v6.conn));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) &v6.conn));
  ASSERT_OK(uv_tcp_getpeername(&v6.conn, (struct sockaddr*) &ss, &len));
  ASSERT_EQ(ss.ss_family, AF_INET6);
  ASSERT_EQ(len, (int) sizeof(struct sockaddr_in6));
  ASSERT(IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6*) &ss)->sin6_addr));
  v6.client_port_seen_by_server = nu_sa_port(&ss);
  ASSERT_OK(uv_read_start((uv_stream_t*) &v6.conn, nu_alloc_cb, v6_echo_read));
}

static void v6_client_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    memcpy(v6.got + v6.ngot, buf->base, (size_t) nread);
    v6.ngot += (size_t) nread;
    if (v6.ngot == 6)
      uv_close((uv_handle_t*) s, NULL);
  }
  free(buf->base);
}

static void v6_connect_cb(uv_connect_t* req, int status) {
  struct sockaddr_storage ss;
  int len = (int) sizeof(ss);
  uv_buf_t b;
  ASSERT_OK(status);
  ASSERT_OK(uv_tcp_getpeername(&v6.client, (struct sockaddr*) &ss, &len));
  ASSERT_EQ(ss.ss_family, AF_INET6);
  ASSERT_EQ(nu_sa_port(&ss), nu_tcp_port(&v6.server));
  b = uv_buf_init((char*) "over 6", 6);
  ASSERT_OK(uv_write(&v6.w, req->handle, &b, 1, NULL));
  ASSERT_OK(uv_read_start(req->handle, nu_alloc_cb, v6_client_read));
}

TEST(tcp_ipv6_loopback_connect) {
  uv_loop_t loop;
  struct sockaddr_in6 a6;

  if (!nu_have_ipv6())
    TEST_SKIP("no IPv6 loopback");
  memset(&v6, 0, sizeof(v6));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_ip6_addr("::1", 0, &a6));
  ASSERT_OK(uv_tcp_init(&loop, &v6.server));
  ASSERT_OK(uv_tcp_bind(&v6.server, (const struct sockaddr*) &a6, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &v6.server, 8, v6_connection_cb));
  ASSERT_OK(uv_ip6_addr("::1", nu_tcp_port(&v6.server), &a6));
  ASSERT_OK(uv_tcp_init(&loop, &v6.client));
  ASSERT_OK(uv_tcp_connect(&v6.req, &v6.client, (const struct sockaddr*) &a6,
                           v6_connect_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_U64_EQ(v6.ngot, 6);
  ASSERT(memcmp(v6.got, "over 6", 6) == 0);
  ASSERT_GT(v6.client_port_seen_by_server, 0);
  ASSERT_OK(uv_loop_close(&loop));
}

static int v4_accepted;

static void v4_accept_close_cb(uv_stream_t* server, int status) {
  uv_tcp_t* c = (uv_tcp_t*) malloc(sizeof(*c));
  struct sockaddr_storage ss;
  int len = (int) sizeof(ss);
  ASSERT_OK(status);
  ASSERT_NOT_NULL(c);
  ASSERT_OK(uv_tcp_init(server->loop, c));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) c));
  /* An IPv4 client on a dual-stack socket: a v4-mapped IPv6 address. */
  ASSERT_OK(uv_tcp_getpeername(c, (struct sockaddr*) &ss, &len));
  ASSERT_EQ(ss.ss_family, AF_INET6);
  ASSERT(IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6*) &ss)->sin6_addr));
  v4_accepted++;
  uv_close((uv_handle_t*) c, nu_free_close_cb);
  uv_close((uv_handle_t*) server, NULL);
}

TEST(tcp_ipv6only_flag) {
  uv_loop_t loop;
  uv_tcp_t only;
  uv_tcp_t dual;
  struct sockaddr_in6 a6;
  int fd;

  if (!nu_have_ipv6())
    TEST_SKIP("no IPv6");
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_ip6_addr("::", 0, &a6));
  ASSERT_OK(uv_tcp_init(&loop, &only));
  ASSERT_OK(uv_tcp_bind(&only, (const struct sockaddr*) &a6, UV_TCP_IPV6ONLY));
  ASSERT_EQ(nu_sockopt_int(nu_fileno(&only), IPPROTO_IPV6, IPV6_V6ONLY), 1);
  ASSERT_OK(uv_tcp_init(&loop, &dual));
  ASSERT_OK(uv_tcp_bind(&dual, (const struct sockaddr*) &a6, 0));
  ASSERT_EQ(nu_sockopt_int(nu_fileno(&dual), IPPROTO_IPV6, IPV6_V6ONLY), 0);
  /* The dual-stack one takes IPv4 clients. */
  ASSERT_OK(uv_listen((uv_stream_t*) &dual, 8, v4_accept_close_cb));
  fd = nu_raw_connect(nu_tcp_port(&dual));
  uv_close((uv_handle_t*) &only, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(v4_accepted, 1);
  ASSERT_OK(uv_loop_close(&loop));
  close(fd);
}

/* ---- uv_tcp_init_ex ---------------------------------------------------------------- */

TEST(tcp_init_ex_creates_socket_eagerly) {
  uv_loop_t loop;
  uv_tcp_t h4;
  uv_tcp_t h6;
  uv_tcp_t hu;
  uv_tcp_t bad;
  uv_os_fd_t fd;
  int fd6;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tcp_init_ex(&loop, &h4, AF_INET));
  ASSERT_OK(uv_fileno((uv_handle_t*) &h4, &fd));
  ASSERT_EQ(nu_sockopt_int(fd, SOL_SOCKET, SO_DOMAIN), AF_INET);
  ASSERT_EQ(uv_guess_handle(fd), UV_TCP);
  ASSERT_EQ(nu_is_nonblock(fd), 1);
  ASSERT_EQ(nu_is_cloexec(fd), 1);
  /* Not bound yet: port 0. */
  ASSERT_EQ(nu_tcp_port(&h4), 0);

  fd6 = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd6 >= 0) {
    close(fd6);
    ASSERT_OK(uv_tcp_init_ex(&loop, &h6, AF_INET6));
    ASSERT_OK(uv_fileno((uv_handle_t*) &h6, &fd));
    ASSERT_EQ(nu_sockopt_int(fd, SOL_SOCKET, SO_DOMAIN), AF_INET6);
  }

  ASSERT_OK(uv_tcp_init_ex(&loop, &hu, AF_UNSPEC));
  ASSERT_EQ(uv_fileno((uv_handle_t*) &hu, &fd), UV_EBADF);

  /* Bad domains and flags: refused, the handle never joins the loop. */
  ASSERT_EQ(uv_tcp_init_ex(&loop, &bad, AF_UNIX), UV_EINVAL);
  ASSERT_EQ(uv_tcp_init_ex(&loop, &bad, AF_INET | 0x100), UV_EINVAL);
  ASSERT_EQ(uv_tcp_init_ex(&loop, &bad, 0x1ff00), UV_EINVAL);
  nu_loop_finish(&loop);
}

/* ---- uv_tcp_open ------------------------------------------------------------------- */

static struct {
  uv_tcp_t server;
  uv_tcp_t conn;
  uv_tcp_t client;
  uv_write_t w;
  uv_write_t echo;
  char echo_buf[16];
  char got[16];
  size_t ngot;
  int accepted;
} op;

static void op_echo_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    uv_buf_t b;
    memcpy(op.echo_buf, buf->base, (size_t) nread);
    b = uv_buf_init(op.echo_buf, (unsigned int) nread);
    ASSERT_OK(uv_write(&op.echo, s, &b, 1, NULL));
  } else if (nread < 0) {
    uv_close((uv_handle_t*) s, NULL);
  }
  free(buf->base);
}

static void op_connection_cb(uv_stream_t* server, int status) {
  ASSERT_OK(status);
  ASSERT_OK(uv_tcp_init(server->loop, &op.conn));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) &op.conn));
  ASSERT_OK(uv_read_start((uv_stream_t*) &op.conn, nu_alloc_cb, op_echo_read));
  op.accepted++;
}

static void op_client_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    memcpy(op.got + op.ngot, buf->base, (size_t) nread);
    op.ngot += (size_t) nread;
    if (op.ngot == 4) {
      uv_close((uv_handle_t*) s, NULL);
      uv_close((uv_handle_t*) &op.server, NULL);
    }
  }
  free(buf->base);
}

/* A program-made listening socket served by uv_tcp_open + uv_listen, and a
 * program-made connected socket used through uv_tcp_open. */
TEST(tcp_open_existing_sockets) {
  uv_loop_t loop;
  uv_tcp_t other;
  uv_tcp_t busy;
  uv_buf_t b;
  int lfd;
  int cfd;
  int spare;
  int port;

  memset(&op, 0, sizeof(op));
  ASSERT_OK(uv_loop_init(&loop));
  lfd = nu_raw_listener(8, &port);
  ASSERT_EQ(nu_is_nonblock(lfd), 0);
  ASSERT_OK(uv_tcp_init(&loop, &op.server));
  ASSERT_OK(uv_tcp_open(&op.server, lfd));
  ASSERT_EQ(nu_is_nonblock(lfd), 1);
  ASSERT_EQ(nu_tcp_port(&op.server), port);
  ASSERT_OK(uv_listen((uv_stream_t*) &op.server, 8, op_connection_cb));

  cfd = nu_raw_connect(port);
  ASSERT_EQ(nu_is_nonblock(cfd), 0);
  ASSERT_OK(uv_tcp_init(&loop, &op.client));
  ASSERT_OK(uv_tcp_open(&op.client, cfd));
  ASSERT_EQ(nu_is_nonblock(cfd), 1);
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &op.client), 1);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &op.client), 1);
  ASSERT_EQ(nu_tcp_peer_port(&op.client), port);
  ASSERT_OK(uv_read_start((uv_stream_t*) &op.client, nu_alloc_cb, op_client_read));

  /* The loop already watches cfd through op.client. */
  ASSERT_OK(uv_tcp_init(&loop, &other));
  ASSERT_EQ(uv_tcp_open(&other, cfd), UV_EEXIST);
  /* A handle that has a socket takes no other. */
  spare = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(spare, 0);
  ASSERT_OK(uv_tcp_init_ex(&loop, &busy, AF_INET));
  ASSERT_EQ(uv_tcp_open(&busy, spare), UV_EBUSY);

  b = uv_buf_init((char*) "ping", 4);
  ASSERT_OK(uv_write(&op.w, (uv_stream_t*) &op.client, &b, 1, NULL));
  uv_close((uv_handle_t*) &other, NULL);
  uv_close((uv_handle_t*) &busy, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(op.accepted, 1);
  ASSERT_U64_EQ(op.ngot, 4);
  ASSERT(memcmp(op.got, "ping", 4) == 0);
  ASSERT_OK(uv_loop_close(&loop));
  /* The handles owned and closed the sockets they were given. */
  ASSERT_EQ(nu_fd_is_open(lfd), 0);
  ASSERT_EQ(nu_fd_is_open(cfd), 0);
  ASSERT_EQ(nu_fd_is_open(spare), 1);
  close(spare);
}

/* ---- socket options ---------------------------------------------------------------- */

TEST(tcp_nodelay_keepalive_sockopts) {
  uv_loop_t loop;
  uv_tcp_t c;
  uv_tcp_t p;
  int fd;

  ASSERT_OK(uv_loop_init(&loop));
  nu_tcp_pair(&loop, &c, &p, 0, 0);
  fd = nu_fileno(&c);

  ASSERT_OK(uv_tcp_nodelay(&c, 1));
  ASSERT_EQ(nu_sockopt_int(fd, IPPROTO_TCP, TCP_NODELAY), 1);
  ASSERT_OK(uv_tcp_nodelay(&c, 0));
  ASSERT_EQ(nu_sockopt_int(fd, IPPROTO_TCP, TCP_NODELAY), 0);

  ASSERT_OK(uv_tcp_keepalive(&c, 1, 7));
  ASSERT_EQ(nu_sockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
  ASSERT_EQ(nu_sockopt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 7);
  /* uv_tcp_keepalive: probes every second, ten of them. */
  ASSERT_EQ(nu_sockopt_int(fd, IPPROTO_TCP, TCP_KEEPINTVL), 1);
  ASSERT_EQ(nu_sockopt_int(fd, IPPROTO_TCP, TCP_KEEPCNT), 10);
  ASSERT_OK(uv_tcp_keepalive(&c, 0, 0));
  ASSERT_EQ(nu_sockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
  /* A delay below one second is refused (since 1.49). */
  ASSERT_EQ(uv_tcp_keepalive(&c, 1, 0), UV_EINVAL);
  ASSERT_EQ(nu_sockopt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 7);

#ifdef NU_HAVE_KEEPALIVE_EX
  ASSERT_OK(uv_tcp_keepalive_ex(&c, 1, 11, 3, 4));
  ASSERT_EQ(nu_sockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
  ASSERT_EQ(nu_sockopt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 11);
  ASSERT_EQ(nu_sockopt_int(fd, IPPROTO_TCP, TCP_KEEPINTVL), 3);
  ASSERT_EQ(nu_sockopt_int(fd, IPPROTO_TCP, TCP_KEEPCNT), 4);
  ASSERT_EQ(uv_tcp_keepalive_ex(&c, 1, 0, 3, 4), UV_EINVAL);
  ASSERT_EQ(uv_tcp_keepalive_ex(&c, 1, 5, 0, 4), UV_EINVAL);
  ASSERT_EQ(uv_tcp_keepalive_ex(&c, 1, 5, 3, 0), UV_EINVAL);
  ASSERT_EQ(nu_sockopt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 11);
  /* Off: the other values do not matter. */
  ASSERT_OK(uv_tcp_keepalive_ex(&c, 0, 0, 0, 0));
  ASSERT_EQ(nu_sockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
#endif
  nu_loop_finish(&loop);
}

static void opt_connect_cb(uv_connect_t* req, int status) {
  ASSERT_OK(status);
  uv_close((uv_handle_t*) req->handle, NULL);
  uv_close((uv_handle_t*) req->data, NULL);
}

/* Options set before the socket exists are applied when it is made (the
 * keep-alive delay then is libuv's default, 60 s). */
TEST(tcp_options_before_socket_apply_on_connect) {
  uv_loop_t loop;
  uv_tcp_t server;
  uv_tcp_t c;
  uv_connect_t req;
  struct sockaddr_in a;
  uv_os_fd_t fd;
  int sfd;

  ASSERT_OK(uv_loop_init(&loop));
  nu_addr4(&a, 0);
  ASSERT_OK(uv_tcp_init(&loop, &server));
  ASSERT_OK(uv_tcp_bind(&server, (const struct sockaddr*) &a, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 8, nu_accept_close_cb));
  /* The server's own socket has neither option. */
  sfd = nu_fileno(&server);
  ASSERT_EQ(nu_sockopt_int(sfd, IPPROTO_TCP, TCP_NODELAY), 0);
  nu_addr4(&a, nu_tcp_port(&server));

  ASSERT_OK(uv_tcp_init(&loop, &c));
  ASSERT_OK(uv_tcp_nodelay(&c, 1));
  ASSERT_OK(uv_tcp_keepalive(&c, 1, 100));
  ASSERT_EQ(uv_fileno((uv_handle_t*) &c, &fd), UV_EBADF);
  req.data = &server;
  ASSERT_OK(uv_tcp_connect(&req, &c, (const struct sockaddr*) &a, opt_connect_cb));
  ASSERT_OK(uv_fileno((uv_handle_t*) &c, &fd));
  ASSERT_EQ(nu_sockopt_int(fd, IPPROTO_TCP, TCP_NODELAY), 1);
  ASSERT_EQ(nu_sockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
  ASSERT_EQ(nu_sockopt_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 60);
  ASSERT_EQ(nu_sockopt_int(fd, IPPROTO_TCP, TCP_KEEPINTVL), 1);
  ASSERT_EQ(nu_sockopt_int(fd, IPPROTO_TCP, TCP_KEEPCNT), 10);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(tcp_simultaneous_accepts_returns_zero) {
  uv_loop_t loop;
  uv_tcp_t h;
  uv_tcp_t c;
  uv_tcp_t p;
  struct sockaddr_in a;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tcp_init(&loop, &h));
  ASSERT_OK(uv_tcp_simultaneous_accepts(&h, 0));
  ASSERT_OK(uv_tcp_simultaneous_accepts(&h, 1));
  nu_addr4(&a, 0);
  ASSERT_OK(uv_tcp_bind(&h, (const struct sockaddr*) &a, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &h, 8, nu_accept_close_cb));
  ASSERT_OK(uv_tcp_simultaneous_accepts(&h, 0));
  ASSERT_OK(uv_tcp_simultaneous_accepts(&h, 1));
  uv_close((uv_handle_t*) &h, NULL);
  /* Servers still accept with it off. */
  nu_tcp_pair(&loop, &c, &p, 0, 0);
  nu_loop_finish(&loop);
}

/* ---- names ----------------------------------------------------------------------- */

TEST(tcp_getsockname_getpeername) {
  uv_loop_t loop;
  uv_tcp_t c;
  uv_tcp_t p;
  uv_tcp_t none;
  uv_tcp_t unconnected;
  struct sockaddr_storage ss;
  struct sockaddr_in* sin = (struct sockaddr_in*) &ss;
  int len;

  ASSERT_OK(uv_loop_init(&loop));
  nu_tcp_pair(&loop, &c, &p, 0, 0);
  ASSERT_EQ(nu_tcp_port(&c), nu_tcp_peer_port(&p));
  ASSERT_EQ(nu_tcp_peer_port(&c), nu_tcp_port(&p));
  ASSERT_NE(nu_tcp_port(&c), nu_tcp_port(&p));
  len = (int) sizeof(ss);
  memset(&ss, 0, sizeof(ss));
  ASSERT_OK(uv_tcp_getpeername(&c, (struct sockaddr*) &ss, &len));
  ASSERT_EQ(len, (int) sizeof(struct sockaddr_in));
  ASSERT_EQ(sin->sin_family, AF_INET);
  ASSERT_EQ(ntohl(sin->sin_addr.s_addr), INADDR_LOOPBACK);

  /* No socket: EBADF.  A socket, not connected: ENOTCONN for the peer. */
  ASSERT_OK(uv_tcp_init(&loop, &none));
  len = (int) sizeof(ss);
  ASSERT_EQ(uv_tcp_getsockname(&none, (struct sockaddr*) &ss, &len), UV_EBADF);
  ASSERT_EQ(uv_tcp_getpeername(&none, (struct sockaddr*) &ss, &len), UV_EBADF);
  ASSERT_OK(uv_tcp_init_ex(&loop, &unconnected, AF_INET));
  len = (int) sizeof(ss);
  ASSERT_EQ(uv_tcp_getpeername(&unconnected, (struct sockaddr*) &ss, &len), UV_ENOTCONN);
  len = (int) sizeof(ss);
  ASSERT_OK(uv_tcp_getsockname(&unconnected, (struct sockaddr*) &ss, &len));
  ASSERT_EQ(ss.ss_family, AF_INET);

  /* Closing: EBADF. */
  uv_close((uv_handle_t*) &c, NULL);
  len = (int) sizeof(ss);
  ASSERT_EQ(uv_tcp_getsockname(&c, (struct sockaddr*) &ss, &len), UV_EBADF);
  nu_loop_finish(&loop);
}

/* ---- uv_tcp_close_reset --------------------------------------------------------------- */

static struct {
  uv_tcp_t c;
  uv_tcp_t p;
  int read_status;
  int reads;
  int closed;
} rst;

static void rst_read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  free(buf->base);
  if (nread == 0)
    return;
  rst.reads++;
  rst.read_status = (int) nread;
  /* A read error leaves the stream neither readable nor writable. */
  ASSERT_EQ(uv_is_readable(s), 0);
  ASSERT_EQ(uv_is_writable(s), 0);
  uv_close((uv_handle_t*) s, NULL);
}

static void rst_close_cb(uv_handle_t* h) {
  (void) h;
  rst.closed++;
}

TEST(tcp_close_reset_peer_reads_econnreset) {
  uv_loop_t loop;

  memset(&rst, 0, sizeof(rst));
  ASSERT_OK(uv_loop_init(&loop));
  nu_tcp_pair(&loop, &rst.c, &rst.p, 0, 0);
  ASSERT_OK(uv_read_start((uv_stream_t*) &rst.p, nu_alloc_cb, rst_read_cb));
  ASSERT_OK(uv_tcp_close_reset(&rst.c, rst_close_cb));
  ASSERT_EQ(uv_is_closing((uv_handle_t*) &rst.c), 1);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(rst.closed, 1);
  ASSERT_EQ(rst.reads, 1);
  ASSERT_EQ(rst.read_status, UV_ECONNRESET);
  ASSERT_OK(uv_loop_close(&loop));
}

static int rst_shutdowns;

static void rst_shutdown_cb(uv_shutdown_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  rst_shutdowns++;
}

/* Not while a shutdown is pending (libuv forbids mixing the two); once the
 * shutdown completed, a reset is allowed again. */
TEST(tcp_close_reset_refused_while_shutting_down) {
  uv_loop_t loop;
  uv_shutdown_t req;
  int i;

  memset(&rst, 0, sizeof(rst));
  ASSERT_OK(uv_loop_init(&loop));
  nu_tcp_pair(&loop, &rst.c, &rst.p, 0, 0);
  ASSERT_OK(uv_shutdown(&req, (uv_stream_t*) &rst.c, rst_shutdown_cb));
  ASSERT_EQ(uv_tcp_close_reset(&rst.c, rst_close_cb), UV_EINVAL);
  ASSERT_EQ(uv_is_closing((uv_handle_t*) &rst.c), 0);
  for (i = 0; i < 100 && rst_shutdowns == 0; i++)
    uv_run(&loop, UV_RUN_NOWAIT);
  ASSERT_EQ(rst_shutdowns, 1);
  ASSERT_EQ(rst.closed, 0);
  ASSERT_OK(uv_tcp_close_reset(&rst.c, rst_close_cb));
  nu_loop_finish(&loop);
  ASSERT_EQ(rst.closed, 1);
}

/* ---- accepting -------------------------------------------------------------------------- */

static struct {
  int calls;
  int statuses_bad;
  int accept;           /* accept in the callback */
  uv_tcp_t* conns;
  int nconns;
} ac;

static void ac_connection_cb(uv_stream_t* server, int status) {
  ac.calls++;
  if (status != 0) {
    ac.statuses_bad++;
    return;
  }
  if (ac.accept) {
    uv_tcp_t* c = &ac.conns[ac.nconns++];
    ASSERT_OK(uv_tcp_init(server->loop, c));
    ASSERT_OK(uv_accept(server, (uv_stream_t*) c));
  }
}

/* Connections that queued up before the loop ran are all accepted. */
TEST(tcp_accept_drains_pending_connections) {
  uv_loop_t loop;
  uv_tcp_t server;
  uv_tcp_t conns[16];
  struct sockaddr_in a;
  int fds[16];
  int i;
  int j;

  memset(&ac, 0, sizeof(ac));
  ac.accept = 1;
  ac.conns = conns;
  ASSERT_OK(uv_loop_init(&loop));
  nu_addr4(&a, 0);
  ASSERT_OK(uv_tcp_init(&loop, &server));
  ASSERT_OK(uv_tcp_bind(&server, (const struct sockaddr*) &a, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 64, ac_connection_cb));
  for (i = 0; i < 16; i++)
    fds[i] = nu_raw_connect(nu_tcp_port(&server));
  nu_wait_accept_queue(nu_fileno(&server), 16, 2000);
  for (i = 0; i < 100 && ac.nconns < 16; i++)
    uv_run(&loop, UV_RUN_NOWAIT);
  ASSERT_EQ(ac.calls, 16);
  ASSERT_EQ(ac.nconns, 16);
  ASSERT_EQ(ac.statuses_bad, 0);
  /* In order, each one the right peer. */
  for (i = 0; i < 16; i++)
    ASSERT_EQ(nu_tcp_peer_port(&conns[i]), nu_fd_port(fds[i]));
  /* Nothing else arrives. */
  tcp_run_for(&loop, 20);
  ASSERT_EQ(ac.calls, 16);
  nu_loop_finish(&loop);
  for (j = 0; j < 16; j++)
    close(fds[j]);
}

/* libuv >= 1.45 accepts one connection per wakeup of the listening socket
 * (so processes sharing it get a fair share): with four connections pending,
 * each loop iteration delivers exactly one. */
TEST(tcp_accept_one_connection_per_iteration) {
  uv_loop_t loop;
  uv_tcp_t server;
  uv_tcp_t conns[4];
  struct sockaddr_in a;
  int fds[4];
  int i;

  memset(&ac, 0, sizeof(ac));
  ac.accept = 1;
  ac.conns = conns;
  ASSERT_OK(uv_loop_init(&loop));
  nu_addr4(&a, 0);
  ASSERT_OK(uv_tcp_init(&loop, &server));
  ASSERT_OK(uv_tcp_bind(&server, (const struct sockaddr*) &a, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 64, ac_connection_cb));
  for (i = 0; i < 4; i++)
    fds[i] = nu_raw_connect(nu_tcp_port(&server));
  nu_wait_accept_queue(nu_fileno(&server), 4, 2000);
  for (i = 1; i <= 4; i++) {
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(ac.calls, i);
  }
  ASSERT_EQ(ac.nconns, 4);
  nu_loop_finish(&loop);
  for (i = 0; i < 4; i++)
    close(fds[i]);
}

/* A server whose connection callback does not accept gets no further
 * callbacks until it does; then the next pending connection arrives. */
TEST(tcp_accept_paused_until_uv_accept) {
  uv_loop_t loop;
  uv_tcp_t server;
  uv_tcp_t conns[3];
  uv_tcp_t extra;
  struct sockaddr_in a;
  int fds[3];
  int i;

  memset(&ac, 0, sizeof(ac));
  ac.accept = 0;
  ASSERT_OK(uv_loop_init(&loop));
  nu_addr4(&a, 0);
  ASSERT_OK(uv_tcp_init(&loop, &server));
  ASSERT_OK(uv_tcp_bind(&server, (const struct sockaddr*) &a, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 64, ac_connection_cb));
  /* Nothing pending: nothing to accept. */
  ASSERT_OK(uv_tcp_init(&loop, &extra));
  ASSERT_EQ(uv_accept((uv_stream_t*) &server, (uv_stream_t*) &extra), UV_EAGAIN);
  for (i = 0; i < 3; i++)
    fds[i] = nu_raw_connect(nu_tcp_port(&server));
  nu_wait_accept_queue(nu_fileno(&server), 3, 2000);

  tcp_run_for(&loop, 50);
  ASSERT_EQ(ac.calls, 1);
  tcp_run_for(&loop, 30);
  ASSERT_EQ(ac.calls, 1);
  for (i = 0; i < 3; i++) {
    /* Accepted outside the callback, later: still the connection it announced. */
    ASSERT_OK(uv_tcp_init(&loop, &conns[i]));
    ASSERT_OK(uv_accept((uv_stream_t*) &server, (uv_stream_t*) &conns[i]));
    ASSERT_EQ(nu_tcp_peer_port(&conns[i]), nu_fd_port(fds[i]));
    ASSERT_EQ(uv_is_readable((uv_stream_t*) &conns[i]), 1);
    ASSERT_EQ(uv_is_writable((uv_stream_t*) &conns[i]), 1);
    tcp_run_for(&loop, 30);
    ASSERT_EQ(ac.calls, i < 2 ? i + 2 : 3);
  }
  ASSERT_EQ(uv_accept((uv_stream_t*) &server, (uv_stream_t*) &extra), UV_EAGAIN);
  ASSERT_EQ(ac.statuses_bad, 0);
  nu_loop_finish(&loop);
  for (i = 0; i < 3; i++)
    close(fds[i]);
}

/* ---- EMFILE ------------------------------------------------------------------------------ */

/* Out of descriptors, accept(2) fails with EMFILE while the connection stays
 * queued, so a level-triggered loop would spin.  libuv keeps a spare
 * descriptor: it closes it, accepts and closes the pending connections (the
 * clients see them closed), and takes the spare back.  The connection
 * callback hears nothing of it, and the process stays idle. */

#define EM_CLIENTS 5

static int em_child(int go_fd, int port) {
  char c;
  int closed = 0;
  int i;
  if (read(go_fd, &c, 1) != 1)
    return 2;
  for (i = 0; i < EM_CLIENTS; i++) {
    struct sockaddr_in a;
    struct pollfd p;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ssize_t r;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t) port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr*) &a, sizeof(a)) != 0)
      return 3;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, 2000) == 1) {
      r = read(fd, &c, 1);
      if (r == 0 || (r < 0 && errno == ECONNRESET))
        closed++;
    }
    close(fd);
  }
  return closed == EM_CLIENTS ? 0 : 10 + closed;
}

static double em_cpu_seconds(void) {
  struct rusage ru;
  ASSERT_OK(getrusage(RUSAGE_SELF, &ru));
  return (double) ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
         (double) ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static pid_t em_pid;
static int em_status = -1;

static void em_wait_child_cb(uv_timer_t* t) {
  int st;
  if (waitpid(em_pid, &st, WNOHANG) == em_pid) {
    em_status = st;
    uv_stop(t->loop);
  }
}

TEST_TIMEOUT(tcp_emfile_accept_does_not_spin, 30) {
  uv_loop_t loop;
  uv_tcp_t server;
  uv_tcp_t conns[2];
  uv_timer_t wait_timer;
  struct sockaddr_in a;
  struct rlimit old_lim;
  struct rlimit lim;
  int fillers[1024];
  int nfillers = 0;
  int go[2];
  int port;
  int maxfd = -1;
  int fd;
  int i;
  int late;
  double cpu0;
  double cpu;
  uint64_t t0;
  double wall;
  DIR* d;
  struct dirent* e;

  memset(&ac, 0, sizeof(ac));
  ac.accept = 1;
  ac.conns = conns;
  ASSERT_OK(uv_loop_init(&loop));
  nu_addr4(&a, 0);
  ASSERT_OK(uv_tcp_init(&loop, &server));
  ASSERT_OK(uv_tcp_bind(&server, (const struct sockaddr*) &a, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 64, ac_connection_cb));
  port = nu_tcp_port(&server);
  ASSERT_OK(uv_timer_init(&loop, &wait_timer));

  ASSERT_OK(pipe(go));
  em_pid = fork();
  ASSERT_GE(em_pid, 0);
  if (em_pid == 0) {
    close(go[1]);
    _exit(em_child(go[0], port));
  }
  close(go[0]);

  /* Use up every descriptor: a limit just above the highest one in use, and
   * the holes below it filled. */
  d = opendir("/proc/self/fd");
  ASSERT_NOT_NULL(d);
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.' && atoi(e->d_name) > maxfd)
      maxfd = atoi(e->d_name);
  closedir(d);
  ASSERT_LT(maxfd, 900);
  ASSERT_OK(getrlimit(RLIMIT_NOFILE, &old_lim));
  lim = old_lim;
  lim.rlim_cur = (rlim_t) maxfd + 1;
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &lim));
  while ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0) {
    ASSERT_LT(nfillers, 1024);
    fillers[nfillers++] = fd;
  }
  ASSERT_EQ(errno, EMFILE);

  /* Clients connect now; the loop runs 300 ms. */
  ASSERT_EQ(write(go[1], "g", 1), 1);
  cpu0 = em_cpu_seconds();
  t0 = uv_hrtime();
  tcp_run_for(&loop, 300);
  cpu = em_cpu_seconds() - cpu0;
  wall = (double) (uv_hrtime() - t0) / 1e9;
  ASSERT_GE(wall, 0.29);
  if (!(cpu < wall * 0.5))
    TEST_FAIL("busy while out of fds: %.3f s CPU in %.3f s", cpu, wall);
  ASSERT_EQ(ac.calls, 0);

  /* Let the clients finish: every connection was closed on them. */
  ASSERT_OK(uv_timer_start(&wait_timer, em_wait_child_cb, 10, 10));
  uv_run(&loop, UV_RUN_DEFAULT);
  ASSERT_OK(uv_timer_stop(&wait_timer));
  ASSERT(WIFEXITED(em_status));
  ASSERT_EQ(WEXITSTATUS(em_status), 0);
  ASSERT_EQ(ac.calls, 0);

  /* Descriptors back: the next connection is accepted normally. */
  for (i = 0; i < nfillers; i++)
    close(fillers[i]);
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &old_lim));
  late = nu_raw_connect(port);
  for (i = 0; i < 200 && ac.calls == 0; i++)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_EQ(ac.calls, 1);
  ASSERT_EQ(ac.statuses_bad, 0);
  ASSERT_EQ(ac.nconns, 1);
  ASSERT_EQ(nu_tcp_peer_port(&conns[0]), nu_fd_port(late));
  close(go[1]);
  nu_loop_finish(&loop);
  close(late);
}

/* With no spare descriptor at all (the process was already out of
 * descriptors when the loop's first stream was made), the connections cannot
 * be shed.  The accept error still never reaches the connection callback,
 * the loop keeps running (its timers fire), and once descriptors are back the
 * connections that waited are accepted normally. */

static struct {
  int calls;
  int accepted;
  uv_tcp_t conns[3];
  int timer_fired;
} ne;

static void ne_connection_cb(uv_stream_t* server, int status) {
  ne.calls++;
  if (status != 0)
    TEST_FAIL("connection callback called with %d (%s)", status, uv_err_name(status));
  ASSERT_LT(ne.accepted, 3);
  ASSERT_OK(uv_tcp_init(server->loop, &ne.conns[ne.accepted]));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) &ne.conns[ne.accepted]));
  ne.accepted++;
}

static void ne_timer_cb(uv_timer_t* t) {
  ne.timer_fired++;
  uv_stop(t->loop);
}

static int ne_child(int go_fd, int port) {
  int fds[3];
  char c;
  int i;
  if (read(go_fd, &c, 1) != 1)
    return 2;
  for (i = 0; i < 3; i++) {
    struct sockaddr_in a;
    fds[i] = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t) port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fds[i] < 0 || connect(fds[i], (struct sockaddr*) &a, sizeof(a)) != 0)
      return 3;
  }
  /* Hold the connections until the parent is done. */
  while (read(go_fd, &c, 1) > 0) {
  }
  return 0;
}

TEST_TIMEOUT(tcp_emfile_without_spare_fd_loop_keeps_running, 30) {
  uv_loop_t loop;
  uv_tcp_t server;
  uv_timer_t timer;
  struct rlimit old_lim;
  struct rlimit lim;
  int fillers[1024];
  int nfillers = 0;
  int go[2];
  int lfd;
  int port;
  int maxfd = -1;
  int fd;
  int i;
  int st;
  pid_t pid;
  DIR* d;
  struct dirent* e;

  memset(&ne, 0, sizeof(ne));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  lfd = nu_raw_listener(16, &port);
  ASSERT_OK(pipe(go));
  pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(go[1]);
    _exit(ne_child(go[0], port));
  }
  close(go[0]);

  d = opendir("/proc/self/fd");
  ASSERT_NOT_NULL(d);
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.' && atoi(e->d_name) > maxfd)
      maxfd = atoi(e->d_name);
  closedir(d);
  ASSERT_LT(maxfd, 900);
  ASSERT_OK(getrlimit(RLIMIT_NOFILE, &old_lim));
  lim = old_lim;
  lim.rlim_cur = (rlim_t) maxfd + 1;
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &lim));
  while ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0) {
    ASSERT_LT(nfillers, 1024);
    fillers[nfillers++] = fd;
  }
  ASSERT_EQ(errno, EMFILE);

  /* The loop's first stream: no descriptor left for the spare. */
  ASSERT_OK(uv_tcp_init(&loop, &server));
  ASSERT_OK(uv_tcp_open(&server, lfd));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 16, ne_connection_cb));
  ASSERT_EQ(write(go[1], "g", 1), 1);
  /* Wait until the three connections are queued. */
  nu_wait_accept_queue(lfd, 3, 2000);
  ASSERT_OK(uv_timer_start(&timer, ne_timer_cb, 300, 0));
  uv_run(&loop, UV_RUN_DEFAULT);
  ASSERT_EQ(ne.timer_fired, 1);
  ASSERT_EQ(ne.calls, 0);

  /* Descriptors back: the waiting connections arrive. */
  for (i = 0; i < nfillers; i++)
    close(fillers[i]);
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &old_lim));
  for (i = 0; i < 200 && ne.accepted < 3; i++)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_EQ(ne.accepted, 3);
  ASSERT_EQ(ne.calls, 3);
  close(go[1]);
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT(WIFEXITED(st));
  ASSERT_EQ(WEXITSTATUS(st), 0);
  nu_loop_finish(&loop);
}

/* ---- UV_TCP_REUSEPORT ------------------------------------------------------------------- */

/* Two loops on two threads listen on the same port; connections are spread
 * over both. */

#define RP_CLIENTS 32

struct rp_server {
  uv_loop_t loop;
  uv_tcp_t server;
  uv_async_t stop;
  uv_thread_t thread;
  uv_sem_t ready;
  int port;
  int bind_err;
  int listen_err;
  int accepted;
};

static int rp_total;

static void rp_conn_cb(uv_stream_t* server, int status) {
  struct rp_server* s = (struct rp_server*) server->data;
  uv_tcp_t* c = (uv_tcp_t*) malloc(sizeof(*c));
  ASSERT_OK(status);
  ASSERT_NOT_NULL(c);
  ASSERT_OK(uv_tcp_init(server->loop, c));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) c));
  s->accepted++;
  __atomic_fetch_add(&rp_total, 1, __ATOMIC_SEQ_CST);
  uv_close((uv_handle_t*) c, nu_free_close_cb);
}

static void rp_stop_cb(uv_async_t* h) {
  struct rp_server* s = (struct rp_server*) h->data;
  uv_close((uv_handle_t*) &s->server, NULL);
  uv_close((uv_handle_t*) h, NULL);
}

static void rp_thread(void* arg) {
  struct rp_server* s = (struct rp_server*) arg;
  struct sockaddr_in a;
  ASSERT_OK(uv_loop_init(&s->loop));
  ASSERT_OK(uv_async_init(&s->loop, &s->stop, rp_stop_cb));
  s->stop.data = s;
  ASSERT_OK(uv_tcp_init(&s->loop, &s->server));
  s->server.data = s;
  nu_addr4(&a, s->port);
  s->bind_err = uv_tcp_bind(&s->server, (const struct sockaddr*) &a, NU_TCP_REUSEPORT);
  s->listen_err = uv_listen((uv_stream_t*) &s->server, 64, rp_conn_cb);
  if (s->listen_err == 0)
    s->port = nu_tcp_port(&s->server);
  uv_sem_post(&s->ready);
  ASSERT_OK(uv_run(&s->loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&s->loop));
}

TEST(tcp_reuseport_two_loops_share_port) {
  static struct rp_server s[2];
  int fds[RP_CLIENTS];
  int i;
  int waited;

  memset(s, 0, sizeof(s));
  rp_total = 0;
  for (i = 0; i < 2; i++) {
    ASSERT_OK(uv_sem_init(&s[i].ready, 0));
    s[i].port = i == 0 ? 0 : s[0].port;
    ASSERT_OK(uv_thread_create(&s[i].thread, rp_thread, &s[i]));
    uv_sem_wait(&s[i].ready);
    ASSERT_OK(s[i].bind_err);
    ASSERT_OK(s[i].listen_err);
  }
  ASSERT_GT(s[0].port, 0);
  ASSERT_EQ(s[1].port, s[0].port);
  for (i = 0; i < RP_CLIENTS; i++)
    fds[i] = nu_raw_connect(s[0].port);
  for (waited = 0; waited < 5000; waited++) {
    if (__atomic_load_n(&rp_total, __ATOMIC_SEQ_CST) == RP_CLIENTS)
      break;
    usleep(1000);
  }
  for (i = 0; i < 2; i++)
    ASSERT_OK(uv_async_send(&s[i].stop));
  for (i = 0; i < 2; i++) {
    ASSERT_OK(uv_thread_join(&s[i].thread));
    uv_sem_destroy(&s[i].ready);
  }
  ASSERT_EQ(rp_total, RP_CLIENTS);
  ASSERT_EQ(s[0].accepted + s[1].accepted, RP_CLIENTS);
  ASSERT_GT(s[0].accepted, 0);
  ASSERT_GT(s[1].accepted, 0);
  for (i = 0; i < RP_CLIENTS; i++)
    close(fds[i]);
}

/* Without the flag the second listener is refused (at listen). */
TEST(tcp_without_reuseport_second_listener_refused) {
  uv_loop_t loop;
  uv_tcp_t a1;
  uv_tcp_t a2;
  struct sockaddr_in a;

  ASSERT_OK(uv_loop_init(&loop));
  nu_addr4(&a, 0);
  ASSERT_OK(uv_tcp_init(&loop, &a1));
  ASSERT_OK(uv_tcp_bind(&a1, (const struct sockaddr*) &a, NU_TCP_REUSEPORT));
  ASSERT_OK(uv_listen((uv_stream_t*) &a1, 8, nu_accept_close_cb));
  ASSERT_EQ(nu_sockopt_int(nu_fileno(&a1), SOL_SOCKET, SO_REUSEPORT), 1);
  nu_addr4(&a, nu_tcp_port(&a1));
  ASSERT_OK(uv_tcp_init(&loop, &a2));
  ASSERT_OK(uv_tcp_bind(&a2, (const struct sockaddr*) &a, 0));
  ASSERT_EQ(nu_sockopt_int(nu_fileno(&a2), SOL_SOCKET, SO_REUSEPORT), 0);
  ASSERT_EQ(uv_listen((uv_stream_t*) &a2, 8, nu_accept_close_cb), UV_EADDRINUSE);
  nu_loop_finish(&loop);
}
