/* uv_poll_t: uv_poll_init/_init_socket/_start/_stop and uv_close on a poll
 * handle, on socketpairs, pipes, loopback TCP sockets and files.
 *
 * libuv's contract for a bad event mask, a NULL callback or starting a
 * closing handle is an assert (a no-op in release builds); rsuv returns
 * UV_EINVAL.  That test is strict in the builds against our header and, in
 * the build against Debian's header (which may run on the real libuv), skips
 * when the library does not validate. */
#include "test.h"

#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------- */

/* What the callbacks saw. */
struct poll_seen {
  int calls;
  int status[8];
  int events[8];
  int close_calls;
  int action;   /* what the callback does, see poll_record_cb */
  int peer;     /* the other end, for actions that write or close it */
};

enum {
  POLL_ACT_NONE,
  POLL_ACT_STOP,            /* uv_poll_stop on the first call */
  POLL_ACT_RESTART_READ,    /* first call: restart for UV_READABLE, peer writes */
  POLL_ACT_CLOSE,           /* uv_close on the first call */
  POLL_ACT_DRAIN_STOP       /* read what is there, then stop */
};

static void poll_close_cb(uv_handle_t* h) {
  struct poll_seen* s = (struct poll_seen*) h->data;
  if (s != NULL)
    s->close_calls++;
}

static void poll_record_cb(uv_poll_t* h, int status, int events) {
  struct poll_seen* s = (struct poll_seen*) h->data;
  char buf[64];
  if (s->calls < 8) {
    s->status[s->calls] = status;
    s->events[s->calls] = events;
  }
  s->calls++;
  switch (s->action) {
    case POLL_ACT_STOP:
      ASSERT_OK(uv_poll_stop(h));
      ASSERT_EQ(uv_is_active((uv_handle_t*) h), 0);
      break;
    case POLL_ACT_RESTART_READ:
      if (s->calls == 1) {
        ASSERT_OK(uv_poll_start(h, UV_READABLE, poll_record_cb));
        ASSERT_EQ(write(s->peer, "x", 1), 1);
      } else {
        ASSERT_OK(uv_poll_stop(h));
      }
      break;
    case POLL_ACT_CLOSE:
      uv_close((uv_handle_t*) h, poll_close_cb);
      break;
    case POLL_ACT_DRAIN_STOP:
      while (read(h->io_watcher.fd, buf, sizeof(buf)) > 0) {
      }
      ASSERT_OK(uv_poll_stop(h));
      break;
    default:
      break;
  }
}

static void poll_socketpair(int fds[2]) {
  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, fds));
}

static void poll_seen_init(struct poll_seen* s, int action, int peer) {
  memset(s, 0, sizeof(*s));
  s->action = action;
  s->peer = peer;
}

/* Closes the handle (unless already closing), runs the loop dry, closes it. */
static void poll_teardown(uv_loop_t* loop, uv_poll_t* h) {
  if (h != NULL && !uv_is_closing((uv_handle_t*) h))
    uv_close((uv_handle_t*) h, poll_close_cb);
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(loop));
}

static int poll_fd_is_open(int fd) {
  return fcntl(fd, F_GETFD) != -1;
}

/* ---- init ------------------------------------------------------------------- */

TEST(poll_init_sets_nonblocking) {
  uv_loop_t loop;
  uv_poll_t h;
  int fds[2];

  poll_socketpair(fds);
  ASSERT_EQ(fcntl(fds[0], F_GETFL) & O_NONBLOCK, 0);
  ASSERT_OK(uv_loop_init(&loop));
  h.data = NULL;
  ASSERT_OK(uv_poll_init(&loop, &h, fds[0]));
  ASSERT_NE(fcntl(fds[0], F_GETFL) & O_NONBLOCK, 0);
  ASSERT_EQ(uv_handle_get_type((uv_handle_t*) &h), UV_POLL);
  ASSERT(h.loop == &loop);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 0);
  ASSERT_EQ(uv_is_closing((uv_handle_t*) &h), 0);
  ASSERT_NE(uv_has_ref((uv_handle_t*) &h), 0);
  /* Initialized but not started: the loop has nothing to wait for. */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  poll_teardown(&loop, &h);
  close(fds[0]);
  close(fds[1]);
}

TEST(poll_init_socket_is_init) {
  uv_loop_t loop;
  uv_poll_t h;
  struct poll_seen s;
  int fds[2];

  poll_socketpair(fds);
  poll_seen_init(&s, POLL_ACT_STOP, fds[1]);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_poll_init_socket(&loop, &h, fds[0]));
  h.data = &s;
  ASSERT_NE(fcntl(fds[0], F_GETFL) & O_NONBLOCK, 0);
  ASSERT_OK(uv_poll_start(&h, UV_WRITABLE, poll_record_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(s.calls, 1);
  ASSERT_EQ(s.events[0], UV_WRITABLE);
  poll_teardown(&loop, &h);
  close(fds[0]);
  close(fds[1]);
}

TEST(poll_init_bad_fd) {
  uv_loop_t loop;
  uv_poll_t h;
  int fd;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_EQ(uv_poll_init(&loop, &h, -1), UV_EBADF);
  fd = dup(0);
  ASSERT_GE(fd, 0);
  ASSERT_OK(close(fd));
  ASSERT_EQ(uv_poll_init(&loop, &h, fd), UV_EBADF);
  /* Nothing was linked into the loop. */
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(poll_init_regular_file_and_directory) {
  uv_loop_t loop;
  uv_poll_t h;
  char path[] = "/tmp/rsuv-poll-XXXXXX";
  int fd;
  int dir;

  ASSERT_OK(uv_loop_init(&loop));
  fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_OK(unlink(path));
  ASSERT_EQ(uv_poll_init(&loop, &h, fd), UV_EPERM);
  /* A refused fd is left as it was: open, still blocking. */
  ASSERT(poll_fd_is_open(fd));
  ASSERT_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  dir = open(".", O_RDONLY);
  ASSERT_GE(dir, 0);
  ASSERT_EQ(uv_poll_init(&loop, &h, dir), UV_EPERM);
  ASSERT_OK(uv_loop_close(&loop));
  close(fd);
  close(dir);
}

TEST(poll_init_same_fd_while_active_eexist) {
  uv_loop_t loop;
  uv_poll_t a;
  uv_poll_t b;
  struct poll_seen s;
  int fds[2];

  poll_socketpair(fds);
  poll_seen_init(&s, POLL_ACT_NONE, fds[1]);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_poll_init(&loop, &a, fds[0]));
  a.data = &s;
  ASSERT_OK(uv_poll_start(&a, UV_READABLE, poll_record_cb));
  ASSERT_EQ(uv_poll_init(&loop, &b, fds[0]), UV_EEXIST);
  /* The other end is free. */
  ASSERT_OK(uv_poll_init(&loop, &b, fds[1]));
  b.data = &s;
  /* Once stopped, the fd may get another handle. */
  ASSERT_OK(uv_poll_stop(&a));
  {
    uv_poll_t c;
    c.data = &s;
    ASSERT_OK(uv_poll_init(&loop, &c, fds[0]));
    uv_close((uv_handle_t*) &c, poll_close_cb);
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    ASSERT_EQ(s.close_calls, 1);
  }
  uv_close((uv_handle_t*) &b, poll_close_cb);
  poll_teardown(&loop, &a);
  ASSERT_EQ(s.close_calls, 3);
  ASSERT_EQ(s.calls, 0);
  close(fds[0]);
  close(fds[1]);
}

TEST(poll_start_same_fd_eexist) {
  uv_loop_t loop;
  uv_poll_t a;
  uv_poll_t b;
  struct poll_seen sa;
  struct poll_seen sb;
  int fds[2];

  poll_socketpair(fds);
  poll_seen_init(&sa, POLL_ACT_NONE, fds[1]);
  poll_seen_init(&sb, POLL_ACT_STOP, fds[1]);
  ASSERT_OK(uv_loop_init(&loop));
  /* Both may be initialized while neither is started... */
  ASSERT_OK(uv_poll_init(&loop, &a, fds[0]));
  ASSERT_OK(uv_poll_init(&loop, &b, fds[0]));
  a.data = &sa;
  b.data = &sb;
  /* ...but only one may be started at a time. */
  ASSERT_OK(uv_poll_start(&a, UV_WRITABLE, poll_record_cb));
  ASSERT_EQ(uv_poll_start(&b, UV_WRITABLE, poll_record_cb), UV_EEXIST);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &b), 0);
  /* Restarting the owner is fine. */
  ASSERT_OK(uv_poll_start(&a, UV_READABLE | UV_WRITABLE, poll_record_cb));
  ASSERT_OK(uv_poll_stop(&a));
  ASSERT_OK(uv_poll_start(&b, UV_WRITABLE, poll_record_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(sa.calls, 0);
  ASSERT_EQ(sb.calls, 1);
  ASSERT_EQ(sb.events[0], UV_WRITABLE);
  uv_close((uv_handle_t*) &b, poll_close_cb);
  poll_teardown(&loop, &a);
  ASSERT_EQ(sa.close_calls + sb.close_calls, 2);
  close(fds[0]);
  close(fds[1]);
}

/* ---- events ------------------------------------------------------------------ */

TEST(poll_writable_fires) {
  uv_loop_t loop;
  uv_poll_t h;
  struct poll_seen s;
  int fds[2];

  poll_socketpair(fds);
  poll_seen_init(&s, POLL_ACT_NONE, fds[1]);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_poll_init(&loop, &h, fds[0]));
  h.data = &s;
  ASSERT_OK(uv_poll_start(&h, UV_WRITABLE, poll_record_cb));
  ASSERT_NE(uv_is_active((uv_handle_t*) &h), 0);
  ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_EQ(s.calls, 1);
  ASSERT_OK(s.status[0]);
  ASSERT_EQ(s.events[0], UV_WRITABLE);
  /* Level-triggered: still writable, so it fires again. */
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(s.calls, 2);
  ASSERT_EQ(s.events[1], UV_WRITABLE);
  poll_teardown(&loop, &h);
  ASSERT_EQ(s.close_calls, 1);
  close(fds[0]);
  close(fds[1]);
}

TEST(poll_readable_after_peer_writes) {
  uv_loop_t loop;
  uv_poll_t h;
  struct poll_seen s;
  int fds[2];

  poll_socketpair(fds);
  poll_seen_init(&s, POLL_ACT_DRAIN_STOP, fds[1]);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_poll_init(&loop, &h, fds[0]));
  h.data = &s;
  ASSERT_OK(uv_poll_start(&h, UV_READABLE, poll_record_cb));
  /* Nothing to read yet. */
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(s.calls, 0);
  ASSERT_EQ(write(fds[1], "hello", 5), 5);
  /* The callback drains and stops: the loop then has nothing left. */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(s.calls, 1);
  ASSERT_OK(s.status[0]);
  /* Only what was asked for, although the socket is writable too. */
  ASSERT_EQ(s.events[0], UV_READABLE);
  poll_teardown(&loop, &h);
  close(fds[0]);
  close(fds[1]);
}

TEST(poll_disconnect_after_peer_closes) {
  uv_loop_t loop;
  uv_poll_t h;
  struct poll_seen s;
  int fds[2];

  poll_socketpair(fds);
  poll_seen_init(&s, POLL_ACT_STOP, -1);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_poll_init(&loop, &h, fds[0]));
  h.data = &s;
  ASSERT_OK(uv_poll_start(&h, UV_READABLE | UV_DISCONNECT, poll_record_cb));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(s.calls, 0);
  ASSERT_OK(close(fds[1]));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(s.calls, 1);
  ASSERT_OK(s.status[0]);
  /* EOF is readable; the hangup is reported as UV_DISCONNECT. */
  ASSERT_EQ(s.events[0], UV_READABLE | UV_DISCONNECT);
  poll_teardown(&loop, &h);
  close(fds[0]);
}

TEST(poll_disconnect_only) {
  uv_loop_t loop;
  uv_poll_t h;
  struct poll_seen s;
  int fds[2];

  poll_socketpair(fds);
  poll_seen_init(&s, POLL_ACT_STOP, -1);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_poll_init(&loop, &h, fds[0]));
  h.data = &s;
  ASSERT_OK(uv_poll_start(&h, UV_DISCONNECT, poll_record_cb));
  ASSERT_OK(shutdown(fds[1], SHUT_WR));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(s.calls, 1);
  ASSERT_OK(s.status[0]);
  ASSERT_EQ(s.events[0], UV_DISCONNECT);
  poll_teardown(&loop, &h);
  close(fds[0]);
  close(fds[1]);
}

TEST(poll_prioritized_oob_data) {
  uv_loop_t loop;
  uv_poll_t h;
  struct poll_seen s;
  struct sockaddr_in addr;
  socklen_t len = sizeof(addr);
  int lsock;
  int client;
  int server;

  lsock = socket(AF_INET, SOCK_STREAM, 0);
  if (lsock < 0)
    TEST_SKIP("no IPv4 sockets");
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lsock, (struct sockaddr*) &addr, sizeof(addr)) != 0)
    TEST_SKIP("no loopback interface");
  ASSERT_OK(listen(lsock, 1));
  ASSERT_OK(getsockname(lsock, (struct sockaddr*) &addr, &len));
  client = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(client, 0);
  ASSERT_OK(connect(client, (struct sockaddr*) &addr, sizeof(addr)));
  server = accept(lsock, NULL, NULL);
  ASSERT_GE(server, 0);

  poll_seen_init(&s, POLL_ACT_STOP, client);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_poll_init_socket(&loop, &h, server));
  h.data = &s;
  ASSERT_OK(uv_poll_start(&h, UV_PRIORITIZED, poll_record_cb));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(s.calls, 0);
  ASSERT_EQ(send(client, "!", 1, MSG_OOB), 1);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(s.calls, 1);
  ASSERT_OK(s.status[0]);
  ASSERT_EQ(s.events[0], UV_PRIORITIZED);
  poll_teardown(&loop, &h);
  close(server);
  close(client);
  close(lsock);
}

TEST(poll_error_reports_ebadf_and_stops) {
  uv_loop_t loop;
  uv_poll_t h;
  struct poll_seen s;
  int p[2];

  /* The write end of a pipe without readers polls as an error. */
  ASSERT_OK(pipe(p));
  poll_seen_init(&s, POLL_ACT_NONE, -1);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_poll_init(&loop, &h, p[1]));
  h.data = &s;
  ASSERT_OK(uv_poll_start(&h, UV_WRITABLE, poll_record_cb));
  ASSERT_OK(close(p[0]));
  /* The handle is stopped before the callback: the loop ends. */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(s.calls, 1);
  ASSERT_EQ(s.status[0], UV_EBADF);
  ASSERT_EQ(s.events[0], 0);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 0);
  poll_teardown(&loop, &h);
  close(p[1]);
}

TEST(poll_two_handles_two_fds) {
  uv_loop_t loop;
  uv_poll_t a;
  uv_poll_t b;
  struct poll_seen sa;
  struct poll_seen sb;
  int fds[2];

  poll_socketpair(fds);
  poll_seen_init(&sa, POLL_ACT_DRAIN_STOP, fds[1]);
  poll_seen_init(&sb, POLL_ACT_DRAIN_STOP, fds[0]);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_poll_init(&loop, &a, fds[0]));
  ASSERT_OK(uv_poll_init(&loop, &b, fds[1]));
  a.data = &sa;
  b.data = &sb;
  ASSERT_OK(uv_poll_start(&a, UV_READABLE, poll_record_cb));
  ASSERT_OK(uv_poll_start(&b, UV_READABLE, poll_record_cb));
  ASSERT_EQ(write(fds[0], "to b", 4), 4);
  ASSERT_EQ(write(fds[1], "to a", 4), 4);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(sa.calls, 1);
  ASSERT_EQ(sb.calls, 1);
  ASSERT_EQ(sa.events[0], UV_READABLE);
  ASSERT_EQ(sb.events[0], UV_READABLE);
  uv_close((uv_handle_t*) &b, poll_close_cb);
  poll_teardown(&loop, &a);
  ASSERT_EQ(sa.close_calls + sb.close_calls, 2);
  close(fds[0]);
  close(fds[1]);
}

/* ---- stop and restart -------------------------------------------------------- */

TEST(poll_stop_inside_callback) {
  uv_loop_t loop;
  uv_poll_t h;
  struct poll_seen s;
  int fds[2];

  poll_socketpair(fds);
  poll_seen_init(&s, POLL_ACT_STOP, fds[1]);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_poll_init(&loop, &h, fds[0]));
  h.data = &s;
  ASSERT_OK(uv_poll_start(&h, UV_READABLE | UV_WRITABLE, poll_record_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(s.calls, 1);
  ASSERT_EQ(s.events[0], UV_WRITABLE);
  /* Stopped stays stopped, even with data to read now. */
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));
  ASSERT_EQ(s.calls, 1);
  /* Stopping a stopped handle is fine. */
  ASSERT_OK(uv_poll_stop(&h));
  poll_teardown(&loop, &h);
  close(fds[0]);
  close(fds[1]);
}

TEST(poll_restart_with_other_events_inside_callback) {
  uv_loop_t loop;
  uv_poll_t h;
  struct poll_seen s;
  int fds[2];

  poll_socketpair(fds);
  poll_seen_init(&s, POLL_ACT_RESTART_READ, fds[1]);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_poll_init(&loop, &h, fds[0]));
  h.data = &s;
  ASSERT_OK(uv_poll_start(&h, UV_WRITABLE, poll_record_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(s.calls, 2);
  ASSERT_EQ(s.events[0], UV_WRITABLE);
  /* Writable still, but no longer asked for. */
  ASSERT_EQ(s.events[1], UV_READABLE);
  poll_teardown(&loop, &h);
  close(fds[0]);
  close(fds[1]);
}

TEST(poll_restart_outside_callback) {
  uv_loop_t loop;
  uv_poll_t h;
  struct poll_seen s;
  int fds[2];

  poll_socketpair(fds);
  poll_seen_init(&s, POLL_ACT_NONE, fds[1]);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_poll_init(&loop, &h, fds[0]));
  h.data = &s;
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  ASSERT_OK(uv_poll_start(&h, UV_WRITABLE, poll_record_cb));
  ASSERT_OK(uv_poll_start(&h, UV_READABLE, poll_record_cb));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(s.calls, 1);
  ASSERT_EQ(s.events[0], UV_READABLE);
  ASSERT_OK(uv_poll_start(&h, UV_READABLE | UV_WRITABLE, poll_record_cb));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(s.calls, 2);
  ASSERT_EQ(s.events[1], UV_READABLE | UV_WRITABLE);
  /* Events 0 stops the handle. */
  ASSERT_OK(uv_poll_start(&h, 0, poll_record_cb));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));
  ASSERT_EQ(s.calls, 2);
  poll_teardown(&loop, &h);
  close(fds[0]);
  close(fds[1]);
}

TEST(poll_unref_does_not_keep_loop_alive) {
  uv_loop_t loop;
  uv_poll_t h;
  struct poll_seen s;
  int fds[2];

  poll_socketpair(fds);
  poll_seen_init(&s, POLL_ACT_NONE, fds[1]);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_poll_init(&loop, &h, fds[0]));
  h.data = &s;
  ASSERT_OK(uv_poll_start(&h, UV_READABLE, poll_record_cb));
  uv_unref((uv_handle_t*) &h);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(s.calls, 0);
  ASSERT_NE(uv_is_active((uv_handle_t*) &h), 0);
  poll_teardown(&loop, &h);
  close(fds[0]);
  close(fds[1]);
}

/* ---- close -------------------------------------------------------------------- */

TEST(poll_close_leaves_fd_open) {
  uv_loop_t loop;
  uv_poll_t h;
  uv_poll_t again;
  struct poll_seen s;
  int fds[2];

  poll_socketpair(fds);
  poll_seen_init(&s, POLL_ACT_NONE, fds[1]);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_poll_init(&loop, &h, fds[0]));
  h.data = &s;
  ASSERT_OK(uv_poll_start(&h, UV_READABLE | UV_WRITABLE, poll_record_cb));
  uv_close((uv_handle_t*) &h, poll_close_cb);
  ASSERT_NE(uv_is_closing((uv_handle_t*) &h), 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  /* Closed before the loop polled: no event, one close callback. */
  ASSERT_EQ(s.calls, 0);
  ASSERT_EQ(s.close_calls, 1);
  ASSERT(poll_fd_is_open(fds[0]));
  ASSERT_EQ(write(fds[0], "x", 1), 1);
  /* The fd is free for a new handle. */
  ASSERT_OK(uv_poll_init(&loop, &again, fds[0]));
  again.data = &s;
  poll_teardown(&loop, &again);
  ASSERT_EQ(s.close_calls, 2);
  ASSERT(poll_fd_is_open(fds[0]));
  close(fds[0]);
  close(fds[1]);
}

TEST(poll_close_inside_callback) {
  uv_loop_t loop;
  uv_poll_t h;
  struct poll_seen s;
  int fds[2];

  poll_socketpair(fds);
  poll_seen_init(&s, POLL_ACT_CLOSE, fds[1]);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_poll_init(&loop, &h, fds[0]));
  h.data = &s;
  ASSERT_OK(uv_poll_start(&h, UV_WRITABLE, poll_record_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(s.calls, 1);
  ASSERT_EQ(s.close_calls, 1);
  ASSERT(poll_fd_is_open(fds[0]));
  ASSERT_OK(uv_loop_close(&loop));
  close(fds[0]);
  close(fds[1]);
}

TEST(poll_close_fd_after_handle_close_then_reuse_number) {
  uv_loop_t loop;
  uv_poll_t h;
  struct poll_seen s;
  int fds[2];
  int fds2[2];

  /* The program closes the fd after closing the handle; a new fd with the
   * same number can be polled at once. */
  poll_socketpair(fds);
  poll_seen_init(&s, POLL_ACT_STOP, -1);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_poll_init(&loop, &h, fds[0]));
  h.data = &s;
  ASSERT_OK(uv_poll_start(&h, UV_READABLE, poll_record_cb));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  uv_close((uv_handle_t*) &h, poll_close_cb);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(close(fds[0]));
  ASSERT_OK(close(fds[1]));
  poll_socketpair(fds2);
  ASSERT_EQ(fds2[0], fds[0]);
  ASSERT_OK(uv_poll_init(&loop, &h, fds2[0]));
  h.data = &s;
  ASSERT_OK(uv_poll_start(&h, UV_WRITABLE, poll_record_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(s.calls, 1);
  ASSERT_EQ(s.events[0], UV_WRITABLE);
  poll_teardown(&loop, &h);
  close(fds2[0]);
  close(fds2[1]);
}

/* ---- misuse ----------------------------------------------------------------- */

#ifdef RSUV_SYSTEM_HEADER
/* In a child: whether the library refuses a bad event mask with UV_EINVAL. */
static int poll_library_validates(void) {
  pid_t pid;
  int status;
  pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    uv_loop_t loop;
    uv_poll_t h;
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0 || uv_loop_init(&loop) != 0 ||
        uv_poll_init(&loop, &h, fds[0]) != 0)
      _exit(2);
    _exit(uv_poll_start(&h, 0x10, poll_record_cb) == UV_EINVAL ? 0 : 1);
  }
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
#endif

TEST(poll_start_misuse_einval) {
  uv_loop_t loop;
  uv_poll_t h;
  struct poll_seen s;
  int fds[2];

#ifdef RSUV_SYSTEM_HEADER
  if (!poll_library_validates())
    TEST_SKIP("the library does not validate (libuv asserts)");
#endif
  poll_socketpair(fds);
  poll_seen_init(&s, POLL_ACT_NONE, fds[1]);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_poll_init(&loop, &h, fds[0]));
  h.data = &s;
  ASSERT_EQ(uv_poll_start(&h, 0x10, poll_record_cb), UV_EINVAL);
  ASSERT_EQ(uv_poll_start(&h, UV_READABLE | 0x100, poll_record_cb), UV_EINVAL);
  ASSERT_EQ(uv_poll_start(&h, -1, poll_record_cb), UV_EINVAL);
  ASSERT_EQ(uv_poll_start(&h, UV_READABLE, NULL), UV_EINVAL);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 0);
  /* Events 0 with no callback just stops. */
  ASSERT_OK(uv_poll_start(&h, 0, NULL));
  /* A refused start leaves a started handle as it was. */
  ASSERT_OK(uv_poll_start(&h, UV_WRITABLE, poll_record_cb));
  ASSERT_EQ(uv_poll_start(&h, 0x20, poll_record_cb), UV_EINVAL);
  ASSERT_NE(uv_is_active((uv_handle_t*) &h), 0);
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(s.calls, 1);
  ASSERT_EQ(s.events[0], UV_WRITABLE);
  uv_close((uv_handle_t*) &h, poll_close_cb);
  ASSERT_EQ(uv_poll_start(&h, UV_WRITABLE, poll_record_cb), UV_EINVAL);
  ASSERT_EQ(uv_poll_stop(&h), UV_EINVAL);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(s.calls, 1);
  ASSERT_EQ(s.close_calls, 1);
  ASSERT_OK(uv_loop_close(&loop));
  close(fds[0]);
  close(fds[1]);
}
