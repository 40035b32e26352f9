/* UDP handles: sending and receiving on loopback (ports from the kernel, read
 * back with uv_udp_getsockname), ordering of datagrams and send callbacks,
 * exact send queue size/count (also while the kernel pushes back: a
 * SOCK_DGRAM socketpair with small buffers, opened with uv_udp_open, fills
 * after a few datagrams), UV_UDP_PARTIAL, the "nothing more now" callback, connected
 * handles (UV_EISCONN / UV_EDESTADDRREQ / UV_ENOTCONN), uv_udp_try_send(2),
 * IPv6, socket options, closing with queued sends (UV_ECANCELED), recvmmsg
 * mode, binding and opening rules.
 *
 * Every expectation was checked against libuv 1.52.1.  uv_udp_try_send2
 * (1.50), uv_udp_open_ex (1.52) and UV_UDP_REUSEPORT (1.49) are compiled only
 * with a header that has them. */
#include "test.h"

#include <uv.h>

#include "net_util.h"

#if UV_VERSION_HEX >= 0x013100
#define UDP_REUSEPORT_FLAG ((unsigned int) UV_UDP_REUSEPORT)
#else
#define UDP_REUSEPORT_FLAG 64u
#endif

/* Runs loop iterations while cond holds; the loop must not run dry first. */
#define UDP_RUN_WHILE(loop, cond)                                             \
  do {                                                                        \
    while (cond) {                                                            \
      if (uv_run((loop), UV_RUN_ONCE) == 0 && (cond))                         \
        TEST_FAIL("loop ended while %s", #cond);                              \
    }                                                                         \
  } while (0)

static int udp_port(const uv_udp_t* h) {
  struct sockaddr_storage ss;
  int len = (int) sizeof(ss);
  ASSERT_OK(uv_udp_getsockname(h, (struct sockaddr*) &ss, &len));
  return nu_sa_port(&ss);
}

/* A handle bound to 127.0.0.1, port 0; returns its address. */
static void udp_bound(uv_loop_t* loop, uv_udp_t* h, struct sockaddr_in* addr) {
  ASSERT_OK(uv_udp_init(loop, h));
  nu_addr4(addr, 0);
  ASSERT_OK(uv_udp_bind(h, (const struct sockaddr*) addr, 0));
  nu_addr4(addr, udp_port(h));
}

static uv_buf_t udp_buf(const char* s) {
  return uv_buf_init((char*) s, (unsigned int) strlen(s));
}

/* ---- send and receive ------------------------------------------------------ */

static struct {
  int in_send;
  int send_cbs;
  int send_status;
  int recvs;
  int empty_recvs;        /* nread == 0, addr == NULL */
  int recv_port;          /* sender port seen by the receiver */
  unsigned recv_flags;
  char data[64];
  ssize_t nread;
  uv_udp_t* close_after;  /* closed with the receiver once a datagram arrived */
} sr;

static void sr_send_cb(uv_udp_send_t* req, int status) {
  ASSERT_EQ(sr.in_send, 0);
  ASSERT_NOT_NULL(req->handle);
  sr.send_cbs++;
  sr.send_status = status;
}

static void sr_recv_cb(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                       const struct sockaddr* addr, unsigned flags) {
  if (nread == 0 && addr == NULL) {
    sr.empty_recvs++;
    free(buf->base);
    return;
  }
  ASSERT_GE(nread, 0);
  ASSERT_NOT_NULL(addr);
  sr.recvs++;
  sr.nread = nread;
  sr.recv_flags = flags;
  sr.recv_port = nu_sa_port((const struct sockaddr_storage*) addr);
  memcpy(sr.data, buf->base, (size_t) nread < sizeof(sr.data) ? (size_t) nread : sizeof(sr.data));
  free(buf->base);
  if (sr.close_after != NULL) {
    uv_close((uv_handle_t*) h, NULL);
    uv_close((uv_handle_t*) sr.close_after, NULL);
  }
}

TEST(udp_send_recv_loopback) {
  uv_loop_t loop;
  uv_udp_t rx, tx;
  uv_udp_send_t req;
  struct sockaddr_in addr;
  uv_buf_t b = udp_buf("PING");

  memset(&sr, 0, sizeof(sr));
  ASSERT_OK(uv_loop_init(&loop));
  udp_bound(&loop, &rx, &addr);
  ASSERT_NE(ntohs(addr.sin_port), 0);
  ASSERT_OK(uv_udp_recv_start(&rx, nu_alloc_cb, sr_recv_cb));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &rx), 1);

  ASSERT_OK(uv_udp_init(&loop, &tx));
  /* Not bound yet: no socket, no name. */
  {
    struct sockaddr_storage ss;
    int len = (int) sizeof(ss);
    ASSERT_EQ(uv_udp_getsockname(&tx, (struct sockaddr*) &ss, &len), UV_EBADF);
  }
  sr.in_send = 1;
  ASSERT_OK(uv_udp_send(&req, &tx, &b, 1, (const struct sockaddr*) &addr, sr_send_cb));
  sr.in_send = 0;
  ASSERT_EQ(sr.send_cbs, 0);              /* never from inside uv_udp_send */
  ASSERT_EQ(req.type, UV_UDP_SEND);
  ASSERT_EQ(req.handle, &tx);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &tx), 1);
  /* The send bound the handle implicitly (0.0.0.0, some port). */
  ASSERT_NE(udp_port(&tx), 0);
  sr.close_after = &tx;

  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(sr.send_cbs, 1);
  ASSERT_OK(sr.send_status);
  ASSERT_EQ(sr.recvs, 1);
  ASSERT_EQ(sr.nread, 4);
  ASSERT_OK(memcmp(sr.data, "PING", 4));
  ASSERT_EQ(sr.recv_flags, 0);
  ASSERT_OK(uv_loop_close(&loop));
}

/* After a readiness has been drained, recv_cb gets nread == 0, addr == NULL. */
TEST(udp_recv_nothing_more_now) {
  uv_loop_t loop;
  uv_udp_t rx, tx;
  struct sockaddr_in addr;
  uv_buf_t b = udp_buf("x");

  memset(&sr, 0, sizeof(sr));
  ASSERT_OK(uv_loop_init(&loop));
  udp_bound(&loop, &rx, &addr);
  ASSERT_OK(uv_udp_init(&loop, &tx));
  ASSERT_EQ(uv_udp_try_send(&tx, &b, 1, (const struct sockaddr*) &addr), 1);
  ASSERT_EQ(uv_udp_try_send(&tx, &b, 1, (const struct sockaddr*) &addr), 1);
  ASSERT_OK(uv_udp_recv_start(&rx, nu_alloc_cb, sr_recv_cb));
  ASSERT_EQ(uv_udp_recv_start(&rx, nu_alloc_cb, sr_recv_cb), UV_EALREADY);
  UDP_RUN_WHILE(&loop, sr.empty_recvs == 0);
  ASSERT_EQ(sr.recvs, 2);
  ASSERT_EQ(sr.recv_port, udp_port(&tx));
  ASSERT_OK(uv_udp_recv_stop(&rx));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &rx), 0);
  nu_loop_finish(&loop);
}

/* A zero-length datagram: nread == 0 with an address. */
static int zr_empty_with_addr;

static void zr_recv_cb(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                       const struct sockaddr* addr, unsigned flags) {
  (void) flags;
  free(buf->base);
  if (nread == 0 && addr != NULL) {
    zr_empty_with_addr++;
    uv_udp_recv_stop(h);
  }
}

TEST(udp_empty_datagram) {
  uv_loop_t loop;
  uv_udp_t rx, tx;
  uv_udp_send_t req;
  struct sockaddr_in addr;
  uv_buf_t b = uv_buf_init(NULL, 0);

  ASSERT_OK(uv_loop_init(&loop));
  udp_bound(&loop, &rx, &addr);
  ASSERT_OK(uv_udp_recv_start(&rx, nu_alloc_cb, zr_recv_cb));
  ASSERT_OK(uv_udp_init(&loop, &tx));
  ASSERT_OK(uv_udp_send(&req, &tx, &b, 1, (const struct sockaddr*) &addr, NULL));
  ASSERT_EQ(uv_udp_get_send_queue_count(&tx), 1);
  ASSERT_EQ(uv_udp_get_send_queue_size(&tx), 0);
  UDP_RUN_WHILE(&loop, zr_empty_with_addr == 0);
  ASSERT_EQ(uv_udp_get_send_queue_count(&tx), 0);
  nu_loop_finish(&loop);
}

/* ---- many datagrams, in order, with exact queue accounting ----------------- */

#define MANY 120

static struct {
  int next_cb;
  int next_recv;
  uv_udp_t* tx;
  uv_udp_t* rx;
} mo;

static void mo_send_cb(uv_udp_send_t* req, int status) {
  int i = (int) (intptr_t) req->data;
  ASSERT_OK(status);
  ASSERT_EQ(i, mo.next_cb);
  mo.next_cb++;
  /* Exact: only the requests whose callbacks have not run are counted. */
  ASSERT_EQ(uv_udp_get_send_queue_count(mo.tx), MANY - mo.next_cb);
  ASSERT_EQ(mo.tx->send_queue_count, MANY - mo.next_cb);
  ASSERT_EQ(uv_udp_get_send_queue_size(mo.tx), (MANY - mo.next_cb) * 8);
}

static void mo_recv_cb(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                       const struct sockaddr* addr, unsigned flags) {
  (void) flags;
  if (nread == 0 && addr == NULL) {
    free(buf->base);
    return;
  }
  ASSERT_EQ(nread, 8);
  ASSERT_EQ(atoi(buf->base), mo.next_recv);
  mo.next_recv++;
  free(buf->base);
  if (mo.next_recv == MANY)
    uv_udp_recv_stop(h);
}

TEST(udp_many_in_order) {
  uv_loop_t loop;
  uv_udp_t rx, tx;
  static uv_udp_send_t reqs[MANY];
  static char payload[MANY][9];
  struct sockaddr_in addr;
  int i;
  int v = 1 << 20;

  memset(&mo, 0, sizeof(mo));
  mo.tx = &tx;
  mo.rx = &rx;
  ASSERT_OK(uv_loop_init(&loop));
  udp_bound(&loop, &rx, &addr);
  ASSERT_OK(uv_recv_buffer_size((uv_handle_t*) &rx, &v));
  ASSERT_OK(uv_udp_recv_start(&rx, nu_alloc_cb, mo_recv_cb));
  ASSERT_OK(uv_udp_init(&loop, &tx));
  ASSERT_EQ(uv_udp_get_send_queue_count(&tx), 0);
  ASSERT_EQ(uv_udp_get_send_queue_size(&tx), 0);
  for (i = 0; i < MANY; i++) {
    uv_buf_t b;
    snprintf(payload[i], sizeof(payload[i]), "%07d", i);
    b = uv_buf_init(payload[i], 8);
    reqs[i].data = (void*) (intptr_t) i;
    ASSERT_OK(uv_udp_send(&reqs[i], &tx, &b, 1, (const struct sockaddr*) &addr, mo_send_cb));
  }
  /* Nothing has called back yet: everything is still counted. */
  ASSERT_EQ(uv_udp_get_send_queue_count(&tx), MANY);
  ASSERT_EQ(uv_udp_get_send_queue_size(&tx), MANY * 8);
  ASSERT_EQ(mo.next_cb, 0);

  UDP_RUN_WHILE(&loop, mo.next_cb < MANY || mo.next_recv < MANY);
  ASSERT_EQ(uv_udp_get_send_queue_count(&tx), 0);
  ASSERT_EQ(uv_udp_get_send_queue_size(&tx), 0);
  /* Nothing queued, not receiving: the sender is inactive again. */
  ASSERT_EQ(uv_is_active((uv_handle_t*) &tx), 0);
  nu_loop_finish(&loop);
}

/* Several buffers make one datagram (more than the request's 4 inline ones). */
static int sg_got;

static void sg_recv_cb(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                       const struct sockaddr* addr, unsigned flags) {
  (void) flags;
  if (addr != NULL) {
    ASSERT_EQ(nread, 26);
    ASSERT_OK(memcmp(buf->base, "abcdefghijklmnopqrstuvwxyz", 26));
    sg_got++;
    uv_udp_recv_stop(h);
  }
  free(buf->base);
}

TEST(udp_send_many_buffers) {
  uv_loop_t loop;
  uv_udp_t rx, tx;
  uv_udp_send_t req;
  struct sockaddr_in addr;
  uv_buf_t bufs[7];
  const char* parts[7] = { "abcd", "efgh", "ijkl", "mnop", "qrst", "uvwx", "yz" };
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  udp_bound(&loop, &rx, &addr);
  ASSERT_OK(uv_udp_recv_start(&rx, nu_alloc_cb, sg_recv_cb));
  ASSERT_OK(uv_udp_init(&loop, &tx));
  for (i = 0; i < 7; i++)
    bufs[i] = udp_buf(parts[i]);
  ASSERT_OK(uv_udp_send(&req, &tx, bufs, 7, (const struct sockaddr*) &addr, NULL));
  /* The buffer descriptors were copied: the array may change now. */
  memset(bufs, 0, sizeof(bufs));
  ASSERT_EQ(uv_udp_get_send_queue_size(&tx), 26);
  UDP_RUN_WHILE(&loop, sg_got == 0);
  nu_loop_finish(&loop);
}

/* ---- a full kernel queue: POLLOUT, exact sizes, cancellation --------------- */

#define BLK_N 40
#define BLK_LEN 1000

static struct {
  int next_cb;
  int ok;
  int cancelled;
  int closed;
  uv_udp_t* h;
} blk;

static void blk_send_cb(uv_udp_send_t* req, int status) {
  int i = (int) (intptr_t) req->data;
  ASSERT_EQ(i, blk.next_cb);
  ASSERT_EQ(blk.closed, 0);
  blk.next_cb++;
  if (status == 0) {
    ASSERT_EQ(blk.cancelled, 0);         /* all successes come first */
    blk.ok++;
  } else {
    ASSERT_EQ(status, UV_ECANCELED);
    blk.cancelled++;
  }
  ASSERT_EQ(uv_udp_get_send_queue_count(blk.h), BLK_N - blk.next_cb);
  ASSERT_EQ(uv_udp_get_send_queue_size(blk.h), (BLK_N - blk.next_cb) * BLK_LEN);
}

static void blk_close_cb(uv_handle_t* h) {
  ASSERT_EQ(uv_udp_get_send_queue_count((uv_udp_t*) h), 0);
  ASSERT_EQ(uv_udp_get_send_queue_size((uv_udp_t*) h), 0);
  blk.closed = 1;
}

/* A connected SOCK_DGRAM socketpair: the sender's end in a UDP handle. The
 * kernel takes only a few datagrams until the peer reads. */
static int blk_setup(uv_loop_t* loop, uv_udp_t* h, uv_udp_send_t* reqs) {
  static char data[BLK_LEN];
  int sv[2];
  int small;
  int i;

  memset(&blk, 0, sizeof(blk));
  blk.h = h;
  memset(data, 'd', sizeof(data));
  ASSERT_OK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
  /* Small buffers on both ends, whatever the kernel's queue limits. */
  small = 4096;
  ASSERT_OK(setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
  ASSERT_OK(uv_udp_init(loop, h));
  ASSERT_OK(uv_udp_open(h, sv[0]));
  ASSERT_OK(uv_send_buffer_size((uv_handle_t*) h, &small));
  for (i = 0; i < BLK_N; i++) {
    uv_buf_t b = uv_buf_init(data, BLK_LEN);
    reqs[i].data = (void*) (intptr_t) i;
    ASSERT_OK(uv_udp_send(&reqs[i], h, &b, 1, NULL, blk_send_cb));
  }
  return sv[1];
}

TEST(udp_send_queue_while_blocked) {
  uv_loop_t loop;
  uv_udp_t h;
  static uv_udp_send_t reqs[BLK_N];
  char buf[BLK_LEN + 1];
  int peer;
  int i;
  int got = 0;

  ASSERT_OK(uv_loop_init(&loop));
  peer = blk_setup(&loop, &h, reqs);
  ASSERT_EQ(uv_udp_get_send_queue_count(&h), BLK_N);
  for (i = 0; i < 5; i++)
    uv_run(&loop, UV_RUN_NOWAIT);
  /* Some went out; the rest wait for the peer. */
  ASSERT_GT(blk.ok, 0);
  ASSERT_LT(blk.ok, BLK_N);
  ASSERT_EQ(uv_udp_get_send_queue_count(&h), BLK_N - blk.next_cb);
  ASSERT_EQ(uv_udp_get_send_queue_size(&h), (BLK_N - blk.next_cb) * BLK_LEN);
  /* try_send never jumps the queue. */
  {
    uv_buf_t b = udp_buf("x");
    ASSERT_EQ(uv_udp_try_send(&h, &b, 1, NULL), UV_EAGAIN);
  }
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 1);

  /* Drain the peer; the loop sends the rest on writability. */
  while (got < BLK_N) {
    ssize_t n = recv(peer, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0) {
      ASSERT_EQ(errno, EAGAIN);
      uv_run(&loop, UV_RUN_ONCE);
      continue;
    }
    ASSERT_EQ(n, BLK_LEN);
    got++;
  }
  while (blk.next_cb < BLK_N)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_EQ(blk.ok, BLK_N);
  ASSERT_EQ(uv_udp_get_send_queue_count(&h), 0);
  ASSERT_EQ(uv_udp_get_send_queue_size(&h), 0);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 0);
  close(peer);
  nu_loop_finish(&loop);
}

TEST(udp_close_cancels_pending_sends) {
  uv_loop_t loop;
  uv_udp_t h;
  static uv_udp_send_t reqs[BLK_N];
  int peer;
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  peer = blk_setup(&loop, &h, reqs);
  for (i = 0; i < 3; i++)
    uv_run(&loop, UV_RUN_NOWAIT);
  ASSERT_GT(blk.ok, 0);
  ASSERT_LT(blk.next_cb, BLK_N);
  uv_close((uv_handle_t*) &h, blk_close_cb);
  ASSERT_EQ(blk.cancelled, 0);            /* not from inside uv_close */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(blk.closed, 1);
  ASSERT_EQ(blk.next_cb, BLK_N);
  ASSERT_GT(blk.cancelled, 0);
  ASSERT_EQ(blk.ok + blk.cancelled, BLK_N);
  ASSERT_OK(uv_loop_close(&loop));
  close(peer);
}

/* Closing right after queueing: every callback runs before the close callback. */
TEST(udp_close_right_after_send) {
  uv_loop_t loop;
  uv_udp_t rx, tx;
  static uv_udp_send_t reqs[3];
  struct sockaddr_in addr;
  uv_buf_t b = udp_buf("data");
  int i;

  memset(&blk, 0, sizeof(blk));
  ASSERT_OK(uv_loop_init(&loop));
  udp_bound(&loop, &rx, &addr);
  ASSERT_OK(uv_udp_init(&loop, &tx));
  blk.h = &tx;
  for (i = 0; i < 3; i++) {
    reqs[i].data = (void*) (intptr_t) i;
    ASSERT_OK(uv_udp_send(&reqs[i], &tx, &b, 1, (const struct sockaddr*) &addr, NULL));
  }
  uv_close((uv_handle_t*) &tx, NULL);
  uv_close((uv_handle_t*) &rx, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(uv_udp_get_send_queue_count(&tx), 0);
  ASSERT_EQ(uv_udp_get_send_queue_size(&tx), 0);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- truncation -------------------------------------------------------------- */

static struct {
  int got;
  ssize_t nread;
  unsigned flags;
  char data[8];
} pt;

static void pt_alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void) h;
  ASSERT_EQ(suggested, 64 * 1024);
  buf->base = pt.data;
  buf->len = 4;
}

static void pt_recv_cb(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                       const struct sockaddr* addr, unsigned flags) {
  ASSERT_EQ(buf->base, pt.data);
  if (addr == NULL)
    return;
  pt.got++;
  pt.nread = nread;
  pt.flags = flags;
  uv_udp_recv_stop(h);
}

TEST(udp_partial) {
  uv_loop_t loop;
  uv_udp_t rx, tx;
  struct sockaddr_in addr;
  uv_buf_t b = udp_buf("0123456789");

  memset(&pt, 0, sizeof(pt));
  ASSERT_OK(uv_loop_init(&loop));
  udp_bound(&loop, &rx, &addr);
  ASSERT_OK(uv_udp_recv_start(&rx, pt_alloc_cb, pt_recv_cb));
  ASSERT_OK(uv_udp_init(&loop, &tx));
  ASSERT_EQ(uv_udp_try_send(&tx, &b, 1, (const struct sockaddr*) &addr), 10);
  UDP_RUN_WHILE(&loop, pt.got == 0);
  ASSERT_EQ(pt.nread, 4);
  ASSERT(pt.flags & UV_UDP_PARTIAL);
  ASSERT_OK(memcmp(pt.data, "0123", 4));
  nu_loop_finish(&loop);
}

/* An alloc_cb that gives no buffer: UV_ENOBUFS. */
static int nb_calls;

static void nb_alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void) h;
  (void) suggested;
  buf->base = NULL;
  buf->len = 0;
}

static void nb_recv_cb(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                       const struct sockaddr* addr, unsigned flags) {
  ASSERT_EQ(nread, UV_ENOBUFS);
  ASSERT_NULL(addr);
  ASSERT_NULL(buf->base);
  ASSERT_EQ(flags, 0);
  nb_calls++;
  uv_udp_recv_stop(h);
}

TEST(udp_alloc_no_buffer) {
  uv_loop_t loop;
  uv_udp_t rx, tx;
  struct sockaddr_in addr;
  uv_buf_t b = udp_buf("x");

  ASSERT_OK(uv_loop_init(&loop));
  udp_bound(&loop, &rx, &addr);
  ASSERT_OK(uv_udp_recv_start(&rx, nb_alloc_cb, nb_recv_cb));
  ASSERT_OK(uv_udp_init(&loop, &tx));
  ASSERT_EQ(uv_udp_try_send(&tx, &b, 1, (const struct sockaddr*) &addr), 1);
  UDP_RUN_WHILE(&loop, nb_calls == 0);
  nu_loop_finish(&loop);
}

/* ---- connected handles ------------------------------------------------------- */

TEST(udp_connected) {
  uv_loop_t loop;
  uv_udp_t rx, tx;
  uv_udp_send_t req;
  struct sockaddr_in addr, other;
  struct sockaddr_storage ss;
  int len;
  uv_buf_t b = udp_buf("conn");

  memset(&sr, 0, sizeof(sr));
  ASSERT_OK(uv_loop_init(&loop));
  udp_bound(&loop, &rx, &addr);
  ASSERT_OK(uv_udp_recv_start(&rx, nu_alloc_cb, sr_recv_cb));
  ASSERT_OK(uv_udp_init(&loop, &tx));

  /* Not connected. */
  ASSERT_EQ(uv_udp_connect(&tx, NULL), UV_ENOTCONN);
  ASSERT_EQ(uv_udp_send(&req, &tx, &b, 1, NULL, NULL), UV_EDESTADDRREQ);
  ASSERT_EQ(uv_udp_try_send(&tx, &b, 1, NULL), UV_EDESTADDRREQ);

  ASSERT_OK(uv_udp_connect(&tx, (const struct sockaddr*) &addr));
  ASSERT_EQ(uv_udp_connect(&tx, (const struct sockaddr*) &addr), UV_EISCONN);
  len = (int) sizeof(ss);
  ASSERT_OK(uv_udp_getpeername(&tx, (struct sockaddr*) &ss, &len));
  ASSERT_EQ(len, sizeof(struct sockaddr_in));
  ASSERT_EQ(nu_sa_port(&ss), ntohs(addr.sin_port));
  ASSERT_NE(udp_port(&tx), 0);            /* connect bound it */

  /* Connected: an address is refused. */
  ASSERT_EQ(uv_udp_send(&req, &tx, &b, 1, (const struct sockaddr*) &addr, NULL), UV_EISCONN);
  ASSERT_EQ(uv_udp_try_send(&tx, &b, 1, (const struct sockaddr*) &addr), UV_EISCONN);
  ASSERT_EQ(uv_udp_get_send_queue_count(&tx), 0);

  ASSERT_OK(uv_udp_send(&req, &tx, &b, 1, NULL, sr_send_cb));
  UDP_RUN_WHILE(&loop, sr.recvs == 0 || sr.send_cbs == 0);
  ASSERT_OK(sr.send_status);
  ASSERT_EQ(sr.recv_port, udp_port(&tx));
  ASSERT_EQ(uv_udp_try_send(&tx, &b, 1, NULL), 4);
  UDP_RUN_WHILE(&loop, sr.recvs < 2);

  /* Disconnect. */
  ASSERT_OK(uv_udp_connect(&tx, NULL));
  ASSERT_EQ(uv_udp_connect(&tx, NULL), UV_ENOTCONN);
  len = (int) sizeof(ss);
  ASSERT_EQ(uv_udp_getpeername(&tx, (struct sockaddr*) &ss, &len), UV_ENOTCONN);
  ASSERT_EQ(uv_udp_try_send(&tx, &b, 1, NULL), UV_EDESTADDRREQ);
  ASSERT_EQ(uv_udp_try_send(&tx, &b, 1, (const struct sockaddr*) &addr), 4);
  UDP_RUN_WHILE(&loop, sr.recvs < 3);

  /* Connecting again, elsewhere; a bad family is refused. */
  nu_addr4(&other, 9);
  ASSERT_OK(uv_udp_connect(&tx, (const struct sockaddr*) &other));
  {
    struct sockaddr_un un;
    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;
    ASSERT_OK(uv_udp_connect(&tx, NULL));
    ASSERT_EQ(uv_udp_connect(&tx, (const struct sockaddr*) &un), UV_EINVAL);
  }
  nu_loop_finish(&loop);
}

/* ---- try_send ------------------------------------------------------------------ */

TEST(udp_try_send) {
  uv_loop_t loop;
  uv_udp_t rx, tx;
  uv_udp_send_t req;
  struct sockaddr_in addr;
  uv_buf_t bufs[2];

  memset(&sr, 0, sizeof(sr));
  ASSERT_OK(uv_loop_init(&loop));
  udp_bound(&loop, &rx, &addr);
  ASSERT_OK(uv_udp_recv_start(&rx, nu_alloc_cb, sr_recv_cb));
  ASSERT_OK(uv_udp_init(&loop, &tx));
  bufs[0] = udp_buf("he");
  bufs[1] = udp_buf("llo");
  ASSERT_EQ(uv_udp_try_send(&tx, bufs, 0, (const struct sockaddr*) &addr), UV_EINVAL);
  ASSERT_EQ(uv_udp_try_send(&tx, bufs, 2, (const struct sockaddr*) &addr), 5);
  UDP_RUN_WHILE(&loop, sr.recvs == 0);
  ASSERT_EQ(sr.nread, 5);
  ASSERT_OK(memcmp(sr.data, "hello", 5));

  /* A queued send makes try_send answer UV_EAGAIN until its callback ran. */
  ASSERT_OK(uv_udp_send(&req, &tx, bufs, 1, (const struct sockaddr*) &addr, NULL));
  ASSERT_EQ(uv_udp_try_send(&tx, bufs, 1, (const struct sockaddr*) &addr), UV_EAGAIN);
  UDP_RUN_WHILE(&loop, uv_udp_get_send_queue_count(&tx) != 0);
  ASSERT_EQ(uv_udp_try_send(&tx, bufs, 1, (const struct sockaddr*) &addr), 2);
  nu_loop_finish(&loop);
}

#if UV_VERSION_HEX >= 0x013200
static int ts2_next;

static void ts2_recv_cb(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                        const struct sockaddr* addr, unsigned flags) {
  (void) flags;
  if (addr != NULL) {
    ASSERT_EQ(nread, 1);
    ASSERT_EQ(buf->base[0], 'a' + ts2_next);
    ts2_next++;
    if (ts2_next == 25)
      uv_udp_recv_stop(h);
  }
  free(buf->base);
}

TEST(udp_try_send2) {
  uv_loop_t loop;
  uv_udp_t rx, tx, fresh;
  struct sockaddr_in addr;
  static char letters[26] = "abcdefghijklmnopqrstuvwxy";
  uv_buf_t bufs[25];
  uv_buf_t* bufp[25];
  unsigned int nbufs[25];
  struct sockaddr* addrs[25];
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  udp_bound(&loop, &rx, &addr);
  ASSERT_OK(uv_udp_recv_start(&rx, nu_alloc_cb, ts2_recv_cb));
  for (i = 0; i < 25; i++) {
    bufs[i] = uv_buf_init(letters + i, 1);
    bufp[i] = &bufs[i];
    nbufs[i] = 1;
    addrs[i] = (struct sockaddr*) &addr;
  }
  /* No socket yet: the handle must be bound first. */
  ASSERT_OK(uv_udp_init(&loop, &fresh));
  ASSERT_EQ(uv_udp_try_send2(&fresh, 1, bufp, nbufs, addrs, 0), UV_EINVAL);
  uv_close((uv_handle_t*) &fresh, NULL);

  ASSERT_OK(uv_udp_init_ex(&loop, &tx, AF_INET));
  ASSERT_EQ(uv_udp_try_send2(&tx, 0, bufp, nbufs, addrs, 0), UV_EINVAL);
  ASSERT_EQ(uv_udp_try_send2(&tx, 1, bufp, nbufs, addrs, 1), UV_EINVAL);
  /* More than one sendmmsg batch. */
  ASSERT_EQ(uv_udp_try_send2(&tx, 25, bufp, nbufs, addrs, 0), 25);
  UDP_RUN_WHILE(&loop, ts2_next < 25);
  nu_loop_finish(&loop);
}
#endif

/* ---- IPv6 ---------------------------------------------------------------------- */

static int v6_family;

static void v6_recv_cb(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                       const struct sockaddr* addr, unsigned flags) {
  (void) flags;
  if (addr != NULL) {
    ASSERT_EQ(nread, 2);
    v6_family = addr->sa_family;
    uv_udp_recv_stop(h);
  }
  free(buf->base);
}

TEST(udp_ipv6) {
  uv_loop_t loop;
  uv_udp_t rx, tx;
  uv_udp_send_t req;
  struct sockaddr_in6 a6;
  struct sockaddr_in a4;
  uv_buf_t b = udp_buf("v6");
  int port;

  if (!nu_have_ipv6())
    TEST_SKIP("no IPv6 loopback");
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_udp_init(&loop, &rx));
  nu_addr4(&a4, 0);
  ASSERT_EQ(uv_udp_bind(&rx, (const struct sockaddr*) &a4, UV_UDP_IPV6ONLY), UV_EINVAL);
  ASSERT_OK(uv_ip6_addr("::1", 0, &a6));
  ASSERT_OK(uv_udp_bind(&rx, (const struct sockaddr*) &a6, UV_UDP_IPV6ONLY));
  port = udp_port(&rx);
  ASSERT_OK(uv_ip6_addr("::1", port, &a6));
  ASSERT_OK(uv_udp_recv_start(&rx, nu_alloc_cb, v6_recv_cb));
  /* Hop limits on an IPv6 socket. */
  ASSERT_OK(uv_udp_set_ttl(&rx, 10));
  ASSERT_OK(uv_udp_set_multicast_ttl(&rx, 10));
  ASSERT_OK(uv_udp_set_multicast_loop(&rx, 1));
  ASSERT_OK(uv_udp_set_multicast_interface(&rx, NULL));

  ASSERT_OK(uv_udp_init_ex(&loop, &tx, AF_INET6));
  ASSERT_OK(uv_udp_set_ttl(&tx, 3));
  ASSERT_OK(uv_udp_send(&req, &tx, &b, 1, (const struct sockaddr*) &a6, NULL));
  UDP_RUN_WHILE(&loop, v6_family == 0);
  ASSERT_EQ(v6_family, AF_INET6);
  nu_loop_finish(&loop);
}

/* ---- options ----------------------------------------------------------------- */

TEST(udp_options) {
  uv_loop_t loop;
  uv_udp_t h, lazy;
  struct sockaddr_in addr;
  int i;
  int r;

  ASSERT_OK(uv_loop_init(&loop));

  /* Without a socket, the options fail like the syscalls do. */
  ASSERT_OK(uv_udp_init(&loop, &lazy));
  ASSERT_EQ(uv_udp_set_broadcast(&lazy, 1), UV_EBADF);
  ASSERT_EQ(uv_udp_set_ttl(&lazy, 1), UV_EBADF);
  ASSERT_EQ(uv_udp_set_multicast_ttl(&lazy, 1), UV_EBADF);
  ASSERT_EQ(uv_udp_set_multicast_loop(&lazy, 1), UV_EBADF);
  ASSERT_EQ(uv_udp_set_multicast_interface(&lazy, "0.0.0.0"), UV_EBADF);

  udp_bound(&loop, &h, &addr);
  ASSERT_OK(uv_udp_set_broadcast(&h, 1));
  ASSERT_EQ(nu_sockopt_int(nu_fileno(&h), SOL_SOCKET, SO_BROADCAST), 1);
  ASSERT_OK(uv_udp_set_broadcast(&h, 0));
  ASSERT_EQ(nu_sockopt_int(nu_fileno(&h), SOL_SOCKET, SO_BROADCAST), 0);
  for (i = 1; i <= 255; i++)
    ASSERT_OK(uv_udp_set_ttl(&h, i));
  ASSERT_OK(uv_udp_set_ttl(&h, 17));
  ASSERT_EQ(nu_sockopt_int(nu_fileno(&h), IPPROTO_IP, IP_TTL), 17);
  ASSERT_EQ(uv_udp_set_ttl(&h, 0), UV_EINVAL);
  ASSERT_EQ(uv_udp_set_ttl(&h, 256), UV_EINVAL);
  ASSERT_EQ(uv_udp_set_ttl(&h, -1), UV_EINVAL);
  for (i = 0; i <= 255; i++)
    ASSERT_OK(uv_udp_set_multicast_ttl(&h, i));
  ASSERT_EQ(uv_udp_set_multicast_ttl(&h, 256), UV_EINVAL);
  ASSERT_OK(uv_udp_set_multicast_loop(&h, 0));
  ASSERT_OK(uv_udp_set_multicast_loop(&h, 1));
  ASSERT_EQ(uv_udp_set_multicast_loop(&h, 256), UV_EINVAL);
  ASSERT_OK(uv_udp_set_multicast_interface(&h, "127.0.0.1"));
  ASSERT_OK(uv_udp_set_multicast_interface(&h, NULL));
  ASSERT_EQ(uv_udp_set_multicast_interface(&h, "not an address"), UV_EINVAL);

  /* Memberships: a bad group or enum is refused; joining may fail without a
   * multicast route, but only with an errno from the kernel. */
  ASSERT_EQ(uv_udp_set_membership(&h, "not an address", NULL, UV_JOIN_GROUP), UV_EINVAL);
  ASSERT_EQ(uv_udp_set_membership(&h, "239.255.0.1", NULL, (uv_membership) 7), UV_EINVAL);
  ASSERT_EQ(uv_udp_set_membership(&h, "239.255.0.1", "bad", UV_JOIN_GROUP), UV_EINVAL);
  r = uv_udp_set_membership(&h, "239.255.0.1", "127.0.0.1", UV_JOIN_GROUP);
  ASSERT(r == 0 || r == UV_ENODEV || r == UV_EADDRNOTAVAIL);
  if (r == 0)
    ASSERT_OK(uv_udp_set_membership(&h, "239.255.0.1", "127.0.0.1", UV_LEAVE_GROUP));
  ASSERT_EQ(uv_udp_set_source_membership(&h, "239.255.0.1", NULL, "bad", UV_JOIN_GROUP),
            UV_EINVAL);
  r = uv_udp_set_source_membership(&h, "232.1.1.1", "127.0.0.1", "127.0.0.1", UV_JOIN_GROUP);
  ASSERT(r == 0 || r == UV_ENODEV || r == UV_EADDRNOTAVAIL);

  /* A membership call binds a fresh handle implicitly. */
  r = uv_udp_set_membership(&lazy, "239.255.0.2", NULL, UV_JOIN_GROUP);
  ASSERT(r == 0 || r == UV_ENODEV || r == UV_EADDRNOTAVAIL);
  ASSERT_GE(nu_fileno(&lazy), 0);
  nu_loop_finish(&loop);
}

/* ---- init, bind, open -------------------------------------------------------- */

TEST(udp_init_ex_flags) {
  uv_loop_t loop;
  uv_udp_t a, b, c;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_EQ(uv_udp_init_ex(&loop, &a, AF_UNIX), UV_EINVAL);
  ASSERT_EQ(uv_udp_init_ex(&loop, &a, AF_INET | 0x10000), UV_EINVAL);
  ASSERT_OK(uv_udp_init_ex(&loop, &a, AF_INET));
  ASSERT_GE(nu_fileno(&a), 0);
  ASSERT(nu_is_nonblock(nu_fileno(&a)));
  ASSERT(nu_is_cloexec(nu_fileno(&a)));
  ASSERT_EQ(uv_udp_using_recvmmsg(&a), 0);
  ASSERT_OK(uv_udp_init_ex(&loop, &b, AF_UNSPEC | UV_UDP_RECVMMSG));
  ASSERT_EQ(uv_udp_using_recvmmsg(&b), 1);
  {
    uv_os_fd_t fd;
    ASSERT_EQ(uv_fileno((uv_handle_t*) &b, &fd), UV_EBADF);
  }
  ASSERT_OK(uv_udp_init(&loop, &c));
  ASSERT_EQ(uv_udp_using_recvmmsg(&c), 0);
  ASSERT_EQ(uv_handle_get_type((uv_handle_t*) &c), UV_UDP);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &c), 0);
  nu_loop_finish(&loop);
}

TEST(udp_bind_rules) {
  uv_loop_t loop;
  uv_udp_t a, b, c, d;
  struct sockaddr_in addr;
  struct sockaddr_un un;

  ASSERT_OK(uv_loop_init(&loop));
  udp_bound(&loop, &a, &addr);
  ASSERT_OK(uv_udp_init(&loop, &b));
  ASSERT_EQ(uv_udp_bind(&b, (const struct sockaddr*) &addr, 0), UV_EADDRINUSE);
  ASSERT_EQ(uv_udp_bind(&b, (const struct sockaddr*) &addr, 0x80000), UV_EINVAL);
  memset(&un, 0, sizeof(un));
  un.sun_family = AF_UNIX;
  ASSERT_EQ(uv_udp_bind(&b, (const struct sockaddr*) &un, 0), UV_EINVAL);

  /* Two sockets sharing a port with SO_REUSEADDR. */
  ASSERT_OK(uv_udp_init(&loop, &c));
  ASSERT_OK(uv_udp_init(&loop, &d));
  nu_addr4(&addr, 0);
  ASSERT_OK(uv_udp_bind(&c, (const struct sockaddr*) &addr, UV_UDP_REUSEADDR));
  nu_addr4(&addr, udp_port(&c));
  ASSERT_OK(uv_udp_bind(&d, (const struct sockaddr*) &addr, UV_UDP_REUSEADDR));
  ASSERT_EQ(udp_port(&c), udp_port(&d));
  ASSERT_EQ(nu_sockopt_int(nu_fileno(&d), SOL_SOCKET, SO_REUSEADDR), 1);
  nu_loop_finish(&loop);
}

TEST(udp_bind_reuseport) {
  uv_loop_t loop;
  uv_udp_t c, d;
  struct sockaddr_in addr;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_udp_init(&loop, &c));
  ASSERT_OK(uv_udp_init(&loop, &d));
  nu_addr4(&addr, 0);
  ASSERT_OK(uv_udp_bind(&c, (const struct sockaddr*) &addr, UDP_REUSEPORT_FLAG));
  nu_addr4(&addr, udp_port(&c));
  ASSERT_OK(uv_udp_bind(&d, (const struct sockaddr*) &addr, UDP_REUSEPORT_FLAG));
  ASSERT_EQ(nu_sockopt_int(nu_fileno(&c), SOL_SOCKET, SO_REUSEPORT), 1);
  nu_loop_finish(&loop);
}

TEST(udp_open_rules) {
  uv_loop_t loop;
  uv_udp_t a, b;
  struct sockaddr_in addr;
  int fd, fd2;

  ASSERT_OK(uv_loop_init(&loop));
  fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  nu_addr4(&addr, 0);
  ASSERT_OK(bind(fd, (const struct sockaddr*) &addr, sizeof(addr)));
  ASSERT_OK(uv_udp_init(&loop, &a));
  ASSERT_OK(uv_udp_open(&a, fd));
  ASSERT_EQ(nu_fileno(&a), fd);
  ASSERT(nu_is_nonblock(fd));
  ASSERT_EQ(udp_port(&a), nu_fd_port(fd));
  fd2 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd2, 0);
  ASSERT_EQ(uv_udp_open(&a, fd2), UV_EBUSY);

  /* A descriptor the loop already watches cannot be opened twice. */
  ASSERT_OK(uv_udp_recv_start(&a, nu_alloc_cb, sr_recv_cb));
  ASSERT_OK(uv_udp_init(&loop, &b));
  ASSERT_EQ(uv_udp_open(&b, fd), UV_EEXIST);
#if UV_VERSION_HEX >= 0x013400
  ASSERT_EQ(uv_udp_open_ex(&b, fd2, UV_UDP_IPV6ONLY), UV_EINVAL);
  ASSERT_OK(uv_udp_open_ex(&b, fd2, 0));
#else
  ASSERT_OK(uv_udp_open(&b, fd2));
#endif
  ASSERT_EQ(nu_fileno(&b), fd2);
  uv_close((uv_handle_t*) &a, NULL);
  uv_close((uv_handle_t*) &b, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  /* Closing the handle closed the descriptor. */
  ASSERT_EQ(nu_fd_is_open(fd), 0);
  ASSERT_EQ(nu_fd_is_open(fd2), 0);
  ASSERT_OK(uv_loop_close(&loop));
}

/* An opened, already connected socket counts as connected. */
TEST(udp_open_connected) {
  uv_loop_t loop;
  uv_udp_t rx, tx;
  uv_udp_send_t req;
  struct sockaddr_in addr;
  uv_buf_t b = udp_buf("oc");
  int fd;

  memset(&sr, 0, sizeof(sr));
  ASSERT_OK(uv_loop_init(&loop));
  udp_bound(&loop, &rx, &addr);
  ASSERT_OK(uv_udp_recv_start(&rx, nu_alloc_cb, sr_recv_cb));
  fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  ASSERT_OK(connect(fd, (const struct sockaddr*) &addr, sizeof(addr)));
  ASSERT_OK(uv_udp_init(&loop, &tx));
  ASSERT_OK(uv_udp_open(&tx, fd));
  ASSERT_EQ(uv_udp_send(&req, &tx, &b, 1, (const struct sockaddr*) &addr, NULL), UV_EISCONN);
  ASSERT_OK(uv_udp_send(&req, &tx, &b, 1, NULL, NULL));
  UDP_RUN_WHILE(&loop, sr.recvs == 0);
  ASSERT_EQ(sr.nread, 2);
  nu_loop_finish(&loop);
}

/* ---- recvmmsg ---------------------------------------------------------------- */

#define MM_N 10
#define MM_BUF (16 * 64 * 1024)

static struct {
  int allocs;
  int frees;
  int chunks;
  int empty;
  char* current;
} mm;

static void mm_alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  ASSERT_EQ(suggested, 64 * 1024);
  ASSERT_EQ(uv_udp_using_recvmmsg((uv_udp_t*) h), 1);
  ASSERT_NULL(mm.current);
  mm.current = (char*) malloc(MM_BUF);
  ASSERT_NOT_NULL(mm.current);
  buf->base = mm.current;
  buf->len = MM_BUF;
  mm.allocs++;
}

static void mm_recv_cb(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                       const struct sockaddr* addr, unsigned flags) {
  ASSERT_GE(nread, 0);
  if (flags & UV_UDP_MMSG_FREE) {
    ASSERT_EQ(nread, 0);
    ASSERT_NULL(addr);
    ASSERT_EQ(flags & UV_UDP_MMSG_CHUNK, 0);
    ASSERT_EQ(buf->base, mm.current);
    free(buf->base);
    mm.current = NULL;
    mm.frees++;
    /* (Stopping from a chunk callback would skip this one: libuv checks for
     * a receive callback before handing the buffer back.) */
    if (mm.chunks == MM_N)
      uv_udp_recv_stop(h);
    return;
  }
  if (flags & UV_UDP_MMSG_CHUNK) {
    /* A chunk inside the allocated buffer: not to be freed. */
    ASSERT_NOT_NULL(addr);
    ASSERT(buf->base >= mm.current && buf->base < mm.current + MM_BUF);
    ASSERT_EQ(nread, 4);
    ASSERT_OK(memcmp(buf->base, "mmsg", 4));
    mm.chunks++;
    return;
  }
  /* Nothing to read: the whole buffer comes back, the program frees it. */
  ASSERT_EQ(nread, 0);
  ASSERT_NULL(addr);
  ASSERT_EQ(buf->base, mm.current);
  free(buf->base);
  mm.current = NULL;
  mm.frees++;
  mm.empty++;
}

TEST(udp_recvmmsg) {
  uv_loop_t loop;
  uv_udp_t rx, tx;
  struct sockaddr_in addr;
  uv_buf_t b = udp_buf("mmsg");
  int i;

  memset(&mm, 0, sizeof(mm));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_udp_init_ex(&loop, &rx, AF_INET | UV_UDP_RECVMMSG));
  ASSERT_EQ(uv_udp_using_recvmmsg(&rx), 1);
  nu_addr4(&addr, 0);
  ASSERT_OK(uv_udp_bind(&rx, (const struct sockaddr*) &addr, 0));
  nu_addr4(&addr, udp_port(&rx));
  ASSERT_OK(uv_udp_init(&loop, &tx));
  for (i = 0; i < MM_N; i++)
    ASSERT_EQ(uv_udp_try_send(&tx, &b, 1, (const struct sockaddr*) &addr), 4);
  ASSERT_OK(uv_udp_recv_start(&rx, mm_alloc_cb, mm_recv_cb));
  UDP_RUN_WHILE(&loop, mm.chunks < MM_N || mm.frees == 0);
  /* Every buffer was handed back once; all ten came in one recvmmsg here. */
  ASSERT_EQ(mm.allocs, mm.frees);
  ASSERT_NULL(mm.current);
  ASSERT_EQ(mm.allocs, 1);
  nu_loop_finish(&loop);
}

/* ---- reference counting and activity ----------------------------------------- */

TEST(udp_active_and_ref) {
  uv_loop_t loop;
  uv_udp_t h;
  struct sockaddr_in addr;

  ASSERT_OK(uv_loop_init(&loop));
  udp_bound(&loop, &h, &addr);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));        /* an idle handle does not block */
  ASSERT_OK(uv_udp_recv_start(&h, nu_alloc_cb, sr_recv_cb));
  ASSERT_EQ(uv_loop_alive(&loop), 1);
  uv_unref((uv_handle_t*) &h);
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  uv_ref((uv_handle_t*) &h);
  ASSERT_OK(uv_udp_recv_stop(&h));
  ASSERT_OK(uv_udp_recv_stop(&h));
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  nu_loop_finish(&loop);
}
