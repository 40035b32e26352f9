/* Streams (the behaviour TCP sockets and pipes share): writes that the kernel
 * takes in pieces, write_queue_size, many-buffer writes, shutdown and EOF,
 * nread == 0, cancellation on close, callbacks that never run inside the
 * call that queued them, uv_try_write, uv_is_readable/writable,
 * uv_stream_set_blocking, uv_fileno, uv_guess_handle, uv_read_start errors.
 *
 * Every expectation was checked against libuv 1.52.1.  libuv ignores no
 * signals, so a test that writes to a closed peer ignores SIGPIPE itself. */
#include "test.h"

#include <uv.h>

#include "net_util.h"

#include <linux/sockios.h>
#include <pthread.h>
#include <sys/mman.h>

/* ---- 8 MiB through a small window ------------------------------------------ */

/* The client writes 8 MiB in one uv_write while the server does not read yet;
 * both sockets have small kernel buffers, so the kernel takes the data in
 * pieces.  write_queue_size is checked at every opportunity: it only shrinks,
 * it is never below what the server has received (read or still queued in
 * its socket) and never above that plus what the client's kernel still holds
 * (SIOCOUTQ), it reaches 0 exactly when the write callback runs.  The server
 * echoes everything; the client checks every byte. */

#define BIG_TOTAL ((size_t) 8 << 20)
#define BIG_SEED 0x5eedu

static struct {
  uv_loop_t loop;
  uv_tcp_t server;
  uv_tcp_t client;
  uv_tcp_t sconn;
  uv_connect_t creq;
  uv_write_t wreq;
  uv_timer_t timer;
  uv_check_t check;
  unsigned char* data;
  size_t last_wqs;
  size_t server_received;
  size_t echoed;
  int accepted;
  int in_uv_write;
  int write_cb_called;
  int samples;
  int timer_fired;
  int closed;
} big;

static void big_close_cb(uv_handle_t* h) {
  (void) h;
  big.closed++;
}

/* Checks write_queue_size against what the kernels say. */
static void big_sample(void) {
  size_t wqs = uv_stream_get_write_queue_size((uv_stream_t*) &big.client);
  size_t taken;
  int inq = 0;
  int outq = 0;

  ASSERT_U64_EQ(wqs, big.client.write_queue_size);
  ASSERT_U64_LE(wqs, big.last_wqs);
  big.last_wqs = wqs;
  if (big.write_cb_called) {
    ASSERT_U64_EQ(wqs, 0);
    return;
  }
  /* Until the callback has run, something is still queued. */
  ASSERT_U64_GT(wqs, 0);
  if (!big.accepted)
    return;
  taken = BIG_TOTAL - wqs;
  /* The client's unacked bytes first, then the server's queue: bytes moving
   * between the two readings (softirq on another CPU) are then counted twice
   * rather than not at all. */
  ASSERT_OK(ioctl(nu_fileno(&big.client), SIOCOUTQ, &outq));
  ASSERT_OK(ioctl(nu_fileno(&big.sconn), SIOCINQ, &inq));
  ASSERT_GE(inq, 0);
  ASSERT_GE(outq, 0);
  /* Everything the server has came from bytes the library gave the kernel... */
  ASSERT_U64_LE(big.server_received + (size_t) inq, taken);
  /* ...and everything given to the kernel was received or is still unacked. */
  ASSERT_U64_LE(taken, big.server_received + (size_t) inq + (size_t) outq);
  big.samples++;
}

static void big_check_cb(uv_check_t* h) {
  (void) h;
  big_sample();
}

static void big_write_cb(uv_write_t* req, int status) {
  ASSERT(req == &big.wreq);
  ASSERT_EQ(big.in_uv_write, 0);
  ASSERT_OK(status);
  ASSERT_EQ(big.write_cb_called, 0);
  ASSERT_EQ(big.timer_fired, 1);
  ASSERT_U64_EQ(uv_stream_get_write_queue_size((uv_stream_t*) &big.client), 0);
  big.write_cb_called = 1;
  /* The library only read our bytes. */
  ASSERT_U64_EQ(nu_check(big.data, BIG_TOTAL, 0, BIG_SEED), BIG_TOTAL);
  /* From now on the bytes are ours again: any access by the library faults. */
  ASSERT_OK(mprotect(big.data, BIG_TOTAL, PROT_NONE));
  big_sample();
}

static void big_echo_written(uv_write_t* req, int status) {
  ASSERT_OK(status);
  free(req->data);
  free(req);
}

static void big_server_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    uv_write_t* w;
    uv_buf_t b;
    big.server_received += (size_t) nread;
    big_sample();
    w = (uv_write_t*) malloc(sizeof(*w));
    ASSERT_NOT_NULL(w);
    w->data = buf->base;
    b = uv_buf_init(buf->base, (unsigned int) nread);
    ASSERT_OK(uv_write(w, s, &b, 1, big_echo_written));
    return;
  }
  free(buf->base);
  ASSERT_EQ(nread, 0);   /* no EOF or error: the client never shuts down */
}

static void big_client_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  (void) s;
  if (nread > 0) {
    size_t bad = nu_check((const unsigned char*) buf->base, (size_t) nread,
                          big.echoed, BIG_SEED);
    if (bad != (size_t) nread)
      TEST_FAIL("echoed byte %zu differs", big.echoed + bad);
    big.echoed += (size_t) nread;
    ASSERT_U64_LE(big.echoed, BIG_TOTAL);
    big_sample();
    if (big.echoed == BIG_TOTAL) {
      ASSERT_EQ(big.write_cb_called, 1);
      uv_close((uv_handle_t*) &big.client, big_close_cb);
      uv_close((uv_handle_t*) &big.sconn, big_close_cb);
      uv_close((uv_handle_t*) &big.server, big_close_cb);
      uv_close((uv_handle_t*) &big.check, big_close_cb);
      uv_close((uv_handle_t*) &big.timer, big_close_cb);
    }
  } else {
    ASSERT_EQ(nread, 0);
  }
  free(buf->base);
}

/* 100 ms after the write: the server has not read a byte, the write waits. */
static void big_timer_cb(uv_timer_t* t) {
  (void) t;
  ASSERT_EQ(big.accepted, 1);
  ASSERT_EQ(big.write_cb_called, 0);
  ASSERT_U64_EQ(big.server_received, 0);
  big_sample();
  ASSERT_U64_GT(big.last_wqs, BIG_TOTAL / 2);
  big.timer_fired = 1;
  ASSERT_OK(uv_read_start((uv_stream_t*) &big.sconn, nu_alloc_cb, big_server_read));
}

static void big_connection_cb(uv_stream_t* server, int status) {
  int v = 8192;
  ASSERT_OK(status);
  ASSERT_OK(uv_tcp_init(server->loop, &big.sconn));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) &big.sconn));
  ASSERT_OK(uv_recv_buffer_size((uv_handle_t*) &big.sconn, &v));
  big.accepted = 1;
}

static void big_connect_cb(uv_connect_t* req, int status) {
  uv_buf_t bufs[1];
  size_t wqs;
  ASSERT(req == &big.creq);
  ASSERT_OK(status);
  bufs[0] = uv_buf_init((char*) big.data, (unsigned int) BIG_TOTAL);
  big.in_uv_write = 1;
  ASSERT_OK(uv_write(&big.wreq, (uv_stream_t*) &big.client, bufs, 1, big_write_cb));
  big.in_uv_write = 0;
  /* The uv_buf_t array is ours again at once. */
  bufs[0].base = NULL;
  bufs[0].len = 0;
  ASSERT_EQ(big.write_cb_called, 0);
  wqs = uv_stream_get_write_queue_size((uv_stream_t*) &big.client);
  ASSERT_U64_GT(wqs, 0);           /* the kernel could not take 8 MiB... */
  ASSERT_U64_LT(wqs, BIG_TOTAL);   /* ...but it took the first piece at once */
  big.last_wqs = wqs;
  big_sample();
  ASSERT_OK(uv_read_start((uv_stream_t*) &big.client, nu_alloc_cb, big_client_read));
  ASSERT_OK(uv_timer_start(&big.timer, big_timer_cb, 100, 0));
}

TEST_TIMEOUT(stream_echo_8mib_partial_writes_queue_size, 60) {
  struct sockaddr_in a;
  int v;

  memset(&big, 0, sizeof(big));
  big.data = (unsigned char*) mmap(NULL, BIG_TOTAL, PROT_READ | PROT_WRITE,
                                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT(big.data != MAP_FAILED);
  nu_fill(big.data, BIG_TOTAL, 0, BIG_SEED);
  big.last_wqs = BIG_TOTAL;

  ASSERT_OK(uv_loop_init(&big.loop));
  ASSERT_OK(uv_timer_init(&big.loop, &big.timer));
  ASSERT_OK(uv_check_init(&big.loop, &big.check));
  ASSERT_OK(uv_check_start(&big.check, big_check_cb));

  nu_addr4(&a, 0);
  ASSERT_OK(uv_tcp_init(&big.loop, &big.server));
  ASSERT_OK(uv_tcp_bind(&big.server, (const struct sockaddr*) &a, 0));
  v = 8192;
  ASSERT_OK(uv_recv_buffer_size((uv_handle_t*) &big.server, &v));
  ASSERT_OK(uv_listen((uv_stream_t*) &big.server, 8, big_connection_cb));
  nu_addr4(&a, nu_tcp_port(&big.server));

  ASSERT_OK(uv_tcp_init_ex(&big.loop, &big.client, AF_INET));
  v = 8192;
  ASSERT_OK(uv_send_buffer_size((uv_handle_t*) &big.client, &v));
  v = 0;
  ASSERT_OK(uv_send_buffer_size((uv_handle_t*) &big.client, &v));
  ASSERT_GT(v, 0);
  ASSERT_LE(v, 65536);   /* Linux doubles the request: small, as asked */
  ASSERT_OK(uv_tcp_connect(&big.creq, &big.client, (const struct sockaddr*) &a,
                           big_connect_cb));

  ASSERT_OK(uv_run(&big.loop, UV_RUN_DEFAULT));
  ASSERT_EQ(big.closed, 5);
  ASSERT_EQ(big.write_cb_called, 1);
  ASSERT_U64_EQ(big.echoed, BIG_TOTAL);
  ASSERT_U64_EQ(big.server_received, BIG_TOTAL);
  ASSERT_GT(big.samples, 20);
  ASSERT_OK(uv_loop_close(&big.loop));
  ASSERT_OK(munmap(big.data, BIG_TOTAL));
}

/* ---- many buffers in one write ---------------------------------------------- */

/* One uv_write of 2000 buffers (more than IOV_MAX, with empty ones among
 * them), then two more writes.  The uv_buf_t arrays are overwritten and freed
 * right after uv_write returns; only the bytes must stay.  The peer gets the
 * bytes in order and the callbacks run in order. */

#define MANY_NBUFS 2000
#define MANY_SEED 77u

static struct {
  uv_stream_t* writer;
  uv_stream_t* reader;
  unsigned char* data;       /* the bytes the buffers point into */
  size_t total;
  size_t received;
  uv_write_t w[3];
  char order[8];
  int nwritten;
  int in_uv_write;
} many;

static void many_write_cb(uv_write_t* req, int status) {
  ASSERT_EQ(many.in_uv_write, 0);
  ASSERT_OK(status);
  ASSERT_LT(many.nwritten, 3);
  many.order[many.nwritten++] = (char) ('0' + (req - many.w));
}

static void many_read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  (void) s;
  if (nread > 0) {
    ASSERT_U64_LE(many.received + (size_t) nread, many.total);
    if (memcmp(buf->base, many.data + many.received, (size_t) nread) != 0)
      TEST_FAIL("bytes out of order near offset %zu", many.received);
    many.received += (size_t) nread;
    if (many.received == many.total) {
      uv_close((uv_handle_t*) many.reader, NULL);
      uv_close((uv_handle_t*) many.writer, NULL);
    }
  } else {
    ASSERT_EQ(nread, 0);
  }
  free(buf->base);
}

static void many_run(uv_loop_t* loop, uv_stream_t* writer, uv_stream_t* reader) {
  uv_buf_t* arr;
  uv_buf_t three[3];
  uv_buf_t one;
  size_t lens[MANY_NBUFS];
  size_t off;
  size_t i;
  int zero = 0;

  memset(&many, 0, sizeof(many));
  many.writer = writer;
  many.reader = reader;
  for (i = 0, off = 0; i < MANY_NBUFS; i++) {
    lens[i] = (i * 37) % 601;     /* 0 for i = 0, 601, 1202, 1803 */
    zero += lens[i] == 0;
    off += lens[i];
  }
  ASSERT_EQ(zero, 4);
  many.total = off + 3 * 1000 + 5000;
  many.data = (unsigned char*) malloc(many.total);
  ASSERT_NOT_NULL(many.data);
  nu_fill(many.data, many.total, 0, MANY_SEED);

  arr = (uv_buf_t*) malloc(MANY_NBUFS * sizeof(*arr));
  ASSERT_NOT_NULL(arr);
  for (i = 0, off = 0; i < MANY_NBUFS; i++) {
    arr[i] = uv_buf_init((char*) many.data + off, (unsigned int) lens[i]);
    off += lens[i];
  }
  many.in_uv_write = 1;
  ASSERT_OK(uv_write(&many.w[0], writer, arr, MANY_NBUFS, many_write_cb));
  many.in_uv_write = 0;
  memset(arr, 0xa5, MANY_NBUFS * sizeof(*arr));
  free(arr);

  for (i = 0; i < 3; i++) {
    three[i] = uv_buf_init((char*) many.data + off, 1000);
    off += 1000;
  }
  many.in_uv_write = 1;
  ASSERT_OK(uv_write(&many.w[1], writer, three, 3, many_write_cb));
  memset(three, 0, sizeof(three));
  one = uv_buf_init((char*) many.data + off, 5000);
  ASSERT_OK(uv_write(&many.w[2], writer, &one, 1, many_write_cb));
  many.in_uv_write = 0;
  memset(&one, 0, sizeof(one));
  /* Nothing completes inside uv_write. */
  ASSERT_EQ(many.nwritten, 0);
  ASSERT_U64_GT(uv_stream_get_write_queue_size(writer), 0);

  ASSERT_OK(uv_read_start(reader, nu_alloc_cb, many_read_cb));
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  ASSERT_U64_EQ(many.received, many.total);
  ASSERT_EQ(many.nwritten, 3);
  ASSERT_STR_EQ(many.order, "012");
  free(many.data);
}

TEST(stream_write_2000_buffers_tcp) {
  uv_loop_t loop;
  uv_tcp_t client;
  uv_tcp_t peer;
  ASSERT_OK(uv_loop_init(&loop));
  nu_tcp_pair(&loop, &client, &peer, 8192, 8192);
  many_run(&loop, (uv_stream_t*) &client, (uv_stream_t*) &peer);
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(stream_write_2000_buffers_pipe) {
  uv_loop_t loop;
  uv_pipe_t a;
  uv_pipe_t b;
  uv_os_sock_t fds[2];
  int v = 4096;
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, fds, 0, 0));
  ASSERT_OK(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
  ASSERT_OK(setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &a, 0));
  ASSERT_OK(uv_pipe_init(&loop, &b, 0));
  ASSERT_OK(uv_pipe_open(&a, fds[0]));
  ASSERT_OK(uv_pipe_open(&b, fds[1]));
  many_run(&loop, (uv_stream_t*) &a, (uv_stream_t*) &b);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- shutdown and EOF ------------------------------------------------------- */

#define SD_CHUNK ((size_t) 256 << 10)
#define SD_SEED 9u

static struct {
  uv_tcp_t client;
  uv_tcp_t peer;
  uv_write_t w[4];
  uv_write_t w5;
  uv_write_t bye_req;
  uv_shutdown_t sd;
  uv_shutdown_t sd2;
  uv_shutdown_t sd3;
  uv_timer_t timer;
  unsigned char* data;
  char events[16];
  int nevents;
  size_t received;
  int eof_count;
  int zero_reads;
  int client_got_bye;
  int client_eof;
  int in_call;
} sd;

static void sd_event(char c) {
  ASSERT_LT(sd.nevents, 15);
  sd.events[sd.nevents++] = c;
}

static void sd_write_cb(uv_write_t* req, int status) {
  ASSERT_EQ(sd.in_call, 0);
  ASSERT_OK(status);
  sd_event((char) ('1' + (req - sd.w)));
}

static void sd_shutdown_cb(uv_shutdown_t* req, int status) {
  ASSERT(req == &sd.sd);
  ASSERT(req->handle == (uv_stream_t*) &sd.client);
  ASSERT_EQ(sd.in_call, 0);
  ASSERT_OK(status);
  sd_event('s');
  ASSERT_U64_EQ(uv_stream_get_write_queue_size((uv_stream_t*) &sd.client), 0);
  /* Shut down already: a second shutdown is refused. */
  ASSERT_EQ(uv_shutdown(&sd.sd3, (uv_stream_t*) &sd.client, NULL), UV_ENOTCONN);
}

static void sd_bye_written(uv_write_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  uv_close((uv_handle_t*) &sd.peer, NULL);
}

static void sd_peer_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  /* Nothing at all after EOF. */
  ASSERT_EQ(sd.eof_count, 0);
  if (nread > 0) {
    size_t bad = nu_check((const unsigned char*) buf->base, (size_t) nread,
                          sd.received, SD_SEED);
    if (bad != (size_t) nread)
      TEST_FAIL("byte %zu differs", sd.received + bad);
    sd.received += (size_t) nread;
  } else if (nread == 0) {
    sd.zero_reads++;   /* "nothing now", never the end */
  } else {
    uv_buf_t b;
    ASSERT_EQ(nread, UV_EOF);
    sd.eof_count++;
    /* EOF comes after every byte, and after the shutdown completed. */
    ASSERT_U64_EQ(sd.received, 4 * SD_CHUNK);
    ASSERT_STR_EQ(sd.events, "1234s");
    /* Half-close: this side can still write. */
    ASSERT_EQ(uv_is_writable(s), 1);
    b = uv_buf_init((char*) "bye", 3);
    ASSERT_OK(uv_write(&sd.bye_req, s, &b, 1, sd_bye_written));
  }
  free(buf->base);
}

static void sd_client_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  ASSERT_EQ(sd.client_eof, 0);
  if (nread > 0) {
    ASSERT_EQ(nread, 3);
    ASSERT(memcmp(buf->base, "bye", 3) == 0);
    sd.client_got_bye++;
  } else if (nread == UV_EOF) {
    sd.client_eof++;
    ASSERT_EQ(sd.client_got_bye, 1);
    uv_close((uv_handle_t*) s, NULL);
  } else {
    ASSERT_EQ(nread, 0);
  }
  free(buf->base);
}

static void sd_timer_cb(uv_timer_t* t) {
  /* The peer starts reading only now: until then the writes wait. */
  ASSERT_EQ(sd.nevents, 0);
  ASSERT_OK(uv_read_start((uv_stream_t*) &sd.peer, nu_alloc_cb, sd_peer_read));
  uv_close((uv_handle_t*) t, NULL);
}

TEST_TIMEOUT(stream_shutdown_after_queued_writes_eof_once, 30) {
  uv_loop_t loop;
  uv_buf_t b;
  int i;

  memset(&sd, 0, sizeof(sd));
  sd.data = (unsigned char*) malloc(4 * SD_CHUNK);
  ASSERT_NOT_NULL(sd.data);
  nu_fill(sd.data, 4 * SD_CHUNK, 0, SD_SEED);
  ASSERT_OK(uv_loop_init(&loop));
  nu_tcp_pair(&loop, &sd.client, &sd.peer, 8192, 8192);

  sd.in_call = 1;
  for (i = 0; i < 4; i++) {
    b = uv_buf_init((char*) sd.data + i * SD_CHUNK, (unsigned int) SD_CHUNK);
    ASSERT_OK(uv_write(&sd.w[i], (uv_stream_t*) &sd.client, &b, 1, sd_write_cb));
  }
  ASSERT_OK(uv_shutdown(&sd.sd, (uv_stream_t*) &sd.client, sd_shutdown_cb));
  ASSERT(sd.sd.handle == (uv_stream_t*) &sd.client);
  ASSERT_EQ(uv_req_get_type((uv_req_t*) &sd.sd), UV_SHUTDOWN);
  /* A second shutdown while the first is pending. */
  ASSERT_EQ(uv_shutdown(&sd.sd2, (uv_stream_t*) &sd.client, sd_shutdown_cb),
            UV_ENOTCONN);
  /* No more writes after shutdown. */
  b = uv_buf_init((char*) "x", 1);
  ASSERT_EQ(uv_write(&sd.w5, (uv_stream_t*) &sd.client, &b, 1, sd_write_cb), UV_EPIPE);
  sd.in_call = 0;
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &sd.client), 0);
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &sd.client), 1);
  ASSERT_U64_GT(uv_stream_get_write_queue_size((uv_stream_t*) &sd.client), 0);
  ASSERT_EQ(sd.nevents, 0);

  ASSERT_OK(uv_read_start((uv_stream_t*) &sd.client, nu_alloc_cb, sd_client_read));
  ASSERT_OK(uv_timer_init(&loop, &sd.timer));
  ASSERT_OK(uv_timer_start(&sd.timer, sd_timer_cb, 50, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  ASSERT_STR_EQ(sd.events, "1234s");
  ASSERT_EQ(sd.eof_count, 1);
  ASSERT_EQ(sd.client_got_bye, 1);
  ASSERT_EQ(sd.client_eof, 1);
  ASSERT_OK(uv_loop_close(&loop));
  free(sd.data);
}

/* A shutdown with nothing queued still completes through the loop, and the
 * peer sees EOF. */
static int sde_shutdown_calls;
static int sde_in_call;

static void sde_shutdown_cb(uv_shutdown_t* req, int status) {
  (void) req;
  ASSERT_EQ(sde_in_call, 0);
  ASSERT_OK(status);
  sde_shutdown_calls++;
}

TEST(stream_shutdown_empty_queue_deferred) {
  uv_loop_t loop;
  uv_pipe_t p;
  uv_shutdown_t req;
  uv_os_sock_t fds[2];
  char c;

  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, fds, 0, 0));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_OK(uv_pipe_open(&p, fds[0]));
  sde_in_call = 1;
  ASSERT_OK(uv_shutdown(&req, (uv_stream_t*) &p, sde_shutdown_cb));
  sde_in_call = 0;
  ASSERT_EQ(sde_shutdown_calls, 0);
  /* Not shut down in the kernel yet either: that happens with the callback. */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(sde_shutdown_calls, 1);
  ASSERT_EQ(read(fds[1], &c, 1), 0);
  uv_close((uv_handle_t*) &p, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
  close(fds[1]);
}

/* ---- nread == 0 is not EOF -------------------------------------------------- */

/* Two pipes become readable in the same poll.  Whichever read callback runs
 * first also drains the other pipe behind the library's back, so the other
 * stream's read finds nothing: it reports nread == 0 and keeps reading.  More
 * data then arrives normally, and only the peer's close gives UV_EOF. */

static struct {
  uv_pipe_t p[2];
  int peer[2];
  int stolen;          /* index whose data was taken, or -1 */
  int zero_reads[2];
  int eof[2];
  char got[2][16];
  size_t ngot[2];
} nz;

static void nz_read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  int i = (s == (uv_stream_t*) &nz.p[0]) ? 0 : 1;
  ASSERT_EQ(nz.eof[i], 0);
  if (nread > 0) {
    ASSERT_U64_LE(nz.ngot[i] + (size_t) nread, sizeof(nz.got[i]) - 1);
    memcpy(nz.got[i] + nz.ngot[i], buf->base, (size_t) nread);
    nz.ngot[i] += (size_t) nread;
    if (nz.stolen == -1) {
      char c;
      int other = 1 - i;
      ASSERT_EQ(read(nu_fileno(&nz.p[other]), &c, 1), 1);
      ASSERT_EQ(c, other == 0 ? 'a' : 'b');
      nz.stolen = other;
    }
  } else if (nread == 0) {
    nz.zero_reads[i]++;
    if (i == nz.stolen && nz.zero_reads[i] == 1) {
      /* Now the real data. */
      nu_write_all(nz.peer[i], "more", 4);
      ASSERT_OK(close(nz.peer[i]));
      nz.peer[i] = -1;
    }
  } else {
    ASSERT_EQ(nread, UV_EOF);
    nz.eof[i]++;
    uv_close((uv_handle_t*) s, NULL);
  }
  free(buf->base);
}

TEST(stream_nread_zero_is_not_eof) {
  uv_loop_t loop;
  int i;
  int other;

  memset(&nz, 0, sizeof(nz));
  nz.stolen = -1;
  ASSERT_OK(uv_loop_init(&loop));
  for (i = 0; i < 2; i++) {
    uv_os_sock_t fds[2];
    ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, fds, 0, 0));
    ASSERT_OK(uv_pipe_init(&loop, &nz.p[i], 0));
    ASSERT_OK(uv_pipe_open(&nz.p[i], fds[0]));
    nz.peer[i] = fds[1];
    ASSERT_OK(uv_read_start((uv_stream_t*) &nz.p[i], nu_alloc_cb, nz_read_cb));
  }
  ASSERT_EQ(write(nz.peer[0], "a", 1), 1);
  ASSERT_EQ(write(nz.peer[1], "b", 1), 1);
  /* Run until the robbed stream got its second chance. */
  for (i = 0; i < 100 && (nz.stolen == -1 || nz.zero_reads[nz.stolen] == 0); i++)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_NE(nz.stolen, -1);
  ASSERT_EQ(nz.zero_reads[nz.stolen], 1);
  other = 1 - nz.stolen;
  /* The stream that was robbed is still reading. */
  ASSERT_EQ(uv_is_active((uv_handle_t*) &nz.p[nz.stolen]), 1);
  ASSERT_EQ(nz.eof[nz.stolen], 0);
  close(nz.peer[other]);
  nz.peer[other] = -1;
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(nz.eof[0], 1);
  ASSERT_EQ(nz.eof[1], 1);
  ASSERT_U64_EQ(nz.ngot[nz.stolen], 4);
  ASSERT(memcmp(nz.got[nz.stolen], "more", 4) == 0);
  ASSERT_U64_EQ(nz.ngot[other], 1);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- closing cancels queued writes ------------------------------------------ */

static struct {
  uv_tcp_t client;
  uv_tcp_t peer;
  uv_write_t w[3];
  uv_shutdown_t sd;
  char events[16];
  int nevents;
  int in_close;
  size_t wqs_at_close_cb;
} cq;

static void cq_event(char c) {
  ASSERT_LT(cq.nevents, 15);
  cq.events[cq.nevents++] = c;
}

static void cq_write_cb(uv_write_t* req, int status) {
  ASSERT_EQ(cq.in_close, 0);
  ASSERT_EQ(status, UV_ECANCELED);
  cq_event((char) ('1' + (req - cq.w)));
}

static void cq_shutdown_cb(uv_shutdown_t* req, int status) {
  (void) req;
  ASSERT_EQ(cq.in_close, 0);
  ASSERT_EQ(status, UV_ECANCELED);
  cq_event('s');
}

static void cq_close_cb(uv_handle_t* h) {
  cq_event('c');
  cq.wqs_at_close_cb = uv_stream_get_write_queue_size((uv_stream_t*) h);
}

TEST(stream_close_cancels_queued_writes) {
  uv_loop_t loop;
  unsigned char* data;
  uv_buf_t b;
  size_t chunk = (size_t) 512 << 10;
  int i;

  memset(&cq, 0, sizeof(cq));
  cq.wqs_at_close_cb = (size_t) -1;
  data = (unsigned char*) malloc(3 * chunk);
  ASSERT_NOT_NULL(data);
  memset(data, 'q', 3 * chunk);
  ASSERT_OK(uv_loop_init(&loop));
  nu_tcp_pair(&loop, &cq.client, &cq.peer, 8192, 8192);
  for (i = 0; i < 3; i++) {
    b = uv_buf_init((char*) data + i * chunk, (unsigned int) chunk);
    ASSERT_OK(uv_write(&cq.w[i], (uv_stream_t*) &cq.client, &b, 1, cq_write_cb));
  }
  ASSERT_OK(uv_shutdown(&cq.sd, (uv_stream_t*) &cq.client, cq_shutdown_cb));
  /* Let the kernel take what it will; the peer never reads. */
  for (i = 0; i < 5; i++)
    uv_run(&loop, UV_RUN_NOWAIT);
  ASSERT_EQ(cq.nevents, 0);
  ASSERT_U64_GT(uv_stream_get_write_queue_size((uv_stream_t*) &cq.client), chunk);
  cq.in_close = 1;
  uv_close((uv_handle_t*) &cq.client, cq_close_cb);
  cq.in_close = 0;
  ASSERT_EQ(cq.nevents, 0);
  uv_close((uv_handle_t*) &cq.peer, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  /* Every write (the partly written one too) and the shutdown are cancelled,
   * in order, before the close callback; the queue size ends at 0. */
  ASSERT_STR_EQ(cq.events, "123sc");
  ASSERT_U64_EQ(cq.wqs_at_close_cb, 0);
  ASSERT_OK(uv_loop_close(&loop));
  free(data);
}

/* ---- callbacks never run inside the call -------------------------------------- */

static struct {
  int in_call;
  int calls;
  int status;
  size_t wqs_in_cb;
  uv_stream_t* stream;
} dc;

static void dc_write_cb(uv_write_t* req, int status) {
  (void) req;
  ASSERT_EQ(dc.in_call, 0);
  dc.calls++;
  dc.status = status;
  dc.wqs_in_cb = uv_stream_get_write_queue_size(dc.stream);
}

TEST(stream_write_cb_deferred_even_when_done_at_once) {
  uv_loop_t loop;
  uv_pipe_t p;
  uv_write_t req;
  uv_buf_t b;
  uv_os_sock_t fds[2];
  char buf[8];

  memset(&dc, 0, sizeof(dc));
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, fds, 0, 0));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_OK(uv_pipe_open(&p, fds[0]));
  dc.stream = (uv_stream_t*) &p;
  b = uv_buf_init((char*) "hi", 2);
  dc.in_call = 1;
  ASSERT_OK(uv_write(&req, (uv_stream_t*) &p, &b, 1, dc_write_cb));
  dc.in_call = 0;
  /* Fully written already (the peer has the bytes), yet no callback. */
  ASSERT_U64_EQ(uv_stream_get_write_queue_size((uv_stream_t*) &p), 0);
  ASSERT_EQ(read(fds[1], buf, sizeof(buf)), 2);
  ASSERT_EQ(dc.calls, 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));
  ASSERT_EQ(dc.calls, 1);
  ASSERT_OK(dc.status);
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));
  ASSERT_EQ(dc.calls, 1);
  uv_close((uv_handle_t*) &p, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
  close(fds[1]);
}

/* A write to a stream whose peer is gone fails through the callback; until
 * then write_queue_size still counts the failed bytes (libuv's signal to stop
 * writing), the callback sees them gone. */
TEST(stream_write_error_via_callback) {
  uv_loop_t loop;
  uv_pipe_t p;
  uv_write_t req;
  uv_buf_t b;
  uv_os_sock_t fds[2];

  nu_ignore_sigpipe();
  memset(&dc, 0, sizeof(dc));
  dc.wqs_in_cb = 99;
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, fds, 0, 0));
  ASSERT_OK(close(fds[1]));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_OK(uv_pipe_open(&p, fds[0]));
  dc.stream = (uv_stream_t*) &p;
  b = uv_buf_init((char*) "hello", 5);
  dc.in_call = 1;
  ASSERT_OK(uv_write(&req, (uv_stream_t*) &p, &b, 1, dc_write_cb));
  dc.in_call = 0;
  ASSERT_EQ(dc.calls, 0);
  ASSERT_U64_EQ(uv_stream_get_write_queue_size((uv_stream_t*) &p), 5);
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));
  ASSERT_EQ(dc.calls, 1);
  ASSERT_EQ(dc.status, UV_EPIPE);
  ASSERT_U64_EQ(dc.wqs_in_cb, 0);
  uv_close((uv_handle_t*) &p, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- uv_try_write / uv_try_write2 ------------------------------------------- */

static int tw_calls;

static void tw_write_cb(uv_write_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  tw_calls++;
}

static void tw_shutdown_cb(uv_shutdown_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  tw_calls += 10;
}

TEST(stream_try_write_bytes_or_eagain) {
  uv_loop_t loop;
  uv_pipe_t p;
  uv_write_t req;
  uv_shutdown_t sreq;
  uv_buf_t b;
  uv_os_sock_t fds[2];
  unsigned char* chunk;
  unsigned char* rbuf;
  size_t sent = 0;
  size_t got = 0;
  size_t queued_at;
  int r;
  int v = 4096;
  ssize_t n;

  chunk = (unsigned char*) malloc(65536);
  rbuf = (unsigned char*) malloc(65536);
  ASSERT_NOT_NULL(chunk);
  ASSERT_NOT_NULL(rbuf);
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, fds, 0, UV_NONBLOCK_PIPE));
  ASSERT_OK(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_OK(uv_pipe_open(&p, fds[0]));

  /* Small: all of it, at once. */
  nu_fill(chunk, 3, sent, 5);
  b = uv_buf_init((char*) chunk, 3);
  ASSERT_EQ(uv_try_write((uv_stream_t*) &p, &b, 1), 3);
  sent += 3;
  /* No buffers at all. */
  ASSERT_EQ(uv_try_write((uv_stream_t*) &p, &b, 0), UV_EINVAL);
  /* Fill the socket: partial counts, then UV_EAGAIN. */
  for (;;) {
    nu_fill(chunk, 65536, sent, 5);
    b = uv_buf_init((char*) chunk, 65536);
    r = uv_try_write((uv_stream_t*) &p, &b, 1);
    if (r == UV_EAGAIN)
      break;
    ASSERT_GT(r, 0);
    ASSERT_LE(r, 65536);
    sent += (size_t) r;
    ASSERT_U64_LT(sent, (size_t) 64 << 20);
  }
  ASSERT_U64_GT(sent, 3);
  nu_fill(chunk, 1, sent, 5);
  b = uv_buf_init((char*) chunk, 1);
  ASSERT_EQ(uv_try_write((uv_stream_t*) &p, &b, 1), UV_EAGAIN);

  /* A queued write waits for writability; meanwhile try_write refuses, even
   * once the kernel has room again, so bytes cannot overtake the queue. */
  nu_fill(chunk, 1000, sent, 5);
  b = uv_buf_init((char*) chunk, 1000);
  ASSERT_OK(uv_write(&req, (uv_stream_t*) &p, &b, 1, tw_write_cb));
  queued_at = sent;
  sent += 1000;
  ASSERT_U64_EQ(uv_stream_get_write_queue_size((uv_stream_t*) &p), 1000);
  while (got < queued_at) {
    n = read(fds[1], rbuf, 65536);
    ASSERT_GT(n, 0);
    ASSERT_U64_EQ(nu_check(rbuf, (size_t) n, got, 5), (size_t) n);
    got += (size_t) n;
  }
  ASSERT_U64_EQ(got, queued_at);
  b = uv_buf_init((char*) "zz", 2);
  ASSERT_EQ(uv_try_write((uv_stream_t*) &p, &b, 1), UV_EAGAIN);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(tw_calls, 1);
  ASSERT_U64_EQ(uv_stream_get_write_queue_size((uv_stream_t*) &p), 0);

  /* Empty queue again: try_write and try_write2 without a handle work. */
  nu_fill(chunk, 7, sent, 5);
  b = uv_buf_init((char*) chunk, 7);
  ASSERT_EQ(uv_try_write2((uv_stream_t*) &p, &b, 1, NULL), 7);
  sent += 7;
  while (got < sent) {
    n = read(fds[1], rbuf, 65536);
    ASSERT_GT(n, 0);
    ASSERT_U64_EQ(nu_check(rbuf, (size_t) n, got, 5), (size_t) n);
    got += (size_t) n;
  }
  ASSERT_U64_EQ(got, sent);

  /* After shutdown: UV_EPIPE. */
  ASSERT_OK(uv_shutdown(&sreq, (uv_stream_t*) &p, tw_shutdown_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(tw_calls, 11);
  b = uv_buf_init((char*) "x", 1);
  ASSERT_EQ(uv_try_write((uv_stream_t*) &p, &b, 1), UV_EPIPE);
  ASSERT_EQ(read(fds[1], rbuf, 1), 0);

  uv_close((uv_handle_t*) &p, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
  close(fds[1]);
  free(chunk);
  free(rbuf);
}

/* ---- uv_is_readable / uv_is_writable ------------------------------------------ */

TEST(stream_readable_writable_flags) {
  uv_loop_t loop;
  uv_pipe_t r;
  uv_pipe_t w;
  uv_pipe_t s;
  uv_tcp_t t;
  uv_tcp_t te;
  uv_file fds[2];
  uv_os_sock_t sv[2];

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe(fds, 0, 0));
  ASSERT_OK(uv_pipe_init(&loop, &r, 0));
  ASSERT_OK(uv_pipe_init(&loop, &w, 0));
  ASSERT_OK(uv_pipe_init(&loop, &s, 0));
  /* Nothing open yet. */
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &r), 0);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &r), 0);
  ASSERT_OK(uv_pipe_open(&r, fds[0]));
  ASSERT_OK(uv_pipe_open(&w, fds[1]));
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &r), 1);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &r), 0);
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &w), 0);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &w), 1);
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, sv, 0, 0));
  ASSERT_OK(uv_pipe_open(&s, sv[0]));
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &s), 1);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &s), 1);

  /* A TCP handle is neither until connected, socket or not. */
  ASSERT_OK(uv_tcp_init(&loop, &t));
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &t), 0);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &t), 0);
  ASSERT_OK(uv_tcp_init_ex(&loop, &te, AF_INET));
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &te), 0);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &te), 0);

  /* Closing clears both. */
  uv_close((uv_handle_t*) &s, NULL);
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &s), 0);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &s), 0);
  nu_loop_finish(&loop);
  close(sv[1]);
}

/* ---- uv_stream_set_blocking -------------------------------------------------- */

#define BL_TOTAL ((size_t) 1 << 20)

static void* bl_reader(void* arg) {
  int fd = *(int*) arg;
  unsigned char* buf = (unsigned char*) malloc(BL_TOTAL);
  size_t got;
  ASSERT_NOT_NULL(buf);
  got = nu_read_n(fd, buf, BL_TOTAL, 5000);
  ASSERT_U64_EQ(got, BL_TOTAL);
  ASSERT_U64_EQ(nu_check(buf, BL_TOTAL, 0, 3), BL_TOTAL);
  free(buf);
  return NULL;
}

static int bl_calls;

static void bl_write_cb(uv_write_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  bl_calls++;
}

TEST(stream_set_blocking_writes_synchronously) {
  uv_loop_t loop;
  uv_pipe_t p;
  uv_tcp_t t;
  uv_write_t req;
  uv_buf_t b;
  uv_os_sock_t fds[2];
  unsigned char* data;
  pthread_t th;

  data = (unsigned char*) malloc(BL_TOTAL);
  ASSERT_NOT_NULL(data);
  nu_fill(data, BL_TOTAL, 0, 3);
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, fds, 0, 0));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_OK(uv_pipe_open(&p, fds[0]));
  ASSERT_EQ(nu_is_nonblock(fds[0]), 1);
  ASSERT_OK(uv_stream_set_blocking((uv_stream_t*) &p, 1));
  ASSERT_EQ(nu_is_nonblock(fds[0]), 0);

  ASSERT_OK(pthread_create(&th, NULL, bl_reader, &fds[1]));
  b = uv_buf_init((char*) data, (unsigned int) BL_TOTAL);
  ASSERT_OK(uv_write(&req, (uv_stream_t*) &p, &b, 1, bl_write_cb));
  /* Everything went out inside uv_write; the callback still waits. */
  ASSERT_U64_EQ(uv_stream_get_write_queue_size((uv_stream_t*) &p), 0);
  ASSERT_EQ(bl_calls, 0);
  ASSERT_OK(pthread_join(th, NULL));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(bl_calls, 1);

  ASSERT_OK(uv_stream_set_blocking((uv_stream_t*) &p, 0));
  ASSERT_EQ(nu_is_nonblock(fds[0]), 1);

  /* No descriptor: the fcntl fails. */
  ASSERT_OK(uv_tcp_init(&loop, &t));
  ASSERT_EQ(uv_stream_set_blocking((uv_stream_t*) &t, 1), UV_EBADF);
  nu_loop_finish(&loop);
  close(fds[1]);
  free(data);
}

/* ---- uv_fileno ---------------------------------------------------------------- */

TEST(stream_fileno_states) {
  uv_loop_t loop;
  uv_tcp_t t;
  uv_tcp_t te;
  uv_pipe_t p;
  uv_timer_t timer;
  uv_idle_t idle;
  uv_os_fd_t fd = -7;
  uv_os_sock_t sv[2];

  ASSERT_OK(uv_loop_init(&loop));
  /* No socket yet. */
  ASSERT_OK(uv_tcp_init(&loop, &t));
  ASSERT_EQ(uv_fileno((uv_handle_t*) &t, &fd), UV_EBADF);
  ASSERT_EQ(fd, -7);
  /* uv_tcp_init_ex with a family makes the socket now. */
  ASSERT_OK(uv_tcp_init_ex(&loop, &te, AF_INET));
  ASSERT_OK(uv_fileno((uv_handle_t*) &te, &fd));
  ASSERT_GE(fd, 0);
  ASSERT_EQ(nu_sockopt_int(fd, SOL_SOCKET, SO_DOMAIN), AF_INET);
  ASSERT_EQ(nu_sockopt_int(fd, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
  ASSERT_EQ(nu_is_nonblock(fd), 1);
  ASSERT_EQ(nu_is_cloexec(fd), 1);
  /* A pipe reports the descriptor it was opened with. */
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, sv, 0, 0));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_OK(uv_pipe_open(&p, sv[0]));
  ASSERT_OK(uv_fileno((uv_handle_t*) &p, &fd));
  ASSERT_EQ(fd, sv[0]);
  /* Handles without a descriptor. */
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_EQ(uv_fileno((uv_handle_t*) &timer, &fd), UV_EINVAL);
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_EQ(uv_fileno((uv_handle_t*) &idle, &fd), UV_EINVAL);
  /* Closing: UV_EBADF at once, before the close completes. */
  uv_close((uv_handle_t*) &p, NULL);
  fd = -7;
  ASSERT_EQ(uv_fileno((uv_handle_t*) &p, &fd), UV_EBADF);
  ASSERT_EQ(fd, -7);
  uv_close((uv_handle_t*) &te, NULL);
  ASSERT_EQ(uv_fileno((uv_handle_t*) &te, &fd), UV_EBADF);
  nu_loop_finish(&loop);
  /* The handle closed the descriptor it owned. */
  ASSERT_EQ(nu_fd_is_open(sv[0]), 0);
  close(sv[1]);
}

/* ---- uv_guess_handle ------------------------------------------------------------- */

TEST(stream_guess_handle_socket_kinds) {
  int tcp4 = socket(AF_INET, SOCK_STREAM, 0);
  int udp4 = socket(AF_INET, SOCK_DGRAM, 0);
  int unix_dgram = socket(AF_UNIX, SOCK_DGRAM, 0);
  int pfds[2];
  int sv[2];
  int file;
  int devnull;
  char path[64];

  ASSERT_GE(tcp4, 0);
  ASSERT_GE(udp4, 0);
  ASSERT_GE(unix_dgram, 0);
  ASSERT_EQ(uv_guess_handle(tcp4), UV_TCP);
  ASSERT_EQ(uv_guess_handle(udp4), UV_UDP);
  /* Only inet datagram sockets are UDP. */
  ASSERT_EQ(uv_guess_handle(unix_dgram), UV_UNKNOWN_HANDLE);
  if (nu_have_ipv6()) {
    int tcp6 = socket(AF_INET6, SOCK_STREAM, 0);
    int udp6 = socket(AF_INET6, SOCK_DGRAM, 0);
    ASSERT_EQ(uv_guess_handle(tcp6), UV_TCP);
    ASSERT_EQ(uv_guess_handle(udp6), UV_UDP);
    close(tcp6);
    close(udp6);
  }
  ASSERT_OK(pipe(pfds));
  ASSERT_EQ(uv_guess_handle(pfds[0]), UV_NAMED_PIPE);
  ASSERT_EQ(uv_guess_handle(pfds[1]), UV_NAMED_PIPE);
  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  ASSERT_EQ(uv_guess_handle(sv[0]), UV_NAMED_PIPE);
  snprintf(path, sizeof(path), "/tmp/rsuv-guess-%d", (int) getpid());
  file = open(path, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(file, 0);
  unlink(path);
  ASSERT_EQ(uv_guess_handle(file), UV_FILE);
  devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(devnull, 0);
  ASSERT_EQ(uv_guess_handle(devnull), UV_FILE);   /* character device */
  ASSERT_EQ(uv_guess_handle(-1), UV_UNKNOWN_HANDLE);
  close(devnull);
  ASSERT_EQ(uv_guess_handle(devnull), UV_UNKNOWN_HANDLE);   /* closed */
  close(tcp4);
  close(udp4);
  close(unix_dgram);
  close(pfds[0]);
  close(pfds[1]);
  close(sv[0]);
  close(sv[1]);
  close(file);
}

/* ---- uv_read_start and uv_write refusals ------------------------------------------ */

static void rs_read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  (void) s;
  (void) nread;
  free(buf->base);
}

TEST(stream_read_start_and_write_refusals) {
  uv_loop_t loop;
  uv_tcp_t t;
  uv_tcp_t te;
  uv_pipe_t wr;
  uv_pipe_t rd;
  uv_write_t req;
  uv_shutdown_t sreq;
  uv_buf_t b;
  uv_file fds[2];

  ASSERT_OK(uv_loop_init(&loop));
  b = uv_buf_init((char*) "x", 1);
  /* Not connected. */
  ASSERT_OK(uv_tcp_init(&loop, &t));
  ASSERT_EQ(uv_read_start((uv_stream_t*) &t, nu_alloc_cb, rs_read_cb), UV_ENOTCONN);
  ASSERT_EQ(uv_write(&req, (uv_stream_t*) &t, &b, 1, NULL), UV_EBADF);
  ASSERT_EQ(uv_shutdown(&sreq, (uv_stream_t*) &t, NULL), UV_ENOTCONN);
  ASSERT_OK(uv_tcp_init_ex(&loop, &te, AF_INET));
  ASSERT_EQ(uv_read_start((uv_stream_t*) &te, nu_alloc_cb, rs_read_cb), UV_ENOTCONN);
  ASSERT_EQ(uv_write(&req, (uv_stream_t*) &te, &b, 1, NULL), UV_EPIPE);
  ASSERT_EQ(uv_shutdown(&sreq, (uv_stream_t*) &te, NULL), UV_ENOTCONN);
  /* The write end of a pipe cannot read; the read end cannot write. */
  ASSERT_OK(uv_pipe(fds, 0, 0));
  ASSERT_OK(uv_pipe_init(&loop, &wr, 0));
  ASSERT_OK(uv_pipe_init(&loop, &rd, 0));
  ASSERT_OK(uv_pipe_open(&rd, fds[0]));
  ASSERT_OK(uv_pipe_open(&wr, fds[1]));
  ASSERT_EQ(uv_read_start((uv_stream_t*) &wr, nu_alloc_cb, rs_read_cb), UV_ENOTCONN);
  ASSERT_EQ(uv_write(&req, (uv_stream_t*) &rd, &b, 1, NULL), UV_EPIPE);
  /* Zero buffers. */
  ASSERT_EQ(uv_write(&req, (uv_stream_t*) &wr, &b, 0, NULL), UV_EINVAL);
  /* Twice. */
  ASSERT_OK(uv_read_start((uv_stream_t*) &rd, nu_alloc_cb, rs_read_cb));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &rd), 1);
  ASSERT_EQ(uv_read_start((uv_stream_t*) &rd, nu_alloc_cb, rs_read_cb), UV_EALREADY);
  /* Stopping is idempotent. */
  ASSERT_OK(uv_read_stop((uv_stream_t*) &rd));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &rd), 0);
  ASSERT_OK(uv_read_stop((uv_stream_t*) &rd));
  /* Closing. */
  uv_close((uv_handle_t*) &rd, NULL);
  ASSERT_EQ(uv_read_start((uv_stream_t*) &rd, nu_alloc_cb, rs_read_cb), UV_EINVAL);
  nu_loop_finish(&loop);
}

/* ---- alloc_cb with no buffer ---------------------------------------------------- */

static struct {
  int allocs;
  int enobufs;
  size_t got;
  char data[16];
} ab;

static void ab_alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void) h;
  ASSERT_U64_GT(suggested, 0);
  if (ab.allocs++ == 0) {
    buf->base = NULL;   /* no memory for this read */
    buf->len = 0;
    return;
  }
  buf->base = (char*) malloc(4);   /* small: the data comes in pieces */
  ASSERT_NOT_NULL(buf->base);
  buf->len = 4;
}

static void ab_read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  if (nread == UV_ENOBUFS) {
    ASSERT_EQ(ab.got, 0);
    ab.enobufs++;
    return;
  }
  if (nread > 0) {
    ASSERT_U64_LE(ab.got + (size_t) nread, 10);
    memcpy(ab.data + ab.got, buf->base, (size_t) nread);
    ab.got += (size_t) nread;
  } else if (nread == UV_EOF) {
    uv_close((uv_handle_t*) s, NULL);
  } else {
    ASSERT_EQ(nread, 0);
  }
  free(buf->base);
}

TEST(stream_alloc_without_buffer_enobufs) {
  uv_loop_t loop;
  uv_pipe_t p;
  uv_os_sock_t fds[2];

  memset(&ab, 0, sizeof(ab));
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, fds, 0, 0));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_OK(uv_pipe_open(&p, fds[0]));
  ASSERT_EQ(write(fds[1], "0123456789", 10), 10);
  ASSERT_OK(close(fds[1]));
  ASSERT_OK(uv_read_start((uv_stream_t*) &p, ab_alloc_cb, ab_read_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  /* The refused read lost nothing. */
  ASSERT_EQ(ab.enobufs, 1);
  ASSERT_U64_EQ(ab.got, 10);
  ASSERT(memcmp(ab.data, "0123456789", 10) == 0);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- stopping and closing from inside callbacks ------------------------------------ */

/* uv_read_stop inside the read callback takes effect at once, even with more
 * data waiting; reading again resumes where it stopped. */
static struct {
  int reads;
  int stop_after_first;
  int close_in_cb;
  int eof;
  int closed;
  size_t n;
  char data[16];
} rc;

static void rc_alloc4(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void) h;
  (void) suggested;
  buf->base = (char*) malloc(4);
  ASSERT_NOT_NULL(buf->base);
  buf->len = 4;
}

static void rc_close_cb(uv_handle_t* h) {
  (void) h;
  rc.closed++;
}

static void rc_read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  ASSERT_EQ(rc.closed, 0);
  ASSERT_EQ(uv_is_closing((uv_handle_t*) s), 0);
  if (nread > 0) {
    rc.reads++;
    ASSERT_U64_LE(rc.n + (size_t) nread, sizeof(rc.data));
    memcpy(rc.data + rc.n, buf->base, (size_t) nread);
    rc.n += (size_t) nread;
    if (rc.stop_after_first) {
      rc.stop_after_first = 0;
      ASSERT_OK(uv_read_stop(s));
    }
    if (rc.close_in_cb)
      uv_close((uv_handle_t*) s, rc_close_cb);
  } else if (nread == UV_EOF) {
    rc.eof++;
    uv_close((uv_handle_t*) s, rc_close_cb);
  }
  free(buf->base);
}

TEST(stream_read_stop_inside_read_cb) {
  uv_loop_t loop;
  uv_pipe_t p;
  uv_os_sock_t fds[2];
  int i;

  memset(&rc, 0, sizeof(rc));
  rc.stop_after_first = 1;
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, fds, 0, 0));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_OK(uv_pipe_open(&p, fds[0]));
  ASSERT_EQ(write(fds[1], "0123456789ab", 12), 12);
  ASSERT_OK(uv_read_start((uv_stream_t*) &p, rc_alloc4, rc_read_cb));
  for (i = 0; i < 5; i++)
    uv_run(&loop, UV_RUN_NOWAIT);
  ASSERT_EQ(rc.reads, 1);
  ASSERT_U64_EQ(rc.n, 4);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &p), 0);
  ASSERT_OK(uv_read_start((uv_stream_t*) &p, rc_alloc4, rc_read_cb));
  close(fds[1]);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(rc.reads, 3);
  ASSERT_U64_EQ(rc.n, 12);
  ASSERT(memcmp(rc.data, "0123456789ab", 12) == 0);
  ASSERT_EQ(rc.eof, 1);
  ASSERT_EQ(rc.closed, 1);
  ASSERT_OK(uv_loop_close(&loop));
}

/* uv_close inside the read callback: no further read callbacks, even with
 * more data waiting. */
TEST(stream_close_inside_read_cb) {
  uv_loop_t loop;
  uv_pipe_t p;
  uv_os_sock_t fds[2];

  memset(&rc, 0, sizeof(rc));
  rc.close_in_cb = 1;
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, fds, 0, 0));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_OK(uv_pipe_open(&p, fds[0]));
  ASSERT_EQ(write(fds[1], "0123456789ab", 12), 12);
  close(fds[1]);
  ASSERT_OK(uv_read_start((uv_stream_t*) &p, rc_alloc4, rc_read_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(rc.reads, 1);
  ASSERT_EQ(rc.eof, 0);
  ASSERT_EQ(rc.closed, 1);
  ASSERT_OK(uv_loop_close(&loop));
}

/* uv_close inside a write callback cancels the writes still queued. */
static struct {
  uv_tcp_t c;
  uv_tcp_t p;
  uv_write_t w[3];
  char events[16];
  int nevents;
} cw;

static void cw_close_cb(uv_handle_t* h) {
  (void) h;
  cw.events[cw.nevents++] = 'c';
}

static void cw_write_cb(uv_write_t* req, int status) {
  int i = (int) (req - cw.w);
  cw.events[cw.nevents++] = (char) ('1' + i);
  if (i == 0) {
    ASSERT_OK(status);
    uv_close((uv_handle_t*) &cw.c, cw_close_cb);
    uv_close((uv_handle_t*) &cw.p, NULL);
  } else {
    ASSERT_EQ(status, UV_ECANCELED);
  }
}

TEST(stream_close_inside_write_cb_cancels_rest) {
  uv_loop_t loop;
  unsigned char* big_buf;
  uv_buf_t b;
  size_t big_len = (size_t) 1 << 20;

  memset(&cw, 0, sizeof(cw));
  big_buf = (unsigned char*) malloc(big_len);
  ASSERT_NOT_NULL(big_buf);
  memset(big_buf, 'w', big_len);
  ASSERT_OK(uv_loop_init(&loop));
  nu_tcp_pair(&loop, &cw.c, &cw.p, 8192, 8192);
  b = uv_buf_init((char*) "small", 5);
  ASSERT_OK(uv_write(&cw.w[0], (uv_stream_t*) &cw.c, &b, 1, cw_write_cb));
  b = uv_buf_init((char*) big_buf, (unsigned int) big_len);
  ASSERT_OK(uv_write(&cw.w[1], (uv_stream_t*) &cw.c, &b, 1, cw_write_cb));
  b = uv_buf_init((char*) "tail", 4);
  ASSERT_OK(uv_write(&cw.w[2], (uv_stream_t*) &cw.c, &b, 1, cw_write_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_STR_EQ(cw.events, "123c");
  ASSERT_OK(uv_loop_close(&loop));
  free(big_buf);
}
