/* uv_fs_poll_t: uv_fs_poll_init/_start/_stop/_getpath and uv_close.
 *
 * The poller stat()s its path every interval on the threadpool and calls back
 * when the result changes: a compared stat field differs, the stat starts
 * failing (or fails differently), or it succeeds again after failing.
 *
 * Every test works in its own directory, /tmp/rsuv-fspoll-<pid> (each test
 * runs in its own forked process), removed at the end of a passing test.  A
 * guard timer (unreferenced) fails a test whose expected callback never
 * comes. */
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

static char fspoll_dir[64];
static char fspoll_file[128];

static void fspoll_setup(void) {
  snprintf(fspoll_dir, sizeof(fspoll_dir), "/tmp/rsuv-fspoll-%ld", (long) getpid());
  ASSERT_OK(mkdir(fspoll_dir, 0700));
  snprintf(fspoll_file, sizeof(fspoll_file), "%s/polled", fspoll_dir);
}

static int fspoll_rm_entry(const char* path, const struct stat* st, int flag,
                           struct FTW* ftw) {
  (void) st;
  (void) flag;
  (void) ftw;
  return remove(path);
}

static void fspoll_teardown(void) {
  ASSERT_OK(nftw(fspoll_dir, fspoll_rm_entry, 16, FTW_DEPTH | FTW_PHYS));
}

static void fspoll_append(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
  ASSERT(fd >= 0);
  ASSERT_EQ(write(fd, text, strlen(text)), (long long) strlen(text));
  ASSERT_OK(close(fd));
}

static int fspoll_is_zero(const uv_stat_t* s) {
  static uv_stat_t zero; /* all zeros */
  return memcmp(s, &zero, sizeof(zero)) == 0;
}

/* What the callbacks saw. */
struct fspoll_log {
  int calls;
  int status[8];
  uv_stat_t prev[8];
  uv_stat_t curr[8];
  int close_calls;
  int action;
};

enum {
  FSPOLL_ACT_NONE,
  FSPOLL_ACT_CLOSE_FIRST,   /* close the handle on the first call */
  FSPOLL_ACT_STOP_FIRST,    /* stop the handle on the first call */
  FSPOLL_ACT_RECOVERY       /* ENOENT: create; success: unlink; ENOENT: close */
};

static void fspoll_close_cb(uv_handle_t* h) {
  struct fspoll_log* log = (struct fspoll_log*) h->data;
  if (log != NULL)
    log->close_calls++;
}

static void fspoll_record_cb(uv_fs_poll_t* h, int status, const uv_stat_t* prev,
                             const uv_stat_t* curr) {
  struct fspoll_log* log = (struct fspoll_log*) h->data;
  int i = log->calls++;
  ASSERT_NOT_NULL(prev);
  ASSERT_NOT_NULL(curr);
  ASSERT_EQ(uv_is_active((uv_handle_t*) h), 1);
  if (i < 8) {
    log->status[i] = status;
    log->prev[i] = *prev;
    log->curr[i] = *curr;
  }
  switch (log->action) {
    case FSPOLL_ACT_CLOSE_FIRST:
      uv_close((uv_handle_t*) h, fspoll_close_cb);
      break;
    case FSPOLL_ACT_STOP_FIRST:
      ASSERT_OK(uv_fs_poll_stop(h));
      ASSERT_EQ(uv_is_active((uv_handle_t*) h), 0);
      break;
    case FSPOLL_ACT_RECOVERY:
      if (i == 0)
        fspoll_append(fspoll_file, "xy");
      else if (i == 1)
        ASSERT_OK(unlink(fspoll_file));
      else
        uv_close((uv_handle_t*) h, fspoll_close_cb);
      break;
    default:
      break;
  }
}

static void fspoll_fail_cb(uv_fs_poll_t* h, int status, const uv_stat_t* prev,
                           const uv_stat_t* curr) {
  (void) h;
  (void) prev;
  (void) curr;
  TEST_FAIL("unexpected fs poll callback (status %d)", status);
}

static void fspoll_guard_cb(uv_timer_t* t) {
  (void) t;
  TEST_FAIL("the expected fs poll callback did not arrive in time");
}

static void fspoll_guard(uv_loop_t* loop, uv_timer_t* guard) {
  ASSERT_OK(uv_timer_init(loop, guard));
  ASSERT_OK(uv_timer_start(guard, fspoll_guard_cb, 5000, 0));
  uv_unref((uv_handle_t*) guard);
}

static void fspoll_finish(uv_loop_t* loop, uv_timer_t* guard) {
  uv_close((uv_handle_t*) guard, NULL);
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(loop));
}

static void fspoll_append_timer_cb(uv_timer_t* t) {
  fspoll_append(fspoll_file, "bcd");
  if (uv_timer_get_repeat(t) == 0)
    uv_close((uv_handle_t*) t, NULL);
}

/* Closes the poll handle in t->data and the timer. */
static void fspoll_end_timer_cb(uv_timer_t* t) {
  uv_handle_t* h = (uv_handle_t*) t->data;
  uv_close(h, fspoll_close_cb);
  uv_close((uv_handle_t*) t, NULL);
}

/* ---- tests ---------------------------------------------------------------------- */

/* The first stat is only recorded; a size change is reported within a few
 * intervals, with the old and new stats. */
static void fspoll_size_change(unsigned interval) {
  uv_loop_t loop;
  uv_fs_poll_t h;
  uv_timer_t guard, change;
  struct fspoll_log log;

  fspoll_setup();
  fspoll_append(fspoll_file, "a");

  memset(&log, 0, sizeof(log));
  log.action = FSPOLL_ACT_CLOSE_FIRST;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_poll_init(&loop, &h));
  h.data = &log;
  ASSERT_OK(uv_fs_poll_start(&h, fspoll_record_cb, fspoll_file, interval));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 1);
  ASSERT_OK(uv_timer_init(&loop, &change));
  ASSERT_OK(uv_timer_start(&change, fspoll_append_timer_cb, 100, 0));
  fspoll_guard(&loop, &guard);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  ASSERT_EQ(log.calls, 1);
  ASSERT_EQ(log.close_calls, 1);
  ASSERT_OK(log.status[0]);
  ASSERT_EQ(log.prev[0].st_size, 1);
  ASSERT_EQ(log.curr[0].st_size, 4);
  ASSERT_EQ(log.prev[0].st_ino, log.curr[0].st_ino);
  fspoll_finish(&loop, &guard);
  fspoll_teardown();
}

TEST(fs_poll_size_change) {
  fspoll_size_change(10);
}

/* Interval 0 polls as fast as libuv allows (1 ms). */
TEST(fs_poll_interval_zero) {
  fspoll_size_change(0);
}

/* A missing file is reported (UV_ENOENT, both stats zero); its creation is
 * reported with status 0 (prev zero); its removal with UV_ENOENT and the last
 * good stat as prev. */
TEST(fs_poll_enoent_and_recovery) {
  uv_loop_t loop;
  uv_fs_poll_t h;
  uv_timer_t guard;
  struct fspoll_log log;

  fspoll_setup();
  memset(&log, 0, sizeof(log));
  log.action = FSPOLL_ACT_RECOVERY;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_poll_init(&loop, &h));
  h.data = &log;
  ASSERT_OK(uv_fs_poll_start(&h, fspoll_record_cb, fspoll_file, 10));
  fspoll_guard(&loop, &guard);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  ASSERT_EQ(log.calls, 3);
  ASSERT_EQ(log.close_calls, 1);
  ASSERT_EQ(log.status[0], UV_ENOENT);
  ASSERT(fspoll_is_zero(&log.prev[0]));
  ASSERT(fspoll_is_zero(&log.curr[0]));
  ASSERT_OK(log.status[1]);
  ASSERT(fspoll_is_zero(&log.prev[1]));
  ASSERT_EQ(log.curr[1].st_size, 2);
  ASSERT_EQ(log.status[2], UV_ENOENT);
  ASSERT_EQ(log.prev[2].st_size, 2);
  ASSERT(fspoll_is_zero(&log.curr[2]));
  fspoll_finish(&loop, &guard);
  fspoll_teardown();
}

/* A stat that keeps failing with the same error is reported once. */
TEST(fs_poll_error_reported_once) {
  uv_loop_t loop;
  uv_fs_poll_t h;
  uv_timer_t end;
  struct fspoll_log log;

  fspoll_setup();
  memset(&log, 0, sizeof(log));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_poll_init(&loop, &h));
  h.data = &log;
  ASSERT_OK(uv_fs_poll_start(&h, fspoll_record_cb, fspoll_file, 5));
  ASSERT_OK(uv_timer_init(&loop, &end));
  end.data = &h;
  ASSERT_OK(uv_timer_start(&end, fspoll_end_timer_cb, 200, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  ASSERT_EQ(log.calls, 1);
  ASSERT_EQ(log.status[0], UV_ENOENT);
  ASSERT_EQ(log.close_calls, 1);
  ASSERT_OK(uv_loop_close(&loop));
  fspoll_teardown();
}

/* A callback that stops the handle gets no further calls, however often the
 * file changes afterwards. */
TEST(fs_poll_stop_in_callback) {
  uv_loop_t loop;
  uv_fs_poll_t h;
  uv_timer_t change, end;
  struct fspoll_log log;

  fspoll_setup();
  fspoll_append(fspoll_file, "a");
  memset(&log, 0, sizeof(log));
  log.action = FSPOLL_ACT_STOP_FIRST;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_poll_init(&loop, &h));
  h.data = &log;
  ASSERT_OK(uv_fs_poll_start(&h, fspoll_record_cb, fspoll_file, 5));
  ASSERT_OK(uv_timer_init(&loop, &change));
  ASSERT_OK(uv_timer_start(&change, fspoll_append_timer_cb, 50, 20));
  ASSERT_OK(uv_timer_init(&loop, &end));
  end.data = &h;
  ASSERT_OK(uv_timer_start(&end, fspoll_end_timer_cb, 400, 0));
  while (uv_is_active((uv_handle_t*) &end))
    uv_run(&loop, UV_RUN_ONCE);
  uv_close((uv_handle_t*) &change, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  ASSERT_EQ(log.calls, 1);
  ASSERT_OK(log.status[0]);
  ASSERT_EQ(log.close_calls, 1);
  ASSERT_OK(uv_loop_close(&loop));
  fspoll_teardown();
}

static int fspoll_heap_close_calls;

static void fspoll_free_close_cb(uv_handle_t* h) {
  fspoll_heap_close_calls++;
  memset(h, 0xAA, sizeof(uv_fs_poll_t));
  free(h);
}

/* Closing right after start, while the first stat is still on the threadpool,
 * is safe even if the program frees the handle in its close callback; no poll
 * callback runs and the loop can be closed once it has run out of work. */
TEST(fs_poll_close_while_stat_pending) {
  uv_loop_t loop;
  uv_fs_poll_t* h;
  int i;

  fspoll_setup();
  fspoll_append(fspoll_file, "a");
  ASSERT_OK(uv_loop_init(&loop));
  for (i = 0; i < 2; i++) {
    /* Once on an existing file, once on a missing one. */
    const char* path = i == 0 ? fspoll_file : "/nonexistent/rsuv/fs_poll";
    h = (uv_fs_poll_t*) malloc(sizeof(*h));
    ASSERT_NOT_NULL(h);
    ASSERT_OK(uv_fs_poll_init(&loop, h));
    ASSERT_OK(uv_fs_poll_start(h, fspoll_fail_cb, path, 100));
    uv_close((uv_handle_t*) h, fspoll_free_close_cb);
  }
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fspoll_heap_close_calls, 2);
  ASSERT_OK(uv_loop_close(&loop));
  fspoll_teardown();
}

/* Start/stop cycles with stats in flight, then close: nothing leaks into
 * callbacks and the loop ends. */
TEST(fs_poll_start_stop_cycles) {
  uv_loop_t loop;
  uv_fs_poll_t h;
  struct fspoll_log log;
  int i;

  fspoll_setup();
  memset(&log, 0, sizeof(log));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_poll_init(&loop, &h));
  h.data = &log;
  for (i = 0; i < 10; i++) {
    ASSERT_OK(uv_fs_poll_start(&h, fspoll_fail_cb, fspoll_file, 100));
    ASSERT_OK(uv_fs_poll_stop(&h));
    ASSERT_OK(uv_fs_poll_stop(&h));
  }
  /* The stopped handle does not keep the loop alive; the stats still in flight
   * do, until they land (silently).  (libuv 1.52.1 would report a stat of an
   * earlier start if the handle were started again before it landed.) */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(log.calls);
  /* Stopping while waiting on the timer (after a stat landed) too. */
  ASSERT_OK(uv_fs_poll_start(&h, fspoll_record_cb, fspoll_file, 1000));
  while (log.calls == 0)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_EQ(log.status[0], UV_ENOENT);
  ASSERT_OK(uv_fs_poll_stop(&h));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  uv_close((uv_handle_t*) &h, fspoll_close_cb);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(log.close_calls, 1);
  ASSERT_EQ(log.calls, 1);
  ASSERT_OK(uv_loop_close(&loop));
  fspoll_teardown();
}

/* uv_fs_poll_getpath: UV_EINVAL when not started, UV_ENOBUFS with the size
 * needed (NUL included), else the path and its length (NUL excluded).
 * Starting a started handle does nothing (the first path stays). */
TEST(fs_poll_getpath) {
  uv_loop_t loop;
  uv_fs_poll_t h;
  char buf[256];
  size_t len;

  fspoll_setup();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_poll_init(&loop, &h));
  len = sizeof(buf);
  ASSERT_EQ(uv_fs_poll_getpath(&h, buf, &len), UV_EINVAL);
  ASSERT_EQ(len, 0);

  ASSERT_OK(uv_fs_poll_start(&h, fspoll_fail_cb, fspoll_file, 100));
  ASSERT_OK(uv_fs_poll_start(&h, fspoll_fail_cb, "/elsewhere", 100));
  len = 0;
  ASSERT_EQ(uv_fs_poll_getpath(&h, buf, &len), UV_EINVAL);
  len = sizeof(buf);
  ASSERT_EQ(uv_fs_poll_getpath(&h, NULL, &len), UV_EINVAL);
  ASSERT_EQ(uv_fs_poll_getpath(&h, buf, NULL), UV_EINVAL);
  len = 1;
  ASSERT_EQ(uv_fs_poll_getpath(&h, buf, &len), UV_ENOBUFS);
  ASSERT_EQ(len, strlen(fspoll_file) + 1);
  len = strlen(fspoll_file);
  ASSERT_EQ(uv_fs_poll_getpath(&h, buf, &len), UV_ENOBUFS);
  ASSERT_EQ(len, strlen(fspoll_file) + 1);
  ASSERT_OK(uv_fs_poll_getpath(&h, buf, &len));
  ASSERT_EQ(len, strlen(fspoll_file));
  ASSERT_STR_EQ(buf, fspoll_file);

  ASSERT_OK(uv_fs_poll_stop(&h));
  len = sizeof(buf);
  ASSERT_EQ(uv_fs_poll_getpath(&h, buf, &len), UV_EINVAL);
  ASSERT_EQ(len, 0);

  uv_close((uv_handle_t*) &h, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
  fspoll_teardown();
}

/* A started poll handle keeps the loop alive; unreferenced, it does not, and
 * the loop cannot be closed while it is open. */
TEST(fs_poll_ref) {
  uv_loop_t loop;
  uv_fs_poll_t h;

  fspoll_setup();
  fspoll_append(fspoll_file, "a");
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_poll_init(&loop, &h));
  ASSERT_EQ(uv_handle_get_type((uv_handle_t*) &h), UV_FS_POLL);
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  ASSERT_OK(uv_fs_poll_start(&h, fspoll_fail_cb, fspoll_file, 100));
  ASSERT_EQ(uv_loop_alive(&loop), 1);
  uv_unref((uv_handle_t*) &h);
  /* The first stat is still a request in flight: the loop runs until it lands. */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(uv_loop_close(&loop), UV_EBUSY);
  uv_close((uv_handle_t*) &h, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
  fspoll_teardown();
}
