/* TTY handles: uv_guess_handle, uv_tty_init, uv_tty_set_mode,
 * uv_tty_reset_mode, uv_tty_get_winsize, the vterm state functions, and a
 * TTY used as a stream (uv_write, uv_read_start, uv_close).
 *
 * CI has no controlling terminal, so every test makes its own with openpty(3)
 * (in glibc's libc since 2.34) and skips if no pty can be had.
 *
 * Behaviour pinned here is libuv's on Linux, checked against libuv 1.52.1:
 * a pty slave is reopened by name and the new description is also installed
 * on the program's fd (so another fd that shared the old description, e.g. in
 * another process, stays blocking); a pty master is not reopened and gets
 * blocking writes (UV_HANDLE_BLOCKING_WRITES, 0x100000, as libuv's own test
 * peeks at).  Closing the handle restores the settings saved by the first
 * mode switch.
 *
 * libuv aborts on an unknown mode; rsuv returns UV_EINVAL: strict with our
 * header, skipped in the build against Debian's header (which may run on the
 * real libuv).  Debian's 1.44.2 header has no UV_TTY_MODE_RAW_VT (value 3). */
#include "test.h"

#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#ifdef RSUV_SYSTEM_HEADER
#define TTY_MODE_RAW_VT ((uv_tty_mode_t) 3)
#else
#define TTY_MODE_RAW_VT UV_TTY_MODE_RAW_VT
#endif

#define TTY_BLOCKING_WRITES 0x100000u

/* ---- helpers ---------------------------------------------------------------- */

static void tty_openpty(int* master, int* slave) {
  if (openpty(master, slave, NULL, NULL, NULL) != 0)
    TEST_SKIP("no pty available");
}

static int tty_nonblocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  ASSERT_NE(fl, -1);
  return (fl & O_NONBLOCK) != 0;
}

static int tty_fd_of(uv_tty_t* t) {
  uv_os_fd_t fd;
  ASSERT_OK(uv_fileno((uv_handle_t*) t, &fd));
  return fd;
}

static struct termios tty_attrs(int fd) {
  struct termios t;
  ASSERT_OK(tcgetattr(fd, &t));
  return t;
}

static void tty_close_walk_cb(uv_handle_t* h, void* arg) {
  (void) arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

static void tty_teardown(uv_loop_t* loop) {
  uv_walk(loop, tty_close_walk_cb, NULL);
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(loop));
}

/* Reads exactly `want` bytes from `fd` (blocking fd or not), 5 s at most. */
static void tty_read_exact(int fd, char* buf, size_t want) {
  size_t got = 0;
  while (got < want) {
    struct pollfd p;
    ssize_t n;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    ASSERT_EQ(poll(&p, 1, 5000), 1);
    n = read(fd, buf + got, want - got);
    if (n == -1 && (errno == EINTR || errno == EAGAIN))
      continue;
    ASSERT_GT(n, 0);
    got += (size_t) n;
  }
}

/* Whether `fd` has nothing to read within `ms` milliseconds. */
static int tty_quiet(int fd, int ms) {
  struct pollfd p;
  p.fd = fd;
  p.events = POLLIN;
  p.revents = 0;
  return poll(&p, 1, ms) == 0;
}

/* ---- uv_guess_handle -------------------------------------------------------- */

TEST(tty_guess_handle_kinds) {
  int master, slave, fds[2], sock;
  char path[] = "/tmp/rsuv-tty-guess-XXXXXX";

  tty_openpty(&master, &slave);
  ASSERT_EQ(uv_guess_handle(slave), UV_TTY);
  ASSERT_EQ(uv_guess_handle(master), UV_TTY);

  ASSERT_OK(pipe(fds));
  ASSERT_EQ(uv_guess_handle(fds[0]), UV_NAMED_PIPE);
  ASSERT_EQ(uv_guess_handle(fds[1]), UV_NAMED_PIPE);
  close(fds[0]);
  close(fds[1]);

  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, fds));
  ASSERT_EQ(uv_guess_handle(fds[0]), UV_NAMED_PIPE);
  close(fds[0]);
  close(fds[1]);

  /* A datagram Unix socket is none of the stream kinds. */
  ASSERT_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, fds));
  ASSERT_EQ(uv_guess_handle(fds[0]), UV_UNKNOWN_HANDLE);
  close(fds[0]);
  close(fds[1]);

  sock = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  ASSERT_EQ(uv_guess_handle(sock), UV_TCP);
  close(sock);

  sock = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(sock, 0);
  ASSERT_EQ(uv_guess_handle(sock), UV_UDP);
  close(sock);

  sock = mkstemp(path);
  ASSERT_GE(sock, 0);
  unlink(path);
  ASSERT_EQ(uv_guess_handle(sock), UV_FILE);
  close(sock);

  /* A character device that is not a terminal counts as a file. */
  sock = open("/dev/null", O_RDWR);
  ASSERT_GE(sock, 0);
  ASSERT_EQ(uv_guess_handle(sock), UV_FILE);
  close(sock);

  ASSERT_EQ(uv_guess_handle(-1), UV_UNKNOWN_HANDLE);
  ASSERT_EQ(uv_guess_handle(sock), UV_UNKNOWN_HANDLE); /* closed */
  close(master);
  close(slave);
}

/* ---- uv_tty_init ------------------------------------------------------------ */

TEST(tty_init_rejects_files) {
  uv_loop_t loop;
  uv_tty_t tty;
  char path[] = "/tmp/rsuv-tty-file-XXXXXX";
  int fd;

  ASSERT_OK(uv_loop_init(&loop));
  fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  unlink(path);
  ASSERT_EQ(uv_tty_init(&loop, &tty, fd, 0), UV_EINVAL);
  ASSERT_EQ(tty_nonblocking(fd), 0); /* untouched */
  close(fd);
  ASSERT_EQ(uv_tty_init(&loop, &tty, fd, 0), UV_EINVAL); /* closed fd */
  ASSERT_EQ(uv_tty_init(&loop, &tty, -1, 0), UV_EINVAL);

  fd = open("/dev/zero", O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(uv_tty_init(&loop, &tty, fd, 1), UV_EINVAL);
  close(fd);

  /* Nothing was linked into the loop. */
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(tty_init_pty_slave_reopens) {
  uv_loop_t loop;
  uv_tty_t tty;
  int master, slave, shared, hfd;
  char name1[256], name2[256];

  tty_openpty(&master, &slave);
  /* Another fd on the slave's original description, as a parent process or
   * `cat` in `prog | cat` would hold. */
  shared = dup(slave);
  ASSERT_GE(shared, 0);
  ASSERT_EQ(tty_nonblocking(slave), 0);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tty_init(&loop, &tty, slave, 0));
  ASSERT_EQ(uv_handle_get_type((uv_handle_t*) &tty), UV_TTY);
  ASSERT(tty.loop == &loop);
  ASSERT_EQ(tty.mode, UV_TTY_MODE_NORMAL);
  ASSERT(uv_is_readable((uv_stream_t*) &tty));
  ASSERT(uv_is_writable((uv_stream_t*) &tty));
  ASSERT_EQ(tty.flags & TTY_BLOCKING_WRITES, 0);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &tty), 0);

  /* The handle works on a new fd for the same terminal, non-blocking. */
  hfd = tty_fd_of(&tty);
  ASSERT_NE(hfd, slave);
  ASSERT_NE(hfd, shared);
  ASSERT_EQ(tty_nonblocking(hfd), 1);
  ASSERT_NE(fcntl(hfd, F_GETFD) & FD_CLOEXEC, 0);
  ASSERT_OK(ttyname_r(slave, name1, sizeof(name1)));
  ASSERT_OK(ttyname_r(hfd, name2, sizeof(name2)));
  ASSERT_STR_EQ(name1, name2);

  /* The old description is untouched; the program's fd number now refers to
   * the new one (libuv dup2s it there). */
  ASSERT_EQ(tty_nonblocking(shared), 0);
  ASSERT_EQ(tty_nonblocking(slave), 1);

  /* The program may close its fd: the handle keeps its own. */
  ASSERT_OK(close(slave));
  ASSERT_OK(fcntl(hfd, F_GETFD) == -1);

  uv_close((uv_handle_t*) &tty, NULL);
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &tty), 0);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &tty), 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fcntl(hfd, F_GETFD), -1); /* closed with the handle */
  ASSERT_OK(uv_loop_close(&loop));
  close(shared);
  close(master);
}

TEST(tty_init_pty_master_blocking_writes) {
  uv_loop_t loop;
  uv_tty_t tty;
  int master, slave;

  tty_openpty(&master, &slave);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tty_init(&loop, &tty, master, 0));
  /* A master is not reopened: same fd, left blocking, writes block. */
  ASSERT_EQ(tty_fd_of(&tty), master);
  ASSERT_EQ(tty_nonblocking(master), 0);
  ASSERT_NE(tty.flags & TTY_BLOCKING_WRITES, 0);
  ASSERT(uv_is_readable((uv_stream_t*) &tty));
  ASSERT(uv_is_writable((uv_stream_t*) &tty));
  uv_close((uv_handle_t*) &tty, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fcntl(master, F_GETFD), -1); /* the handle closed it */
  ASSERT_OK(uv_loop_close(&loop));
  close(slave);
}

TEST(tty_init_access_modes) {
  uv_loop_t loop;
  uv_tty_t ro, wo;
  int master, slave, fd_ro, fd_wo;
  char name[256];

  tty_openpty(&master, &slave);
  ASSERT_OK(ttyname_r(slave, name, sizeof(name)));
  fd_ro = open(name, O_RDONLY | O_NOCTTY);
  fd_wo = open(name, O_WRONLY | O_NOCTTY);
  ASSERT_GE(fd_ro, 0);
  ASSERT_GE(fd_wo, 0);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tty_init(&loop, &ro, fd_ro, 1));
  ASSERT_OK(uv_tty_init(&loop, &wo, fd_wo, 0));
  ASSERT(uv_is_readable((uv_stream_t*) &ro));
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &ro), 0);
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &wo), 0);
  ASSERT(uv_is_writable((uv_stream_t*) &wo));
  /* Reopened with the same access mode. */
  ASSERT_EQ(fcntl(tty_fd_of(&ro), F_GETFL) & O_ACCMODE, O_RDONLY);
  ASSERT_EQ(fcntl(tty_fd_of(&wo), F_GETFL) & O_ACCMODE, O_WRONLY);
  ASSERT_EQ(wo.flags & TTY_BLOCKING_WRITES, 0);

  tty_teardown(&loop);
  close(fd_ro);
  close(fd_wo);
  close(slave);
  close(master);
}

TEST(tty_init_accepts_pipes_and_sockets) {
  uv_loop_t loop;
  uv_tty_t a, b;
  int p[2], s[2];

  ASSERT_OK(pipe(p));
  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, s));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tty_init(&loop, &a, p[0], 1));
  ASSERT_OK(uv_tty_init(&loop, &b, s[0], 0));
  ASSERT_EQ(tty_fd_of(&a), p[0]);
  ASSERT_EQ(tty_nonblocking(p[0]), 1);
  ASSERT_EQ(tty_nonblocking(s[0]), 1);
  ASSERT(uv_is_readable((uv_stream_t*) &a));
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &a), 0);
  ASSERT(uv_is_readable((uv_stream_t*) &b));
  ASSERT(uv_is_writable((uv_stream_t*) &b));
  ASSERT_EQ(b.flags & TTY_BLOCKING_WRITES, 0);
  tty_teardown(&loop);
  close(p[1]);
  close(s[1]);
}

/* ---- modes ------------------------------------------------------------------ */

TEST(tty_set_mode_raw_io_normal) {
  uv_loop_t loop;
  uv_tty_t tty;
  int master, slave;
  struct termios orig, t;

  tty_openpty(&master, &slave);
  orig = tty_attrs(slave);
  ASSERT_NE(orig.c_lflag & ICANON, 0);
  ASSERT_NE(orig.c_lflag & ECHO, 0);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tty_init(&loop, &tty, slave, 0));

  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_NORMAL)); /* already */
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_RAW));
  ASSERT_EQ(tty.mode, UV_TTY_MODE_RAW);
  t = tty_attrs(slave);
  ASSERT_EQ(t.c_lflag & (ICANON | ECHO | ISIG | IEXTEN), 0);
  ASSERT_EQ(t.c_iflag & (BRKINT | ICRNL | INPCK | ISTRIP | IXON), 0);
  ASSERT_NE(t.c_oflag & OPOST, 0); /* RAW keeps output processing */
  ASSERT_NE(t.c_oflag & ONLCR, 0);
  ASSERT_EQ(t.c_cflag & CSIZE, CS8);
  ASSERT_EQ(t.c_cc[VMIN], 1);
  ASSERT_EQ(t.c_cc[VTIME], 0);
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_RAW)); /* again: no-op */

  /* IO is cfmakeraw: output processing off too. */
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_IO));
  ASSERT_EQ(tty.mode, UV_TTY_MODE_IO);
  t = tty_attrs(slave);
  ASSERT_EQ(t.c_oflag & OPOST, 0);
  ASSERT_EQ(t.c_lflag & (ICANON | ECHO | ECHONL | ISIG | IEXTEN), 0);
  ASSERT_EQ(t.c_iflag & (ICRNL | INLCR | IXON), 0);

  /* RAW_VT is RAW on Unix. */
  ASSERT_OK(uv_tty_set_mode(&tty, TTY_MODE_RAW_VT));
  ASSERT_EQ(tty.mode, UV_TTY_MODE_RAW);
  t = tty_attrs(slave);
  ASSERT_NE(t.c_oflag & OPOST, 0);
  ASSERT_EQ(t.c_lflag & ICANON, 0);

  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_NORMAL));
  ASSERT_EQ(tty.mode, UV_TTY_MODE_NORMAL);
  t = tty_attrs(slave);
  ASSERT_EQ(t.c_lflag, orig.c_lflag);
  ASSERT_EQ(t.c_iflag, orig.c_iflag);
  ASSERT_EQ(t.c_oflag, orig.c_oflag);
  ASSERT_EQ(t.c_cflag, orig.c_cflag);
  ASSERT_OK(memcmp(t.c_cc, orig.c_cc, sizeof(t.c_cc)));

  tty_teardown(&loop);
  close(master);
}

TEST(tty_set_mode_invalid) {
#ifdef RSUV_SYSTEM_HEADER
  TEST_SKIP("libuv aborts on an unknown mode; rsuv returns UV_EINVAL");
#else
  uv_loop_t loop;
  uv_tty_t tty;
  int master, slave;
  struct termios orig, t;

  tty_openpty(&master, &slave);
  orig = tty_attrs(slave);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tty_init(&loop, &tty, slave, 0));
  ASSERT_EQ(uv_tty_set_mode(&tty, (uv_tty_mode_t) 4), UV_EINVAL);
  ASSERT_EQ(uv_tty_set_mode(&tty, (uv_tty_mode_t) -1), UV_EINVAL);
  ASSERT_EQ(tty.mode, UV_TTY_MODE_NORMAL);
  t = tty_attrs(slave);
  ASSERT_EQ(t.c_lflag, orig.c_lflag);
  /* Nothing was saved for uv_tty_reset_mode either. */
  ASSERT_OK(uv_tty_reset_mode());
  tty_teardown(&loop);
  close(master);
#endif
}

TEST(tty_reset_mode_restores) {
  uv_loop_t loop;
  uv_tty_t tty;
  int master, slave;
  struct termios orig, t;

  ASSERT_OK(uv_tty_reset_mode()); /* nothing saved yet */
  tty_openpty(&master, &slave);
  orig = tty_attrs(slave);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tty_init(&loop, &tty, slave, 0));
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_RAW));
  ASSERT_EQ(tty_attrs(slave).c_lflag & ICANON, 0);

  ASSERT_OK(uv_tty_reset_mode());
  t = tty_attrs(slave);
  ASSERT_EQ(t.c_lflag, orig.c_lflag);
  ASSERT_EQ(t.c_iflag, orig.c_iflag);
  ASSERT_EQ(t.c_oflag, orig.c_oflag);
  /* The handle still believes it is raw; reset only touched the terminal. */
  ASSERT_EQ(tty.mode, UV_TTY_MODE_RAW);
  ASSERT_OK(uv_tty_reset_mode()); /* again: same settings */

  tty_teardown(&loop);
  close(master);
}

static volatile sig_atomic_t tty_signal_result = 1;

static void tty_reset_signal_handler(int sig) {
  (void) sig;
  tty_signal_result = uv_tty_reset_mode();
}

TEST(tty_reset_mode_from_signal_handler) {
  uv_loop_t loop;
  uv_tty_t tty;
  int master, slave;
  struct sigaction sa;

  tty_openpty(&master, &slave);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tty_init(&loop, &tty, slave, 0));
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_IO));
  ASSERT_EQ(tty_attrs(slave).c_oflag & OPOST, 0);

  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = tty_reset_signal_handler;
  sigemptyset(&sa.sa_mask);
  ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
  errno = 1234;
  ASSERT_OK(raise(SIGUSR1));
  ASSERT_EQ(errno, 1234); /* preserved */
  ASSERT_EQ(tty_signal_result, 0);
  ASSERT_NE(tty_attrs(slave).c_oflag & OPOST, 0);
  ASSERT_NE(tty_attrs(slave).c_lflag & ICANON, 0);

  tty_teardown(&loop);
  close(master);
}

TEST(tty_close_restores_and_forgets_mode) {
  uv_loop_t loop;
  uv_tty_t tty;
  int master, slave, keep;
  struct termios orig, raw;

  tty_openpty(&master, &slave);
  keep = dup(slave); /* to look at the terminal after the handle is gone */
  ASSERT_GE(keep, 0);
  orig = tty_attrs(keep);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tty_init(&loop, &tty, slave, 0));
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_RAW));
  ASSERT_EQ(tty_attrs(keep).c_lflag & ICANON, 0);

  uv_close((uv_handle_t*) &tty, NULL);
  ASSERT_EQ(tty_attrs(keep).c_lflag, orig.c_lflag); /* restored at uv_close */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));

  /* The saved settings are forgotten: reset no longer touches the terminal. */
  raw = orig;
  cfmakeraw(&raw);
  ASSERT_OK(tcsetattr(keep, TCSANOW, &raw));
  ASSERT_OK(uv_tty_reset_mode());
  ASSERT_EQ(tty_attrs(keep).c_lflag & ICANON, 0);

  close(keep);
  close(slave);
  close(master);
}

TEST(tty_first_handle_owns_reset_settings) {
  uv_loop_t loop;
  uv_tty_t a, b;
  int m1, s1, m2, s2;
  struct termios o1, o2;

  tty_openpty(&m1, &s1);
  tty_openpty(&m2, &s2);
  o1 = tty_attrs(s1);
  o2 = tty_attrs(s2);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tty_init(&loop, &a, s1, 0));
  ASSERT_OK(uv_tty_init(&loop, &b, s2, 0));
  ASSERT_OK(uv_tty_set_mode(&a, UV_TTY_MODE_RAW));
  ASSERT_OK(uv_tty_set_mode(&b, UV_TTY_MODE_RAW));
  /* Only the first terminal switched away from NORMAL is remembered. */
  ASSERT_OK(uv_tty_reset_mode());
  ASSERT_EQ(tty_attrs(s1).c_lflag, o1.c_lflag);
  ASSERT_EQ(tty_attrs(s2).c_lflag & ICANON, 0);
  /* b restores its own settings on NORMAL. */
  ASSERT_OK(uv_tty_set_mode(&b, UV_TTY_MODE_NORMAL));
  ASSERT_EQ(tty_attrs(s2).c_lflag, o2.c_lflag);
  tty_teardown(&loop);
  close(m1);
  close(m2);
}

/* ---- winsize and vterm ------------------------------------------------------ */

TEST(tty_get_winsize) {
  uv_loop_t loop;
  uv_tty_t tty, mtty;
  int master, slave, w, h;
  struct winsize ws;

  tty_openpty(&master, &slave);
  memset(&ws, 0, sizeof(ws));
  ws.ws_col = 80;
  ws.ws_row = 24;
  ASSERT_OK(ioctl(master, TIOCSWINSZ, &ws));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tty_init(&loop, &tty, slave, 0));
  w = h = -1;
  ASSERT_OK(uv_tty_get_winsize(&tty, &w, &h));
  ASSERT_EQ(w, 80);
  ASSERT_EQ(h, 24);

  ws.ws_col = 132;
  ws.ws_row = 50;
  ASSERT_OK(ioctl(master, TIOCSWINSZ, &ws));
  ASSERT_OK(uv_tty_get_winsize(&tty, &w, &h));
  ASSERT_EQ(w, 132);
  ASSERT_EQ(h, 50);

  /* The master side reports the same size. */
  ASSERT_OK(uv_tty_init(&loop, &mtty, master, 0));
  w = h = 0;
  ASSERT_OK(uv_tty_get_winsize(&mtty, &w, &h));
  ASSERT_EQ(w, 132);
  ASSERT_EQ(h, 50);
  tty_teardown(&loop);
}

TEST(tty_get_winsize_not_a_terminal) {
  uv_loop_t loop;
  uv_tty_t tty;
  int p[2], w = 7, h = 7;

  ASSERT_OK(pipe(p));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tty_init(&loop, &tty, p[0], 0));
  ASSERT_EQ(uv_tty_get_winsize(&tty, &w, &h), UV_ENOTTY);
  ASSERT_EQ(w, 7);
  ASSERT_EQ(h, 7);
  tty_teardown(&loop);
  close(p[1]);
}

TEST(tty_vterm_state_unix) {
  uv_tty_vtermstate_t st = UV_TTY_SUPPORTED;
  uv_tty_set_vterm_state(UV_TTY_UNSUPPORTED);
  ASSERT_EQ(uv_tty_get_vterm_state(&st), UV_ENOTSUP);
  ASSERT_EQ(st, UV_TTY_SUPPORTED);
}

/* ---- as a stream ------------------------------------------------------------ */

static int tty_write_status = 1;
static int tty_write_calls;

static void tty_write_cb(uv_write_t* req, int status) {
  (void) req;
  tty_write_status = status;
  tty_write_calls++;
}

TEST(tty_write_reaches_master) {
  uv_loop_t loop;
  uv_tty_t tty;
  uv_write_t req;
  int master, slave;
  static char text[] = "hello\n";
  static char more[] = "raw\n";
  char got[16];
  uv_buf_t buf;

  tty_openpty(&master, &slave);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tty_init(&loop, &tty, slave, 0));

  buf = uv_buf_init(text, 6);
  ASSERT_OK(uv_write(&req, (uv_stream_t*) &tty, &buf, 1, tty_write_cb));
  ASSERT_EQ(tty_write_calls, 0); /* never from inside uv_write */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(tty_write_calls, 1);
  ASSERT_EQ(tty_write_status, 0);
  /* NORMAL mode: NL goes out as CR NL. */
  tty_read_exact(master, got, 7);
  ASSERT_OK(memcmp(got, "hello\r\n", 7));

  /* IO mode: no output processing. */
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_IO));
  buf = uv_buf_init(more, 4);
  ASSERT_EQ(uv_try_write((uv_stream_t*) &tty, &buf, 1), 4);
  tty_read_exact(master, got, 4);
  ASSERT_OK(memcmp(got, "raw\n", 4));
  ASSERT(tty_quiet(master, 50));

  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_NORMAL));
  tty_teardown(&loop);
  close(master);
}

struct tty_reader {
  char data[64];
  size_t len;
  size_t want;
  int reads;
  ssize_t error;
  char slab[64];
};

static void tty_alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  struct tty_reader* r = (struct tty_reader*) h->data;
  (void) suggested;
  *buf = uv_buf_init(r->slab, sizeof(r->slab));
}

static void tty_read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  struct tty_reader* r = (struct tty_reader*) s->data;
  if (nread < 0) {
    r->error = nread;
    uv_close((uv_handle_t*) s, NULL);
    return;
  }
  if (nread == 0)
    return;
  r->reads++;
  ASSERT_LE(r->len + (size_t) nread, sizeof(r->data));
  memcpy(r->data + r->len, buf->base, (size_t) nread);
  r->len += (size_t) nread;
  if (r->want != 0 && r->len >= r->want)
    ASSERT_OK(uv_read_stop(s));
}

TEST(tty_read_from_master_input) {
  uv_loop_t loop;
  uv_tty_t tty;
  struct tty_reader r;
  int master, slave;

  tty_openpty(&master, &slave);
  memset(&r, 0, sizeof(r));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tty_init(&loop, &tty, slave, 0));
  tty.data = &r;

  /* NORMAL: canonical input, a line at a time; CR on input becomes NL. */
  ASSERT_EQ(write(master, "ab", 2), 2);
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));
  r.want = 4;
  ASSERT_OK(uv_read_start((uv_stream_t*) &tty, tty_alloc_cb, tty_read_cb));
  ASSERT(uv_is_active((uv_handle_t*) &tty));
  ASSERT_EQ(uv_read_start((uv_stream_t*) &tty, tty_alloc_cb, tty_read_cb),
            UV_EALREADY);
  uv_run(&loop, UV_RUN_NOWAIT);
  ASSERT_EQ(r.len, 0); /* no complete line yet */
  ASSERT_EQ(write(master, "c\r", 2), 2);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(r.len, 4);
  ASSERT_OK(memcmp(r.data, "abc\n", 4));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &tty), 0);

  /* RAW: bytes arrive as typed, CR untranslated, no line needed. */
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_RAW));
  r.len = 0;
  r.want = 3;
  ASSERT_OK(uv_read_start((uv_stream_t*) &tty, tty_alloc_cb, tty_read_cb));
  ASSERT_EQ(write(master, "xy\r", 3), 3);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(r.len, 3);
  ASSERT_OK(memcmp(r.data, "xy\r", 3));
  ASSERT_EQ(r.error, 0);

  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_NORMAL));
  tty_teardown(&loop);
  close(master);
}

TEST(tty_master_read_then_hangup) {
  uv_loop_t loop;
  uv_tty_t mtty;
  struct tty_reader r;
  int master, slave;

  tty_openpty(&master, &slave);
  memset(&r, 0, sizeof(r));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tty_init(&loop, &mtty, master, 0));
  mtty.data = &r;
  ASSERT_OK(uv_read_start((uv_stream_t*) &mtty, tty_alloc_cb, tty_read_cb));
  ASSERT_EQ(write(slave, "bye\n", 4), 4);
  ASSERT_OK(close(slave));
  /* The data, then Linux's EIO for a master whose slave is gone; the read
   * callback closes the handle. */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(r.len, 5);
  ASSERT_OK(memcmp(r.data, "bye\r\n", 5));
  ASSERT_EQ(r.error, UV_EIO);
  ASSERT(uv_is_closing((uv_handle_t*) &mtty));
  ASSERT_OK(uv_loop_close(&loop));
}

/* A pty master hands out its data in pieces; every byte must arrive before
 * the hang-up is reported (POLLHUP comes with POLLIN while data remains). */
static void tty_feeder(void* arg) {
  static char chunk[8192];
  int fd = *(int*) arg;
  int i;
  memset(chunk, 'x', sizeof(chunk));
  for (i = 0; i < 8; i++) {
    size_t off = 0;
    while (off < sizeof(chunk)) {
      ssize_t n = write(fd, chunk + off, sizeof(chunk) - off);
      if (n == -1 && errno == EINTR)
        continue;
      ASSERT_GT(n, 0);
      off += (size_t) n;
    }
  }
  ASSERT_OK(close(fd));
}

static size_t tty_bulk_count;
static char tty_bulk_slab[1 << 16];

static void tty_bulk_alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void) h;
  (void) suggested;
  *buf = uv_buf_init(tty_bulk_slab, sizeof(tty_bulk_slab));
}

static void tty_bulk_read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  (void) buf;
  if (nread > 0)
    tty_bulk_count += (size_t) nread;
  else if (nread < 0)
    uv_close((uv_handle_t*) s, NULL);
}

TEST(tty_master_reads_everything_before_hangup) {
  int round;
  for (round = 0; round < 5; round++) {
    uv_loop_t loop;
    uv_tty_t mtty;
    uv_thread_t tid;
    int master, slave;

    tty_openpty(&master, &slave);
    tty_bulk_count = 0;
    ASSERT_OK(uv_loop_init(&loop));
    ASSERT_OK(uv_tty_init(&loop, &mtty, master, 0));
    ASSERT_OK(uv_read_start((uv_stream_t*) &mtty, tty_bulk_alloc_cb,
                            tty_bulk_read_cb));
    ASSERT_OK(uv_thread_create(&tid, tty_feeder, &slave));
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    ASSERT_OK(uv_thread_join(&tid));
    ASSERT_EQ(tty_bulk_count, 65536);
    ASSERT_OK(uv_loop_close(&loop));
  }
}
