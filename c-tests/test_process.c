/* Processes: uv_spawn with exit codes and terminating signals, exec errors
 * reported by uv_spawn itself, stdio through pipes (UV_CREATE_PIPE, both
 * directions, an IPC pipe), UV_INHERIT_FD / UV_INHERIT_STREAM, env, cwd,
 * detached children, uv_process_kill / uv_kill / uv_process_get_pid,
 * uv_disable_stdio_inheritance, and uv_loop_fork in a forked child (timer,
 * async, signal and threadpool work in the child).
 *
 * Children are /bin/sh, /bin/true, /bin/false, cat and sleep.  Every
 * expectation holds on libuv 1.52.1 too. */
#include "test.h"

#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define S(x) ((char*) (x))

struct proc {
  uv_process_t p;
  uv_process_options_t o;
  uv_stdio_container_t stdio[5];
  char* args[8];
  int exited;
  int64_t exit_status;
  int term_signal;
  int closed;
};

struct reader {
  uv_pipe_t pipe;
  char buf[4096];
  size_t len;
  int eof;
  int closed;
};

static void proc_close_cb(uv_handle_t* h) {
  struct proc* p = (struct proc*) h->data;
  p->closed++;
}

static void proc_exit_cb(uv_process_t* h, int64_t exit_status, int term_signal) {
  struct proc* p = (struct proc*) h->data;
  p->exited++;
  p->exit_status = exit_status;
  p->term_signal = term_signal;
  ASSERT_EQ(uv_is_active((uv_handle_t*) h), 0);  /* stopped before the callback */
  uv_close((uv_handle_t*) h, proc_close_cb);
}

/* Options for `file args...` (NULL-terminated), exit callback closes. */
static void proc_setup(struct proc* p, const char* file, ...) {
  va_list ap;
  const char* a;
  int n = 0;

  memset(p, 0, sizeof(*p));
  p->p.data = p;
  p->o.file = file;
  p->o.exit_cb = proc_exit_cb;
  p->o.args = p->args;
  p->args[n++] = S(file);
  va_start(ap, file);
  while ((a = va_arg(ap, const char*)) != NULL && n < 7)
    p->args[n++] = S(a);
  va_end(ap);
  p->args[n] = NULL;
}

static void proc_set_stdio(struct proc* p, int i, int flags, uv_stream_t* s, int fd) {
  p->stdio[i].flags = (uv_stdio_flags) flags;
  if (s != NULL)
    p->stdio[i].data.stream = s;
  else
    p->stdio[i].data.fd = fd;
  if (p->o.stdio_count < i + 1)
    p->o.stdio_count = i + 1;
  p->o.stdio = p->stdio;
}

static void rd_alloc_cb(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  struct reader* r = (struct reader*) h->data;
  (void) size;
  buf->base = r->buf + r->len;
  buf->len = sizeof(r->buf) - 1 - r->len;
}

static void rd_close_cb(uv_handle_t* h) {
  struct reader* r = (struct reader*) h->data;
  r->closed++;
}

static void rd_read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  struct reader* r = (struct reader*) s->data;
  (void) buf;
  if (nread > 0) {
    r->len += (size_t) nread;
    r->buf[r->len] = '\0';
  } else if (nread < 0) {
    ASSERT_EQ(nread, UV_EOF);
    r->eof = 1;
    uv_close((uv_handle_t*) s, rd_close_cb);
  }
}

static void rd_init(uv_loop_t* loop, struct reader* r, int ipc) {
  memset(r, 0, sizeof(*r));
  ASSERT_OK(uv_pipe_init(loop, &r->pipe, ipc));
  r->pipe.data = r;
}

static void proc_walk_close_cb(uv_handle_t* h, void* arg) {
  (void) arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

static void proc_loop_done(uv_loop_t* loop) {
  uv_walk(loop, proc_walk_close_cb, NULL);
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(loop));
}

/* Spawns, runs the loop to the end, checks the exit. */
static void proc_run_expect(struct proc* p, int64_t status, int signal) {
  uv_loop_t loop;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_spawn(&loop, &p->p, &p->o));
  ASSERT_GT(p->p.pid, 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(p->exited, 1);
  ASSERT_EQ(p->closed, 1);
  ASSERT_EQ(p->exit_status, status);
  ASSERT_EQ(p->term_signal, signal);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- exit statuses ------------------------------------------------------------------ */

TEST(process_spawn_true_exits_0) {
  struct proc p;
  proc_setup(&p, "/bin/true", NULL);
  proc_run_expect(&p, 0, 0);
}

TEST(process_spawn_false_exits_1) {
  struct proc p;
  proc_setup(&p, "/bin/false", NULL);
  proc_run_expect(&p, 1, 0);
}

TEST(process_exit_code_42_via_path_search) {
  struct proc p;
  proc_setup(&p, "sh", "-c", "exit 42", NULL);  /* found through PATH */
  proc_run_expect(&p, 42, 0);
}

TEST(process_term_signal) {
  struct proc p;
  proc_setup(&p, "/bin/sh", "-c", "kill -TERM $$", NULL);
  proc_run_expect(&p, 0, SIGTERM);
}

TEST(process_many_children_one_loop) {
  uv_loop_t loop;
  struct proc p[8];
  char code[8][4];
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  for (i = 0; i < 8; i++) {
    snprintf(code[i], sizeof(code[i]), "%d", i);
    proc_setup(&p[i], "/bin/sh", "-c", "exit $0", code[i], NULL);
    ASSERT_OK(uv_spawn(&loop, &p[i].p, &p[i].o));
  }
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  for (i = 0; i < 8; i++) {
    ASSERT_EQ(p[i].exited, 1);
    ASSERT_EQ(p[i].exit_status, i);
    ASSERT_EQ(p[i].closed, 1);
  }
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(process_two_loops_each_reap_their_own) {
  uv_loop_t l1, l2;
  struct proc a, b;

  ASSERT_OK(uv_loop_init(&l1));
  ASSERT_OK(uv_loop_init(&l2));
  proc_setup(&a, "/bin/sh", "-c", "exit 3", NULL);
  proc_setup(&b, "/bin/sh", "-c", "exit 4", NULL);
  ASSERT_OK(uv_spawn(&l1, &a.p, &a.o));
  ASSERT_OK(uv_spawn(&l2, &b.p, &b.o));
  ASSERT_OK(uv_run(&l1, UV_RUN_DEFAULT));
  ASSERT_OK(uv_run(&l2, UV_RUN_DEFAULT));
  ASSERT_EQ(a.exit_status, 3);
  ASSERT_EQ(b.exit_status, 4);
  ASSERT_OK(uv_loop_close(&l1));
  ASSERT_OK(uv_loop_close(&l2));
}

/* ---- exec errors ------------------------------------------------------------------- */

TEST(process_missing_binary_enoent) {
  uv_loop_t loop;
  struct proc p, q;

  ASSERT_OK(uv_loop_init(&loop));
  proc_setup(&p, "/nonexistent/rsuv-no-such-program", NULL);
  ASSERT_EQ(uv_spawn(&loop, &p.p, &p.o), UV_ENOENT);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &p.p), 0);
  uv_close((uv_handle_t*) &p.p, proc_close_cb);  /* the handle must be closed */

  proc_setup(&q, "rsuv-no-such-program-in-path", NULL);
  ASSERT_EQ(uv_spawn(&loop, &q.p, &q.o), UV_ENOENT);
  uv_close((uv_handle_t*) &q.p, proc_close_cb);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(p.closed, 1);
  ASSERT_EQ(q.closed, 1);
  ASSERT_EQ(p.exited + q.exited, 0);
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(process_not_executable_eacces) {
  uv_loop_t loop;
  struct proc p;
  char path[] = "/tmp/rsuv-noexec-XXXXXX";
  int fd = mkstemp(path);

  ASSERT_GE(fd, 0);
  close(fd);
  ASSERT_OK(chmod(path, 0600));
  ASSERT_OK(uv_loop_init(&loop));
  proc_setup(&p, path, NULL);
  ASSERT_EQ(uv_spawn(&loop, &p.p, &p.o), UV_EACCES);
  uv_close((uv_handle_t*) &p.p, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
  unlink(path);
}

TEST(process_missing_cwd_enoent) {
  uv_loop_t loop;
  struct proc p;

  ASSERT_OK(uv_loop_init(&loop));
  proc_setup(&p, "/bin/true", NULL);
  p.o.cwd = "/nonexistent/rsuv-dir";
  ASSERT_EQ(uv_spawn(&loop, &p.p, &p.o), UV_ENOENT);
  uv_close((uv_handle_t*) &p.p, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(process_create_pipe_needs_a_pipe_handle) {
  uv_loop_t loop;
  uv_tcp_t tcp;
  struct proc p;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tcp_init(&loop, &tcp));
  proc_setup(&p, "/bin/true", NULL);
  proc_set_stdio(&p, 1, UV_CREATE_PIPE | UV_WRITABLE_PIPE, (uv_stream_t*) &tcp, -1);
  ASSERT_EQ(uv_spawn(&loop, &p.p, &p.o), UV_EINVAL);
  /* Failed before forking: nothing to close but the TCP handle. */
  uv_close((uv_handle_t*) &tcp, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- stdio ------------------------------------------------------------------------- */

TEST(process_stdout_through_pipe) {
  uv_loop_t loop;
  struct proc p;
  struct reader out;

  ASSERT_OK(uv_loop_init(&loop));
  rd_init(&loop, &out, 0);
  proc_setup(&p, "/bin/sh", "-c", "echo hello; echo world >&1; echo err >&2", NULL);
  proc_set_stdio(&p, 0, UV_IGNORE, NULL, -1);
  proc_set_stdio(&p, 1, UV_CREATE_PIPE | UV_WRITABLE_PIPE, (uv_stream_t*) &out.pipe, -1);
  ASSERT_OK(uv_spawn(&loop, &p.p, &p.o));
  ASSERT_NE(uv_is_readable((uv_stream_t*) &out.pipe), 0);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &out.pipe), 0);
  ASSERT_OK(uv_read_start((uv_stream_t*) &out.pipe, rd_alloc_cb, rd_read_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(out.eof, 1);
  ASSERT_STR_EQ(out.buf, "hello\nworld\n");  /* stderr went to /dev/null */
  ASSERT_EQ(p.exited, 1);
  ASSERT_EQ(p.exit_status, 0);
  ASSERT_OK(uv_loop_close(&loop));
}

static uv_write_t proc_wreq;
static void proc_write_then_close_cb(uv_write_t* req, int status) {
  ASSERT_OK(status);
  uv_close((uv_handle_t*) req->handle, NULL);  /* EOF for the child's stdin */
}

TEST(process_stdin_and_stdout_pipes) {
  uv_loop_t loop;
  struct proc p;
  struct reader out;
  uv_pipe_t in;
  uv_buf_t b = uv_buf_init(S("ping\npong\n"), 10);

  ASSERT_OK(uv_loop_init(&loop));
  rd_init(&loop, &out, 0);
  ASSERT_OK(uv_pipe_init(&loop, &in, 0));
  proc_setup(&p, "cat", NULL);
  proc_set_stdio(&p, 0, UV_CREATE_PIPE | UV_READABLE_PIPE, (uv_stream_t*) &in, -1);
  proc_set_stdio(&p, 1, UV_CREATE_PIPE | UV_WRITABLE_PIPE, (uv_stream_t*) &out.pipe, -1);
  ASSERT_OK(uv_spawn(&loop, &p.p, &p.o));
  ASSERT_NE(uv_is_writable((uv_stream_t*) &in), 0);
  ASSERT_OK(uv_write(&proc_wreq, (uv_stream_t*) &in, &b, 1, proc_write_then_close_cb));
  ASSERT_OK(uv_read_start((uv_stream_t*) &out.pipe, rd_alloc_cb, rd_read_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_STR_EQ(out.buf, "ping\npong\n");
  ASSERT_EQ(p.exit_status, 0);
  ASSERT_OK(uv_loop_close(&loop));
}

/* Reads a pipe to EOF into buf. */
static void proc_read_all(int fd, char* buf, size_t size) {
  size_t len = 0;
  ssize_t n;
  while ((n = read(fd, buf + len, size - 1 - len)) > 0)
    len += (size_t) n;
  buf[len] = '\0';
}

TEST(process_inherit_fd_swapped_stdout_stderr) {
  /* The child's stdout is our fd 2 and its stderr our fd 1: filling one slot
   * must not overwrite the source of the other. */
  uv_loop_t loop;
  struct proc p;
  int a[2], b[2], saved1, saved2;
  char buf[64];

  ASSERT_OK(pipe(a));
  ASSERT_OK(pipe(b));
  saved1 = dup(1);
  saved2 = dup(2);
  ASSERT_GE(saved1, 0);
  ASSERT_GE(saved2, 0);
  ASSERT_EQ(dup2(a[1], 1), 1);
  ASSERT_EQ(dup2(b[1], 2), 2);
  close(a[1]);
  close(b[1]);

  ASSERT_OK(uv_loop_init(&loop));
  proc_setup(&p, "/bin/sh", "-c", "echo out; echo err >&2", NULL);
  proc_set_stdio(&p, 1, UV_INHERIT_FD, NULL, 2);
  proc_set_stdio(&p, 2, UV_INHERIT_FD, NULL, 1);
  ASSERT_OK(uv_spawn(&loop, &p.p, &p.o));
  ASSERT_EQ(dup2(saved1, 1), 1);
  ASSERT_EQ(dup2(saved2, 2), 2);
  close(saved1);
  close(saved2);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(p.exit_status, 0);
  proc_read_all(a[0], buf, sizeof(buf));
  ASSERT_STR_EQ(buf, "err\n");
  proc_read_all(b[0], buf, sizeof(buf));
  ASSERT_STR_EQ(buf, "out\n");
  close(a[0]);
  close(b[0]);
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(process_ignored_stdio_is_dev_null) {
  struct proc p;
  /* stdin reads EOF at once; writes to stdout and stderr succeed. */
  proc_setup(&p, "/bin/sh", "-c",
             "if read x; then exit 1; fi; echo x || exit 2; echo y >&2 || exit 3",
             NULL);
  proc_run_expect(&p, 0, 0);
}

TEST(process_inherit_fd) {
  uv_loop_t loop;
  struct proc p;
  int fds[2];
  char buf[64];
  ssize_t n;
  size_t len = 0;

  ASSERT_OK(pipe(fds));
  ASSERT_OK(uv_loop_init(&loop));
  proc_setup(&p, "/bin/sh", "-c", "echo inherited; echo three >&3", NULL);
  proc_set_stdio(&p, 1, UV_INHERIT_FD, NULL, fds[1]);
  proc_set_stdio(&p, 2, UV_IGNORE, NULL, -1);
  proc_set_stdio(&p, 3, UV_INHERIT_FD, NULL, fds[1]);
  ASSERT_OK(uv_spawn(&loop, &p.p, &p.o));
  close(fds[1]);  /* the child has its own copies */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  while ((n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
    len += (size_t) n;
  buf[len] = '\0';
  ASSERT_STR_EQ(buf, "inherited\nthree\n");
  close(fds[0]);
  ASSERT_EQ(p.exit_status, 0);
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(process_inherit_stream) {
  uv_loop_t loop;
  struct proc p;
  uv_pipe_t w;
  int fds[2];
  char buf[64];
  ssize_t n;

  ASSERT_OK(pipe(fds));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &w, 0));
  ASSERT_OK(uv_pipe_open(&w, fds[1]));
  proc_setup(&p, "/bin/sh", "-c", "echo via-stream", NULL);
  proc_set_stdio(&p, 1, UV_INHERIT_STREAM, (uv_stream_t*) &w, -1);
  ASSERT_OK(uv_spawn(&loop, &p.p, &p.o));
  uv_close((uv_handle_t*) &w, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  n = read(fds[0], buf, sizeof(buf) - 1);
  ASSERT_EQ(n, 11);
  buf[n] = '\0';
  ASSERT_STR_EQ(buf, "via-stream\n");
  close(fds[0]);
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(process_ipc_pipe_is_a_socket) {
  uv_loop_t loop;
  struct proc p;
  struct reader ipc;

  ASSERT_OK(uv_loop_init(&loop));
  rd_init(&loop, &ipc, 1);
  /* fd 3 of the child is a Unix socket, and data flows through it. */
  proc_setup(&p, "/bin/sh", "-c", "test -S /dev/fd/3 || exit 9; echo over-ipc >&3",
             NULL);
  proc_set_stdio(&p, 3, UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE,
                 (uv_stream_t*) &ipc.pipe, -1);
  ASSERT_OK(uv_spawn(&loop, &p.p, &p.o));
  ASSERT_NE(uv_is_readable((uv_stream_t*) &ipc.pipe), 0);
  ASSERT_NE(uv_is_writable((uv_stream_t*) &ipc.pipe), 0);
  ASSERT_OK(uv_read_start((uv_stream_t*) &ipc.pipe, rd_alloc_cb, rd_read_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(p.exit_status, 0);
  ASSERT_STR_EQ(ipc.buf, "over-ipc\n");
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- environment, directory, credentials, sessions ------------------------------------- */

TEST(process_env_replaces_environment) {
  struct proc p;
  char* env[3];

  ASSERT_OK(setenv("RSUV_PARENT_ONLY", "1", 1));
  env[0] = S("RSUV_X=hello world");
  env[1] = S("PATH=/usr/bin:/bin");
  env[2] = NULL;
  proc_setup(&p, "/bin/sh", "-c",
             "test \"$RSUV_X\" = 'hello world' || exit 1; "
             "test -z \"$RSUV_PARENT_ONLY\" || exit 2",
             NULL);
  p.o.env = env;
  proc_run_expect(&p, 0, 0);
}

TEST(process_env_inherited_by_default) {
  struct proc p;
  ASSERT_OK(setenv("RSUV_PARENT_ONLY", "yes", 1));
  proc_setup(&p, "/bin/sh", "-c", "test \"$RSUV_PARENT_ONLY\" = yes", NULL);
  proc_run_expect(&p, 0, 0);
}

TEST(process_cwd_honoured) {
  struct proc p;
  char dir[] = "/tmp/rsuv-cwd-XXXXXX";
  char marker[64];
  int fd;

  ASSERT_NOT_NULL(mkdtemp(dir));
  snprintf(marker, sizeof(marker), "%s/marker", dir);
  fd = open(marker, O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  proc_setup(&p, "/bin/sh", "-c", "test -f marker", NULL);
  p.o.cwd = dir;
  proc_run_expect(&p, 0, 0);
  unlink(marker);
  rmdir(dir);
}

TEST(process_setuid_setgid_to_own_ids) {
  struct proc p;
  proc_setup(&p, "/bin/sh", "-c", "exit 0", NULL);
  p.o.flags = UV_PROCESS_SETUID | UV_PROCESS_SETGID;
  p.o.uid = getuid();
  p.o.gid = getgid();
  proc_run_expect(&p, 0, 0);
}

TEST(process_detached_gets_own_session) {
  struct proc attached, detached;
  /* Field 6 of /proc/PID/stat is the session id. */
  const char* script =
      "read -r pid comm state ppid pgrp sid rest < /proc/$$/stat; "
      "test \"$sid\" = \"$$\"";

  proc_setup(&detached, "/bin/sh", "-c", script, NULL);
  detached.o.flags = UV_PROCESS_DETACHED;
  proc_run_expect(&detached, 0, 0);

  proc_setup(&attached, "/bin/sh", "-c", script, NULL);
  proc_run_expect(&attached, 1, 0);
}

TEST(process_detached_outlives_unref) {
  uv_loop_t loop;
  struct proc p;
  int pid;

  ASSERT_OK(uv_loop_init(&loop));
  proc_setup(&p, "sleep", "10", NULL);
  p.o.flags = UV_PROCESS_DETACHED;
  ASSERT_OK(uv_spawn(&loop, &p.p, &p.o));
  uv_unref((uv_handle_t*) &p.p);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));  /* does not wait for it */
  ASSERT_EQ(p.exited, 0);
  pid = uv_process_get_pid(&p.p);
  ASSERT_EQ(pid, p.p.pid);
  ASSERT_OK(uv_kill(pid, 0));
  ASSERT_OK(uv_kill(pid, SIGKILL));
  ASSERT_EQ(waitpid(pid, NULL, 0), pid);
  uv_close((uv_handle_t*) &p.p, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- kill --------------------------------------------------------------------------- */

TEST(process_kill_running_child) {
  uv_loop_t loop;
  struct proc p;
  int pid;

  ASSERT_OK(uv_loop_init(&loop));
  proc_setup(&p, "sleep", "10", NULL);
  ASSERT_OK(uv_spawn(&loop, &p.p, &p.o));
  pid = uv_process_get_pid(&p.p);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(pid, p.p.pid);
  ASSERT_OK(uv_kill(pid, 0));  /* alive */
  ASSERT_OK(uv_process_kill(&p.p, SIGTERM));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(p.exited, 1);
  ASSERT_EQ(p.term_signal, SIGTERM);
  ASSERT_EQ(p.exit_status, 0);
  ASSERT_EQ(uv_kill(pid, 0), UV_ESRCH);  /* reaped: gone */
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(process_child_signal_dispositions_reset) {
  struct proc p;
  sigset_t set;

  /* The parent ignores and blocks SIGTERM; the child must still die of it. */
  ASSERT(signal(SIGTERM, SIG_IGN) != SIG_ERR);
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  ASSERT_OK(pthread_sigmask(SIG_BLOCK, &set, NULL));
  proc_setup(&p, "/bin/sh", "-c", "kill -TERM $$; exit 7", NULL);
  proc_run_expect(&p, 0, SIGTERM);
  ASSERT_OK(pthread_sigmask(SIG_UNBLOCK, &set, NULL));
  ASSERT(signal(SIGTERM, SIG_DFL) != SIG_ERR);
}

TEST(process_kill_errors) {
  ASSERT_EQ(uv_kill(getpid(), -1), UV_EINVAL);
  ASSERT_EQ(uv_kill(getpid(), 4096), UV_EINVAL);
  ASSERT_OK(uv_kill(getpid(), 0));
  ASSERT_EQ(uv_kill(0x7ffffff0, 0), UV_ESRCH);
}

TEST(process_disable_stdio_inheritance) {
  int fd;
  uv_disable_stdio_inheritance();
  for (fd = 0; fd <= 2; fd++) {
    int fl = fcntl(fd, F_GETFD);
    if (fl != -1)
      ASSERT_NE(fl & FD_CLOEXEC, 0);
  }
}

TEST(process_child_fds_do_not_leak) {
  /* The pipes of one spawn are close-on-exec: a second child sees only its
   * stdio (0..2) open, whatever the first spawn created. */
  uv_loop_t loop;
  struct proc a, b;
  struct reader out_a, out_b;
  int fd, inheritable = 0;

  for (fd = 3; fd < 1024; fd++) {
    int fl = fcntl(fd, F_GETFD);
    if (fl != -1 && (fl & FD_CLOEXEC) == 0)
      inheritable++;
  }
  ASSERT_OK(uv_loop_init(&loop));
  rd_init(&loop, &out_a, 0);
  rd_init(&loop, &out_b, 0);
  proc_setup(&a, "sleep", "1", NULL);
  proc_set_stdio(&a, 1, UV_CREATE_PIPE | UV_WRITABLE_PIPE, (uv_stream_t*) &out_a.pipe, -1);
  ASSERT_OK(uv_spawn(&loop, &a.p, &a.o));
  proc_setup(&b, "/bin/sh", "-c", "ls /proc/self/fd | wc -l", NULL);
  proc_set_stdio(&b, 1, UV_CREATE_PIPE | UV_WRITABLE_PIPE, (uv_stream_t*) &out_b.pipe, -1);
  ASSERT_OK(uv_spawn(&loop, &b.p, &b.o));
  ASSERT_OK(uv_read_start((uv_stream_t*) &out_b.pipe, rd_alloc_cb, rd_read_cb));
  ASSERT_OK(uv_process_kill(&a.p, SIGKILL));
  uv_close((uv_handle_t*) &out_a.pipe, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  /* ls sees 0, 1, 2, the directory it reads, and whatever this process has
   * open without close-on-exec (inherited from the test runner). */
  ASSERT_EQ(atoi(out_b.buf), 4 + inheritable);
  ASSERT_EQ(a.term_signal, SIGKILL);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- uv_loop_fork ------------------------------------------------------------------- */

static int fk_timer_calls;
static int fk_async_calls;
static int fk_signal_calls;
static int fk_work_calls;
static int fk_after_work_calls;

static void fk_timer_cb(uv_timer_t* t) {
  fk_timer_calls++;
  uv_close((uv_handle_t*) t, NULL);
}

static void fk_async_cb(uv_async_t* a) {
  fk_async_calls++;
  uv_close((uv_handle_t*) a, NULL);
}

static void fk_signal_cb(uv_signal_t* s, int signum) {
  ASSERT_EQ(signum, SIGUSR1);
  fk_signal_calls++;
  uv_close((uv_handle_t*) s, NULL);
}

static void fk_work_cb(uv_work_t* w) {
  (void) w;
  fk_work_calls++;
}

static void fk_after_work_cb(uv_work_t* w, int status) {
  (void) w;
  ASSERT_OK(status);
  fk_after_work_calls++;
}

static void fk_send_thread(void* arg) {
  ASSERT_OK(uv_async_send((uv_async_t*) arg));
}

/* Waits for a forked child; its exit status must be 0. */
static void fk_wait_child(pid_t pid) {
  int st;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT(WIFEXITED(st));
  ASSERT_EQ(WEXITSTATUS(st), 0);
}

TEST(process_loop_fork_timer_and_async_in_child) {
  uv_loop_t loop;
  uv_timer_t timer;
  uv_async_t async;
  uv_thread_t tid;
  uv_work_t work;
  pid_t pid;

  /* Prime the loop and the threadpool in the parent. */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_queue_work(&loop, &work, fk_work_cb, fk_after_work_cb));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, fk_timer_cb, 1, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fk_timer_calls, 1);
  ASSERT_EQ(fk_after_work_calls, 1);
  ASSERT_OK(uv_async_init(&loop, &async, fk_async_cb));

  pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ASSERT_OK(uv_loop_fork(&loop));
    ASSERT_OK(uv_timer_init(&loop, &timer));
    ASSERT_OK(uv_timer_start(&timer, fk_timer_cb, 5, 0));
    ASSERT_OK(uv_thread_create(&tid, fk_send_thread, &async));
    ASSERT_OK(uv_queue_work(&loop, &work, fk_work_cb, fk_after_work_cb));
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    ASSERT_OK(uv_thread_join(&tid));
    ASSERT_EQ(fk_timer_calls, 2);
    ASSERT_EQ(fk_async_calls, 1);
    ASSERT_EQ(fk_after_work_calls, 2);
    ASSERT_OK(uv_loop_close(&loop));
    _exit(0);
  }
  fk_wait_child(pid);
  /* The parent's loop is untouched by the child. */
  ASSERT_OK(uv_async_send(&async));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fk_async_calls, 1);
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(process_loop_fork_signal_goes_to_child_loop) {
  uv_loop_t loop;
  uv_signal_t sig;
  pid_t pid;
  int sync_pipe[2];
  char c;

  ASSERT_OK(pipe(sync_pipe));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_signal_init(&loop, &sig));
  ASSERT_OK(uv_signal_start(&sig, fk_signal_cb, SIGUSR1));
  pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ASSERT_OK(uv_loop_fork(&loop));
    ASSERT_EQ(write(sync_pipe[1], "x", 1), 1);
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));  /* until the signal closes it */
    ASSERT_EQ(fk_signal_calls, 1);
    ASSERT_OK(uv_loop_close(&loop));
    _exit(0);
  }
  ASSERT_EQ(read(sync_pipe[0], &c, 1), 1);
  ASSERT_OK(uv_kill(pid, SIGUSR1));
  fk_wait_child(pid);
  /* Nothing arrived here. */
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(fk_signal_calls, 0);
  uv_close((uv_handle_t*) &sig, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(process_loop_fork_spawn_in_child) {
  uv_loop_t loop;
  struct proc p;
  pid_t pid;

  ASSERT_OK(uv_loop_init(&loop));
  proc_setup(&p, "/bin/true", NULL);
  ASSERT_OK(uv_spawn(&loop, &p.p, &p.o));  /* the child watcher runs before the fork */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(p.exited, 1);
  pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ASSERT_OK(uv_loop_fork(&loop));
    proc_setup(&p, "/bin/sh", "-c", "exit 5", NULL);
    ASSERT_OK(uv_spawn(&loop, &p.p, &p.o));
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    ASSERT_EQ(p.exited, 1);
    ASSERT_EQ(p.exit_status, 5);
    ASSERT_OK(uv_loop_close(&loop));
    _exit(0);
  }
  fk_wait_child(pid);
  proc_loop_done(&loop);
}
