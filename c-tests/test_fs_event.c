/* uv_fs_event_t: uv_fs_event_init/_start/_stop/_getpath and uv_close, on a file
 * and on a directory (inotify on Linux).
 *
 * Every test works in its own directory, /tmp/rsuv-fsev-<pid> (each test runs
 * in its own forked process), removed at the end of a passing test.  Changes
 * are made after uv_fs_event_start and before uv_run: inotify queues them, so
 * the first poll of the loop delivers them.  A guard timer fails a test that
 * waits for an event that never comes; tests that expect silence run the loop
 * for a fixed time instead. */
#include "test.h"

#include <uv.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------------ */

static char fsev_dir[64];

static void fsev_setup(void) {
  snprintf(fsev_dir, sizeof(fsev_dir), "/tmp/rsuv-fsev-%ld", (long) getpid());
  ASSERT_OK(mkdir(fsev_dir, 0700));
}

static int fsev_rm_entry(const char* path, const struct stat* st, int flag,
                         struct FTW* ftw) {
  (void) st;
  (void) flag;
  (void) ftw;
  return remove(path);
}

static void fsev_teardown(void) {
  ASSERT_OK(nftw(fsev_dir, fsev_rm_entry, 16, FTW_DEPTH | FTW_PHYS));
}

/* dst = fsev_dir/name */
static void fsev_path(char* dst, size_t n, const char* name) {
  snprintf(dst, n, "%s/%s", fsev_dir, name);
}

static void fsev_write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
  ASSERT(fd >= 0);
  ASSERT_EQ(write(fd, text, strlen(text)), (long long) strlen(text));
  ASSERT_OK(close(fd));
}

/* What the callbacks of one handle saw. */
struct fsev_log {
  int calls;
  char names[16][64];
  int events[16];
  int status[16];
  int close_calls;
  int close_after;          /* close the handle after this many calls (0: never) */
  int close_on;             /* or on the first call with one of these events */
  uv_fs_event_t* also_close; /* closed too when the handle closes itself */
};

static void fsev_close_cb(uv_handle_t* h) {
  struct fsev_log* log = (struct fsev_log*) h->data;
  if (log != NULL)
    log->close_calls++;
}

static void fsev_record_cb(uv_fs_event_t* h, const char* name, int events,
                           int status) {
  struct fsev_log* log = (struct fsev_log*) h->data;
  ASSERT_NOT_NULL(log);
  if (log->calls < 16) {
    snprintf(log->names[log->calls], sizeof(log->names[0]), "%s",
             name != NULL ? name : "(null)");
    log->events[log->calls] = events;
    log->status[log->calls] = status;
  }
  log->calls++;
  if ((log->close_after != 0 && log->calls == log->close_after) ||
      (events & log->close_on) != 0) {
    uv_close((uv_handle_t*) h, fsev_close_cb);
    if (log->also_close != NULL)
      uv_close((uv_handle_t*) log->also_close, fsev_close_cb);
  }
}

static void fsev_fail_cb(uv_fs_event_t* h, const char* name, int events,
                         int status) {
  (void) h;
  (void) events;
  (void) status;
  TEST_FAIL("unexpected fs event for %s", name != NULL ? name : "(null)");
}

static void fsev_guard_cb(uv_timer_t* t) {
  (void) t;
  TEST_FAIL("the expected fs events did not arrive in time");
}

/* Ends a loop that only waits: closes every handle still open. */
static void fsev_close_walk_cb(uv_handle_t* h, void* arg) {
  (void) arg;
  if (!uv_is_closing(h))
    uv_close(h, h->type == UV_FS_EVENT && h->data != NULL ? fsev_close_cb : NULL);
}

static void fsev_quiet_end_cb(uv_timer_t* t) {
  uv_walk(t->loop, fsev_close_walk_cb, NULL);
}

/* Starts a guard timer that is not referenced: the loop ends when the watched
 * handles are closed. */
static void fsev_guard(uv_loop_t* loop, uv_timer_t* guard) {
  ASSERT_OK(uv_timer_init(loop, guard));
  ASSERT_OK(uv_timer_start(guard, fsev_guard_cb, 5000, 0));
  uv_unref((uv_handle_t*) guard);
}

static void fsev_finish(uv_loop_t* loop, uv_timer_t* guard) {
  uv_close((uv_handle_t*) guard, NULL);
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(loop));
}

/* ---- tests ---------------------------------------------------------------------- */

/* Modifying a watched file: UV_CHANGE, with the file's basename as the name. */
TEST(fs_event_file_change) {
  uv_loop_t loop;
  uv_fs_event_t h;
  uv_timer_t guard;
  struct fsev_log log;
  char file[128];

  fsev_setup();
  fsev_path(file, sizeof(file), "watched.txt");
  fsev_write_file(file, "a");

  memset(&log, 0, sizeof(log));
  log.close_after = 1;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_event_init(&loop, &h));
  h.data = &log;
  ASSERT_OK(uv_fs_event_start(&h, fsev_record_cb, file, 0));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 1);
  fsev_guard(&loop, &guard);

  fsev_write_file(file, "bc");
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  ASSERT_EQ(log.calls, 1);
  ASSERT_EQ(log.close_calls, 1);
  ASSERT_STR_EQ(log.names[0], "watched.txt");
  ASSERT_EQ(log.events[0], UV_CHANGE);
  ASSERT_OK(log.status[0]);
  fsev_finish(&loop, &guard);
  fsev_teardown();
}

/* Deleting a watched file: UV_RENAME, named after the file (the link count
 * change may come first, as UV_CHANGE). */
TEST(fs_event_file_delete) {
  uv_loop_t loop;
  uv_fs_event_t h;
  uv_timer_t guard;
  struct fsev_log log;
  char file[128];

  fsev_setup();
  fsev_path(file, sizeof(file), "doomed");
  fsev_write_file(file, "x");

  memset(&log, 0, sizeof(log));
  log.close_on = UV_RENAME;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_event_init(&loop, &h));
  h.data = &log;
  ASSERT_OK(uv_fs_event_start(&h, fsev_record_cb, file, 0));
  fsev_guard(&loop, &guard);

  ASSERT_OK(unlink(file));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  ASSERT_GE(log.calls, 1);
  ASSERT_LE(log.calls, 2);
  ASSERT_STR_EQ(log.names[0], "doomed");
  ASSERT_STR_EQ(log.names[log.calls - 1], "doomed");
  ASSERT_EQ(log.events[log.calls - 1], UV_RENAME);
  if (log.calls == 2)
    ASSERT_EQ(log.events[0], UV_CHANGE);
  fsev_finish(&loop, &guard);
  fsev_teardown();
}

/* A watched directory reports its children by name: create, rename, delete. */
TEST(fs_event_dir_children) {
  uv_loop_t loop;
  uv_fs_event_t h;
  uv_timer_t guard;
  struct fsev_log log;
  char sub[128], a[160], b[160];
  int fd;

  fsev_setup();
  fsev_path(sub, sizeof(sub), "sub");
  ASSERT_OK(mkdir(sub, 0700));
  snprintf(a, sizeof(a), "%s/child-a", sub);
  snprintf(b, sizeof(b), "%s/child-b", sub);

  memset(&log, 0, sizeof(log));
  log.close_after = 4;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_event_init(&loop, &h));
  h.data = &log;
  ASSERT_OK(uv_fs_event_start(&h, fsev_record_cb, sub, 0));
  fsev_guard(&loop, &guard);

  fd = open(a, O_WRONLY | O_CREAT | O_EXCL, 0600); /* IN_CREATE child-a */
  ASSERT(fd >= 0);
  ASSERT_OK(close(fd));
  ASSERT_OK(rename(a, b));                          /* MOVED_FROM a, MOVED_TO b */
  ASSERT_OK(unlink(b));                             /* IN_DELETE child-b */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  ASSERT_EQ(log.calls, 4);
  ASSERT_STR_EQ(log.names[0], "child-a");
  ASSERT_STR_EQ(log.names[1], "child-a");
  ASSERT_STR_EQ(log.names[2], "child-b");
  ASSERT_STR_EQ(log.names[3], "child-b");
  ASSERT_EQ(log.events[0], UV_RENAME);
  ASSERT_EQ(log.events[1], UV_RENAME);
  ASSERT_EQ(log.events[2], UV_RENAME);
  ASSERT_EQ(log.events[3], UV_RENAME);
  fsev_finish(&loop, &guard);
  fsev_teardown();
}

/* Writing into a file of a watched directory: UV_CHANGE named after the file. */
TEST(fs_event_dir_child_modified) {
  uv_loop_t loop;
  uv_fs_event_t h;
  uv_timer_t guard;
  struct fsev_log log;
  char file[128];

  fsev_setup();
  fsev_path(file, sizeof(file), "data");
  fsev_write_file(file, "1");

  memset(&log, 0, sizeof(log));
  log.close_after = 1;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_event_init(&loop, &h));
  h.data = &log;
  ASSERT_OK(uv_fs_event_start(&h, fsev_record_cb, fsev_dir, 0));
  fsev_guard(&loop, &guard);

  fsev_write_file(file, "2");
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  ASSERT_EQ(log.calls, 1);
  ASSERT_STR_EQ(log.names[0], "data");
  ASSERT_EQ(log.events[0], UV_CHANGE);
  fsev_finish(&loop, &guard);
  fsev_teardown();
}

/* Two handles on one path share the kernel watch; both are told, and stopping
 * one leaves the other working. */
TEST(fs_event_two_handles_same_path) {
  uv_loop_t loop;
  uv_fs_event_t h1, h2;
  uv_timer_t guard;
  struct fsev_log log1, log2;
  char file[128], p1[256], p2[256];
  size_t n1 = sizeof(p1), n2 = sizeof(p2);

  fsev_setup();
  fsev_path(file, sizeof(file), "shared");
  fsev_write_file(file, "a");

  memset(&log1, 0, sizeof(log1));
  memset(&log2, 0, sizeof(log2));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_event_init(&loop, &h1));
  ASSERT_OK(uv_fs_event_init(&loop, &h2));
  h1.data = &log1;
  h2.data = &log2;
  ASSERT_OK(uv_fs_event_start(&h1, fsev_record_cb, file, 0));
  ASSERT_OK(uv_fs_event_start(&h2, fsev_record_cb, file, 0));
  ASSERT_OK(uv_fs_event_getpath(&h1, p1, &n1));
  ASSERT_OK(uv_fs_event_getpath(&h2, p2, &n2));
  ASSERT_STR_EQ(p1, file);
  ASSERT_STR_EQ(p2, file);
  fsev_guard(&loop, &guard);

  /* Round 1: both handles see the change; h2 closes both after its call. */
  log2.close_after = 1;
  fsev_write_file(file, "b");
  uv_run(&loop, UV_RUN_ONCE);
  ASSERT_EQ(log1.calls, 1);
  ASSERT_EQ(log2.calls, 1);
  ASSERT_STR_EQ(log1.names[0], "shared");
  ASSERT_STR_EQ(log2.names[0], "shared");
  ASSERT_EQ(log1.events[0], UV_CHANGE);
  ASSERT_EQ(log2.events[0], UV_CHANGE);
  ASSERT_EQ(log2.close_calls, 1); /* closed in the same loop iteration */

  /* Round 2: h1 alone still gets events. */
  log1.close_after = 2;
  fsev_write_file(file, "c");
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(log1.calls, 2);
  ASSERT_EQ(log1.close_calls, 1);
  ASSERT_EQ(log2.calls, 1);
  fsev_finish(&loop, &guard);
  fsev_teardown();
}

/* A callback that closes another handle of the same watch before that
 * handle's turn: the other handle is not called. */
TEST(fs_event_close_other_in_callback) {
  uv_loop_t loop;
  uv_fs_event_t h1, h2;
  uv_timer_t guard;
  struct fsev_log log1, log2;
  char file[128];

  fsev_setup();
  fsev_path(file, sizeof(file), "f");
  fsev_write_file(file, "a");

  memset(&log1, 0, sizeof(log1));
  memset(&log2, 0, sizeof(log2));
  log1.close_after = 1;
  log1.also_close = &h2;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_event_init(&loop, &h1));
  ASSERT_OK(uv_fs_event_init(&loop, &h2));
  h1.data = &log1;
  h2.data = &log2;
  ASSERT_OK(uv_fs_event_start(&h1, fsev_record_cb, file, 0));
  ASSERT_OK(uv_fs_event_start(&h2, fsev_record_cb, file, 0));
  fsev_guard(&loop, &guard);

  fsev_write_file(file, "b");
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  ASSERT_EQ(log1.calls, 1);
  ASSERT_EQ(log2.calls, 0);
  ASSERT_EQ(log1.close_calls, 1);
  ASSERT_EQ(log2.close_calls, 1);
  fsev_finish(&loop, &guard);
  fsev_teardown();
}

/* After uv_fs_event_stop no callback runs; the handle can be started again. */
TEST(fs_event_stop_then_silence) {
  uv_loop_t loop;
  uv_fs_event_t h;
  uv_timer_t quiet;
  struct fsev_log log;
  char file[128];

  fsev_setup();
  fsev_path(file, sizeof(file), "quiet");
  fsev_write_file(file, "a");

  memset(&log, 0, sizeof(log));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_event_init(&loop, &h));
  h.data = &log;
  ASSERT_OK(uv_fs_event_start(&h, fsev_fail_cb, file, 0));
  fsev_write_file(file, "b"); /* queued in the kernel, then dropped */
  ASSERT_OK(uv_fs_event_stop(&h));
  ASSERT_OK(uv_fs_event_stop(&h)); /* stopping a stopped handle is fine */
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 0);
  fsev_write_file(file, "c");

  ASSERT_OK(uv_timer_init(&loop, &quiet));
  ASSERT_OK(uv_timer_start(&quiet, fsev_quiet_end_cb, 150, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(log.close_calls, 1);

  /* A fresh start on a fresh handle still works on the same loop. */
  memset(&log, 0, sizeof(log));
  log.close_after = 1;
  ASSERT_OK(uv_fs_event_init(&loop, &h));
  h.data = &log;
  ASSERT_OK(uv_fs_event_start(&h, fsev_record_cb, file, 0));
  fsev_write_file(file, "d");
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(log.calls, 1);
  ASSERT_EQ(log.events[0], UV_CHANGE);
  ASSERT_OK(uv_loop_close(&loop));
  fsev_teardown();
}

/* Closing a handle with events pending: no callback, the close callback runs. */
TEST(fs_event_close_with_pending) {
  uv_loop_t loop;
  uv_fs_event_t h;
  struct fsev_log log;
  char file[128];

  fsev_setup();
  fsev_path(file, sizeof(file), "p");
  fsev_write_file(file, "a");

  memset(&log, 0, sizeof(log));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_event_init(&loop, &h));
  h.data = &log;
  ASSERT_OK(uv_fs_event_start(&h, fsev_fail_cb, file, 0));
  fsev_write_file(file, "b");
  uv_close((uv_handle_t*) &h, fsev_close_cb);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(log.close_calls, 1);
  ASSERT_OK(uv_loop_close(&loop));
  fsev_teardown();
}

/* uv_fs_event_getpath: UV_EINVAL when not started, UV_ENOBUFS with the size
 * needed (NUL included), else the path and its length (NUL excluded). */
TEST(fs_event_getpath) {
  uv_loop_t loop;
  uv_fs_event_t h;
  char dir[128], buf[256];
  size_t len;

  fsev_setup();
  snprintf(dir, sizeof(dir), "%s/", fsev_dir);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_event_init(&loop, &h));
  len = sizeof(buf);
  ASSERT_EQ(uv_fs_event_getpath(&h, buf, &len), UV_EINVAL);
  ASSERT_EQ(len, 0);

  ASSERT_OK(uv_fs_event_start(&h, fsev_fail_cb, dir, 0));
  len = 0;
  ASSERT_EQ(uv_fs_event_getpath(&h, buf, &len), UV_EINVAL);
  len = sizeof(buf);
  ASSERT_EQ(uv_fs_event_getpath(&h, NULL, &len), UV_EINVAL);
  ASSERT_EQ(uv_fs_event_getpath(&h, buf, NULL), UV_EINVAL);

  len = 1;
  ASSERT_EQ(uv_fs_event_getpath(&h, buf, &len), UV_ENOBUFS);
  ASSERT_EQ(len, strlen(dir) + 1);
  len = strlen(dir); /* no room for the NUL */
  ASSERT_EQ(uv_fs_event_getpath(&h, buf, &len), UV_ENOBUFS);
  ASSERT_EQ(len, strlen(dir) + 1);
  ASSERT_OK(uv_fs_event_getpath(&h, buf, &len));
  ASSERT_EQ(len, strlen(dir));
  ASSERT_STR_EQ(buf, dir);

  ASSERT_OK(uv_fs_event_stop(&h));
  len = sizeof(buf);
  ASSERT_EQ(uv_fs_event_getpath(&h, buf, &len), UV_EINVAL);
  ASSERT_EQ(len, 0);

  uv_close((uv_handle_t*) &h, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
  fsev_teardown();
}

/* Start errors: a missing path is UV_ENOENT, starting a started handle is
 * UV_EINVAL; a failed start leaves the handle inactive and closable. */
TEST(fs_event_start_errors) {
  uv_loop_t loop;
  uv_fs_event_t h;
  char missing[128];

  fsev_setup();
  fsev_path(missing, sizeof(missing), "does-not-exist");

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_event_init(&loop, &h));
  ASSERT_EQ(uv_fs_event_start(&h, fsev_fail_cb, missing, 0), UV_ENOENT);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 0);
  ASSERT_EQ(uv_fs_event_start(&h, fsev_fail_cb, "", 0), UV_ENOENT);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 0);

  ASSERT_OK(uv_fs_event_start(&h, fsev_fail_cb, fsev_dir, 0));
  ASSERT_EQ(uv_fs_event_start(&h, fsev_fail_cb, fsev_dir, 0), UV_EINVAL);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 1);

  uv_close((uv_handle_t*) &h, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
  fsev_teardown();
}

/* An active fs event handle keeps the loop alive unless unreferenced, and a
 * loop with a started handle cannot be closed. */
TEST(fs_event_ref_and_loop_close) {
  uv_loop_t loop;
  uv_fs_event_t h;

  fsev_setup();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_event_init(&loop, &h));
  ASSERT_EQ(uv_handle_get_type((uv_handle_t*) &h), UV_FS_EVENT);
  ASSERT_OK(uv_fs_event_start(&h, fsev_fail_cb, fsev_dir, 0));
  ASSERT_EQ(uv_loop_alive(&loop), 1);
  uv_unref((uv_handle_t*) &h);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(uv_loop_close(&loop), UV_EBUSY);
  uv_close((uv_handle_t*) &h, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
  fsev_teardown();
}
