/* The event loop and the handle lifecycle, as a libuv user sees them:
 * uv_loop_init/close/new/delete, uv_default_loop, uv_run in its three modes,
 * uv_stop, uv_loop_alive, uv_now/uv_update_time, uv_backend_fd/_timeout,
 * uv_loop_configure, uv_walk, uv_print_all_handles/uv_print_active_handles,
 * the metrics, and uv_close/uv_ref/uv_unref/uv_is_active/uv_is_closing.
 *
 * When compiled as C++ (the cxx build), also: a callback that throws a C++
 * exception through uv_run leaves the loop usable.
 *
 * Also compiled against Debian's libuv 1.44.2 header: anything newer is
 * guarded with UV_VERSION_HEX. */
#include "test.h"

#include <uv.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>

#define LOOP_NS_PER_MS UINT64_C(1000000)

/* ---- helpers ---------------------------------------------------------------- */

/* A comma-separated record of what ran, in order. */
static char loop_log[1024];

static void loop_log_reset(void) { loop_log[0] = '\0'; }

static void loop_log_add(const char* what) {
  size_t len = strlen(loop_log);
  snprintf(loop_log + len, sizeof(loop_log) - len, "%s%s",
           len ? "," : "", what);
}

static int loop_count_fds(void) {
  DIR* d = opendir("/proc/self/fd");
  struct dirent* e;
  int n = 0;
  if (d == NULL)
    return -1;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.')
      n++;
  closedir(d);
  return n - 1;  /* the DIR's own fd */
}

static void loop_close_walk_cb(uv_handle_t* h, void* arg) {
  (void) arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

/* Closes every handle, runs the close callbacks, closes the loop. */
static void loop_teardown(uv_loop_t* loop) {
  uv_walk(loop, loop_close_walk_cb, NULL);
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(loop));
}

/* The first loop of a process may create process-wide fds that stay open;
 * make them exist before counting. */
static void loop_warm_up(void) {
  uv_loop_t loop;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_loop_close(&loop));
}

static uint64_t loop_ms_since(uint64_t start_ns) {
  return (uv_hrtime() - start_ns) / LOOP_NS_PER_MS;
}

/* ---- one iteration's phase order -------------------------------------------- */

static void phase_idle_cb(uv_idle_t* h) { loop_log_add("idle"); uv_idle_stop(h); }
static void phase_prepare_cb(uv_prepare_t* h) {
  loop_log_add("prepare");
  uv_prepare_stop(h);
}
static void phase_check_cb(uv_check_t* h) { loop_log_add("check"); uv_check_stop(h); }
static void phase_timer_cb(uv_timer_t* h) { (void) h; loop_log_add("timer"); }
static void phase_close_cb(uv_handle_t* h) { (void) h; loop_log_add("close"); }
static void phase_async_cb(uv_async_t* h) {
  loop_log_add("async");
  uv_close((uv_handle_t*) h, phase_close_cb);
}

TEST(loop_phase_order_once) {
  uv_loop_t loop;
  uv_idle_t idle;
  uv_prepare_t prepare;
  uv_check_t check;
  uv_timer_t timer;
  uv_async_t async;

  loop_log_reset();
  ASSERT_OK(uv_loop_init(&loop));
  /* Started in the reverse of the expected order, so that the order comes
   * from the phases and not from the order of starting. */
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, phase_timer_cb, 0, 0));
  ASSERT_OK(uv_check_init(&loop, &check));
  ASSERT_OK(uv_check_start(&check, phase_check_cb));
  ASSERT_OK(uv_async_init(&loop, &async, phase_async_cb));
  ASSERT_OK(uv_async_send(&async));
  ASSERT_OK(uv_prepare_init(&loop, &prepare));
  ASSERT_OK(uv_prepare_start(&prepare, phase_prepare_cb));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, phase_idle_cb));

  uv_run(&loop, UV_RUN_ONCE);
  ASSERT_STR_EQ(loop_log, "idle,prepare,async,check,close,timer");

  loop_teardown(&loop);
}

TEST(loop_run_default_runs_due_timers_first) {
  uv_loop_t loop;
  uv_idle_t idle;
  uv_timer_t timer;

  loop_log_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, phase_idle_cb));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, phase_timer_cb, 0, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_STR_EQ(loop_log, "timer,idle");

  /* UV_RUN_ONCE has no such pre-pass: idle first, the timer at the end. */
  loop_log_reset();
  ASSERT_OK(uv_idle_start(&idle, phase_idle_cb));
  ASSERT_OK(uv_timer_start(&timer, phase_timer_cb, 0, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_ONCE));
  ASSERT_STR_EQ(loop_log, "idle,timer");

  loop_teardown(&loop);
}

/* ---- run modes ------------------------------------------------------------------ */

static int mode_timer_calls;
static void mode_timer_cb(uv_timer_t* h) { (void) h; mode_timer_calls++; }
static int close_calls_for_once;
static void once_close_cb(uv_handle_t* h) { (void) h; close_calls_for_once++; }

TEST(loop_run_empty_returns_zero) {
  uv_loop_t loop;
  uint64_t t0;

  ASSERT_OK(uv_loop_init(&loop));
  t0 = uv_hrtime();
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_run(&loop, UV_RUN_ONCE));
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));
  ASSERT_LT(loop_ms_since(t0), 500);
  ASSERT_OK(uv_loop_alive(&loop));
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(loop_run_once_blocks_for_timer) {
  uv_loop_t loop;
  uv_timer_t timer;
  uint64_t t0;
  int r;

  mode_timer_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, 50, 0));
  t0 = uv_hrtime();
  r = uv_run(&loop, UV_RUN_ONCE);
  ASSERT_EQ(mode_timer_calls, 1);
  ASSERT_GE(loop_ms_since(t0), 45);
  ASSERT_EQ(r, 0);  /* nothing left */
  loop_teardown(&loop);
}

TEST(loop_run_nowait_does_not_block) {
  uv_loop_t loop;
  uv_timer_t timer;
  uint64_t t0;
  int i;

  mode_timer_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, 1000, 0));
  t0 = uv_hrtime();
  for (i = 0; i < 10; i++)
    ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_LT(loop_ms_since(t0), 200);
  ASSERT_EQ(mode_timer_calls, 0);
  ASSERT(uv_is_active((uv_handle_t*) &timer));
  loop_teardown(&loop);
  ASSERT_EQ(mode_timer_calls, 0);
}

TEST(loop_run_returns_nonzero_while_handles_remain) {
  uv_loop_t loop;
  uv_timer_t timer;

  mode_timer_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, 20, 20));
  ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);  /* repeating: still alive */
  ASSERT_EQ(mode_timer_calls, 1);
  ASSERT_OK(uv_timer_stop(&timer));
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(mode_timer_calls, 1);
  loop_teardown(&loop);
}

static void once_async_noop_cb(uv_async_t* h) { (void) h; mode_timer_calls += 100; }

TEST(loop_run_once_with_pending_close_does_not_block) {
  uv_loop_t loop;
  uv_async_t async;
  uv_timer_t timer;
  uint64_t t0;

  mode_timer_calls = 0;
  close_calls_for_once = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_async_init(&loop, &async, once_async_noop_cb));  /* referenced */
  ASSERT_OK(uv_timer_init(&loop, &timer));
  uv_close((uv_handle_t*) &timer, once_close_cb);
  t0 = uv_hrtime();
  ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_LT(loop_ms_since(t0), 500);
  ASSERT_EQ(close_calls_for_once, 1);
  ASSERT_EQ(mode_timer_calls, 0);
  loop_teardown(&loop);
}

static uv_async_t once_wake_async;
static void once_wake_thread(void* arg) {
  (void) arg;
  uv_sleep(30);
  uv_async_send(&once_wake_async);
}

TEST(loop_run_once_returns_after_a_wakeup) {
  uv_loop_t loop;
  uv_timer_t timer;
  uv_thread_t tid;
  uint64_t t0;

  mode_timer_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_async_init(&loop, &once_wake_async, once_async_noop_cb));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, 5000, 0));
  t0 = uv_hrtime();
  ASSERT_OK(uv_thread_create(&tid, once_wake_thread, NULL));
  ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(mode_timer_calls, 100);  /* the async callback, not the timer */
  ASSERT_GE(loop_ms_since(t0), 25);
  ASSERT_LT(loop_ms_since(t0), 3000);
  loop_teardown(&loop);
}

/* A 0 ms timer started in an idle callback runs in that same iteration's
 * timer phase, after check. */
static uv_timer_t same_iter_timer;
static void same_iter_timer_cb(uv_timer_t* h) { (void) h; loop_log_add("timer"); }
static void same_iter_idle_cb(uv_idle_t* h) {
  loop_log_add("idle");
  uv_idle_stop(h);
  ASSERT_OK(uv_timer_start(&same_iter_timer, same_iter_timer_cb, 0, 0));
}
static void same_iter_check_cb(uv_check_t* h) { (void) h; loop_log_add("check"); }

TEST(loop_timer_started_in_idle_runs_same_iteration) {
  uv_loop_t loop;
  uv_idle_t idle;
  uv_check_t check;

  loop_log_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &same_iter_timer));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, same_iter_idle_cb));
  ASSERT_OK(uv_check_init(&loop, &check));
  ASSERT_OK(uv_check_start(&check, same_iter_check_cb));
  uv_run(&loop, UV_RUN_NOWAIT);
  ASSERT_STR_EQ(loop_log, "idle,check,timer");
  loop_teardown(&loop);
}

/* ---- uv_stop ------------------------------------------------------------------- */

static int stop_idle_calls;
static int stop_check_calls;
static void stop_idle_cb(uv_idle_t* h) {
  stop_idle_calls++;
  if (stop_idle_calls == 1)
    uv_stop(h->loop);
}
static void stop_check_cb(uv_check_t* h) { (void) h; stop_check_calls++; }

TEST(loop_stop_ends_run_after_current_iteration) {
  uv_loop_t loop;
  uv_idle_t idle;
  uv_check_t check;

  stop_idle_calls = stop_check_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, stop_idle_cb));
  ASSERT_OK(uv_check_init(&loop, &check));
  ASSERT_OK(uv_check_start(&check, stop_check_cb));

  ASSERT_NE(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(stop_idle_calls, 1);
  ASSERT_EQ(stop_check_calls, 1);  /* the rest of the iteration still ran */

  /* The stop applied to that one run only. */
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(stop_idle_calls, 2);
  ASSERT_EQ(stop_check_calls, 2);
  loop_teardown(&loop);
}

TEST(loop_stop_before_run) {
  uv_loop_t loop;
  uv_idle_t idle;
  uv_timer_t timer;

  stop_idle_calls = 0;
  mode_timer_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, stop_idle_cb));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, 0, 0));
  uv_stop(&loop);
  ASSERT_NE(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(stop_idle_calls, 0);
  ASSERT_EQ(mode_timer_calls, 0);
  /* stop_idle_cb stops the loop on its first call again; that's fine. */
  ASSERT_NE(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(stop_idle_calls, 1);
  ASSERT_EQ(mode_timer_calls, 1);
  loop_teardown(&loop);
}

/* uv_stop from a timer in UV_RUN_DEFAULT's first timer pass: no iteration. */
static void stop_timer_cb(uv_timer_t* h) { mode_timer_calls++; uv_stop(h->loop); }

TEST(loop_stop_in_first_timer_pass) {
  uv_loop_t loop;
  uv_idle_t idle;
  uv_timer_t timer;

  stop_idle_calls = 0;
  mode_timer_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, stop_idle_cb));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, stop_timer_cb, 0, 0));
  ASSERT_NE(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(mode_timer_calls, 1);
  ASSERT_EQ(stop_idle_calls, 0);
  loop_teardown(&loop);
}

/* ---- liveness and closing --------------------------------------------------- */

TEST(loop_alive_transitions) {
  uv_loop_t loop;
  uv_timer_t timer;

  mode_timer_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_loop_alive(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_loop_alive(&loop));  /* initialised but inactive */
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, 10000, 0));
  ASSERT_NE(uv_loop_alive(&loop), 0);
  uv_unref((uv_handle_t*) &timer);
  ASSERT_OK(uv_loop_alive(&loop));
  uv_ref((uv_handle_t*) &timer);
  ASSERT_NE(uv_loop_alive(&loop), 0);
  ASSERT_OK(uv_timer_stop(&timer));
  ASSERT_OK(uv_loop_alive(&loop));
  uv_close((uv_handle_t*) &timer, NULL);
  ASSERT_NE(uv_loop_alive(&loop), 0);  /* a pending close keeps it alive */
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));
  ASSERT_OK(uv_loop_alive(&loop));
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(loop_close_busy_until_handles_closed) {
  uv_loop_t loop;
  uv_timer_t timer;
  uv_idle_t idle;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_EQ(uv_loop_close(&loop), UV_EBUSY);  /* inactive, but open */
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, phase_idle_cb));
  uv_unref((uv_handle_t*) &idle);
  ASSERT_EQ(uv_loop_close(&loop), UV_EBUSY);  /* unreferenced, but open */
  uv_close((uv_handle_t*) &timer, NULL);
  uv_close((uv_handle_t*) &idle, NULL);
  ASSERT_EQ(uv_loop_close(&loop), UV_EBUSY);  /* closing, not closed */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
}

TEST_TIMEOUT(loop_many_loops_no_fd_leak, 120) {
  int before;
  int i;

  loop_warm_up();
  before = loop_count_fds();
  ASSERT_GT(before, 0);

  for (i = 0; i < 10000; i++) {
    uv_loop_t loop;
    uv_timer_t timer;
    uv_async_t async;

    ASSERT_OK(uv_loop_init(&loop));
    ASSERT_OK(uv_timer_init(&loop, &timer));
    ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, 0, 0));
    ASSERT_OK(uv_async_init(&loop, &async, NULL));
    ASSERT_OK(uv_async_send(&async));
    uv_unref((uv_handle_t*) &async);
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    uv_close((uv_handle_t*) &timer, NULL);
    uv_close((uv_handle_t*) &async, NULL);
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    ASSERT_OK(uv_loop_close(&loop));
    if (i % 1000 == 0)
      ASSERT_EQ(loop_count_fds(), before);
  }
  ASSERT_EQ(loop_count_fds(), before);
}

TEST(loop_close_frees_its_fds) {
  uv_loop_t loop;
  int before;

  loop_warm_up();
  before = loop_count_fds();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_GT(loop_count_fds(), before);  /* at least the epoll fd */
  ASSERT_OK(uv_loop_close(&loop));
  ASSERT_EQ(loop_count_fds(), before);
}

TEST(loop_new_and_delete) {
  uv_loop_t* loop;
  uv_timer_t timer;
  int before;

  loop_warm_up();
  before = loop_count_fds();
  mode_timer_calls = 0;
  loop = uv_loop_new();
  ASSERT_NOT_NULL(loop);
  ASSERT_OK(uv_timer_init(loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, 1, 0));
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  ASSERT_EQ(mode_timer_calls, 1);
  uv_close((uv_handle_t*) &timer, NULL);
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  uv_loop_delete(loop);
  ASSERT_EQ(loop_count_fds(), before);
}

TEST(loop_default_loop_is_a_singleton) {
  uv_loop_t* a = uv_default_loop();
  uv_loop_t* b = uv_default_loop();
  uv_timer_t timer;

  mode_timer_calls = 0;
  ASSERT_NOT_NULL(a);
  ASSERT_EQ(a, b);
  ASSERT_OK(uv_timer_init(a, &timer));
  ASSERT_EQ(timer.loop, a);
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, 1, 0));
  ASSERT_OK(uv_run(uv_default_loop(), UV_RUN_DEFAULT));
  ASSERT_EQ(mode_timer_calls, 1);
  uv_close((uv_handle_t*) &timer, NULL);
  ASSERT_OK(uv_run(a, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(a));
  /* After closing, uv_default_loop() makes a fresh, usable default loop. */
  b = uv_default_loop();
  ASSERT_NOT_NULL(b);
  ASSERT_OK(uv_timer_init(b, &timer));
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, 1, 0));
  ASSERT_OK(uv_run(b, UV_RUN_DEFAULT));
  ASSERT_EQ(mode_timer_calls, 2);
  uv_close((uv_handle_t*) &timer, NULL);
  ASSERT_OK(uv_run(b, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(b));
}

TEST(loop_init_preserves_data) {
  uv_loop_t loop;
  int marker;

  memset(&loop, 0xab, sizeof(loop));
  loop.data = &marker;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_EQ(loop.data, &marker);
  ASSERT_EQ(uv_loop_get_data(&loop), &marker);
  ASSERT_OK(uv_loop_close(&loop));
  ASSERT_EQ(loop.data, &marker);
}

/* ---- backend fd / timeout ------------------------------------------------------ */

TEST(loop_backend_fd_is_epoll) {
  uv_loop_t loop;
  char path[64];
  char target[256];
  ssize_t n;
  int fd;

  ASSERT_OK(uv_loop_init(&loop));
  fd = uv_backend_fd(&loop);
  ASSERT_GE(fd, 0);
  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  n = readlink(path, target, sizeof(target) - 1);
  ASSERT_GT(n, 0);
  target[n] = '\0';
  ASSERT_STR_EQ(target, "anon_inode:[eventpoll]");
  ASSERT_NE(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  ASSERT_OK(uv_loop_close(&loop));
}

static void backend_async_cb(uv_async_t* h) { (void) h; }

TEST(loop_backend_timeout_values) {
  uv_loop_t loop;
  uv_async_t async;
  uv_idle_t idle;
  uv_timer_t timer;
  int t;

  ASSERT_OK(uv_loop_init(&loop));
  uv_run(&loop, UV_RUN_NOWAIT);
  /* Nothing keeps the loop alive: uv_run would not block. */
  ASSERT_EQ(uv_backend_timeout(&loop), 0);

  /* A referenced handle with no deadline: block indefinitely. */
  ASSERT_OK(uv_async_init(&loop, &async, backend_async_cb));
  uv_run(&loop, UV_RUN_NOWAIT);
  ASSERT_EQ(uv_backend_timeout(&loop), -1);

  /* The nearest timer bounds it. */
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, 5000, 0));
  uv_run(&loop, UV_RUN_NOWAIT);
  t = uv_backend_timeout(&loop);
  ASSERT_LE(t, 5000);
  ASSERT_GE(t, 4000);

  /* An active idle handle means: don't block at all. */
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, phase_idle_cb));
  ASSERT_EQ(uv_backend_timeout(&loop), 0);
  ASSERT_OK(uv_idle_stop(&idle));
  t = uv_backend_timeout(&loop);
  ASSERT_GE(t, 4000);

  /* A huge timer clamps to INT_MAX instead of overflowing. */
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, UINT64_MAX, 0));
  ASSERT_EQ(uv_backend_timeout(&loop), INT_MAX);
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, (uint64_t) INT_MAX * 4, 0));
  ASSERT_EQ(uv_backend_timeout(&loop), INT_MAX);

  /* A pending close callback: don't block either. */
  {
    uv_check_t check;
    ASSERT_OK(uv_check_init(&loop, &check));
    uv_close((uv_handle_t*) &check, NULL);
    ASSERT_EQ(uv_backend_timeout(&loop), 0);
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_EQ(uv_backend_timeout(&loop), INT_MAX);
  }

  /* uv_stop: the next uv_run would return at once. */
  uv_stop(&loop);
  ASSERT_EQ(uv_backend_timeout(&loop), 0);
  uv_run(&loop, UV_RUN_NOWAIT);  /* clears the stop flag */

  loop_teardown(&loop);
}

/* Embedding: another thread wakes the loop; the backend fd becomes readable. */
static uv_async_t embed_async;
static int embed_calls;
static void embed_async_cb(uv_async_t* h) { (void) h; embed_calls++; }
static void embed_thread(void* arg) {
  (void) arg;
  uv_sleep(50);
  uv_async_send(&embed_async);
}

TEST(loop_backend_fd_embedding) {
  uv_loop_t loop;
  uv_thread_t tid;
  struct pollfd pfd;
  int r;

  embed_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_async_init(&loop, &embed_async, embed_async_cb));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(embed_calls, 0);
  ASSERT_OK(uv_thread_create(&tid, embed_thread, NULL));

  pfd.fd = uv_backend_fd(&loop);
  pfd.events = POLLIN;
  pfd.revents = 0;
  do
    r = poll(&pfd, 1, 5000);
  while (r == -1 && errno == EINTR);
  ASSERT_EQ(r, 1);
  ASSERT_NE(pfd.revents & POLLIN, 0);
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(embed_calls, 1);
  ASSERT_OK(uv_thread_join(&tid));
  loop_teardown(&loop);
}

/* ---- time ------------------------------------------------------------------------- */

TEST(loop_now_is_cached_until_update_time) {
  uv_loop_t loop;
  uint64_t before, after;

  ASSERT_OK(uv_loop_init(&loop));
  before = uv_now(&loop);
  uv_sleep(60);
  ASSERT_U64_EQ(uv_now(&loop), before);
  uv_update_time(&loop);
  after = uv_now(&loop);
  ASSERT_U64_GE(after, before + 55);
  ASSERT_U64_LT(after, before + 5000);
  /* Milliseconds of the same clock as uv_hrtime. */
  ASSERT_U64_LE(after, uv_hrtime() / LOOP_NS_PER_MS);
  ASSERT_U64_GE(after + 2, uv_hrtime() / LOOP_NS_PER_MS);
  ASSERT_OK(uv_loop_close(&loop));
}

static uint64_t now_seen_in_cb;
static void now_timer_cb(uv_timer_t* h) { now_seen_in_cb = uv_now(h->loop); }

TEST(loop_run_updates_now) {
  uv_loop_t loop;
  uv_timer_t timer;
  uint64_t start;

  ASSERT_OK(uv_loop_init(&loop));
  uv_update_time(&loop);
  start = uv_now(&loop);
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, now_timer_cb, 30, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_U64_GE(now_seen_in_cb, start + 30);
  ASSERT_U64_GE(uv_now(&loop), now_seen_in_cb);
  loop_teardown(&loop);
}

/* ---- uv_walk --------------------------------------------------------------------- */

struct walk_seen {
  uv_handle_t* handles[16];
  void* args[16];
  int n;
};

static void walk_record_cb(uv_handle_t* h, void* arg) {
  struct walk_seen* s = (struct walk_seen*) arg;
  if (s->n < 16) {
    s->handles[s->n] = h;
    s->args[s->n] = arg;
  }
  s->n++;
}

TEST(loop_walk_visits_program_handles) {
  uv_loop_t loop;
  uv_timer_t timer;
  uv_idle_t idle;
  uv_check_t check;
  uv_async_t async;
  struct walk_seen seen;

  ASSERT_OK(uv_loop_init(&loop));
  memset(&seen, 0, sizeof(seen));
  uv_walk(&loop, walk_record_cb, &seen);
  ASSERT_EQ(seen.n, 0);  /* the loop's own internal handles are not shown */

  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, phase_idle_cb));
  ASSERT_OK(uv_check_init(&loop, &check));
  ASSERT_OK(uv_async_init(&loop, &async, NULL));
  uv_unref((uv_handle_t*) &async);

  memset(&seen, 0, sizeof(seen));
  uv_walk(&loop, walk_record_cb, &seen);
  ASSERT_EQ(seen.n, 4);
  /* In the order the handles were initialised. */
  ASSERT_EQ(seen.handles[0], (uv_handle_t*) &timer);
  ASSERT_EQ(seen.handles[1], (uv_handle_t*) &idle);
  ASSERT_EQ(seen.handles[2], (uv_handle_t*) &check);
  ASSERT_EQ(seen.handles[3], (uv_handle_t*) &async);
  ASSERT_EQ(seen.args[0], &seen);
  ASSERT_EQ(seen.args[3], &seen);

  /* A closing handle is still walked until its close callback has run. */
  uv_close((uv_handle_t*) &idle, NULL);
  memset(&seen, 0, sizeof(seen));
  uv_walk(&loop, walk_record_cb, &seen);
  ASSERT_EQ(seen.n, 4);
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));
  memset(&seen, 0, sizeof(seen));
  uv_walk(&loop, walk_record_cb, &seen);
  ASSERT_EQ(seen.n, 3);
  ASSERT_EQ(seen.handles[0], (uv_handle_t*) &timer);
  ASSERT_EQ(seen.handles[1], (uv_handle_t*) &check);
  ASSERT_EQ(seen.handles[2], (uv_handle_t*) &async);

  /* Closing every handle from the walk callback: the usual shutdown. */
  uv_walk(&loop, loop_close_walk_cb, NULL);
  memset(&seen, 0, sizeof(seen));
  uv_walk(&loop, walk_record_cb, &seen);
  ASSERT_EQ(seen.n, 3);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  memset(&seen, 0, sizeof(seen));
  uv_walk(&loop, walk_record_cb, &seen);
  ASSERT_EQ(seen.n, 0);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- uv_print_all_handles / uv_print_active_handles ---------------------------- */

/* Reads what was printed to f; drops the loop's internal handles ([..I]) after
 * checking that they are marked internal and well-formed. */
static void print_read_back(FILE* f, char* out, size_t outlen) {
  char line[256];
  size_t len = 0;
  out[0] = '\0';
  rewind(f);
  while (fgets(line, sizeof(line), f) != NULL) {
    ASSERT_EQ(line[0], '[');
    ASSERT_EQ(line[4], ']');
    ASSERT(line[1] == 'R' || line[1] == '-');
    ASSERT(line[2] == 'A' || line[2] == '-');
    ASSERT(line[3] == 'I' || line[3] == '-');
    if (line[3] == 'I')
      continue;
    len += (size_t) snprintf(out + len, outlen - len, "%s", line);
    ASSERT_LT(len, outlen);
  }
}

TEST(loop_print_handles_format) {
  uv_loop_t loop;
  uv_timer_t timer;
  uv_idle_t idle;
  uv_check_t check;
  uv_async_t async;
  FILE* f;
  char got[2048];
  char want[2048];

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, 1000, 0));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, phase_idle_cb));
  uv_unref((uv_handle_t*) &idle);
  ASSERT_OK(uv_check_init(&loop, &check));
  ASSERT_OK(uv_async_init(&loop, &async, NULL));

  f = tmpfile();
  ASSERT_NOT_NULL(f);
  uv_print_all_handles(&loop, f);
  fflush(f);
  print_read_back(f, got, sizeof(got));
  snprintf(want, sizeof(want),
           "[RA-] timer    %p\n"
           "[-A-] idle     %p\n"
           "[R--] check    %p\n"
           "[RA-] async    %p\n",
           (void*) &timer, (void*) &idle, (void*) &check, (void*) &async);
  ASSERT_STR_EQ(got, want);
  fclose(f);

  f = tmpfile();
  ASSERT_NOT_NULL(f);
  uv_print_active_handles(&loop, f);
  fflush(f);
  print_read_back(f, got, sizeof(got));
  snprintf(want, sizeof(want),
           "[RA-] timer    %p\n"
           "[-A-] idle     %p\n"
           "[RA-] async    %p\n",
           (void*) &timer, (void*) &idle, (void*) &async);
  ASSERT_STR_EQ(got, want);
  fclose(f);

  /* A closing handle is listed until closed, inactive. */
  uv_close((uv_handle_t*) &timer, NULL);
  f = tmpfile();
  ASSERT_NOT_NULL(f);
  uv_print_active_handles(&loop, f);
  uv_print_all_handles(&loop, f);
  fflush(f);
  print_read_back(f, got, sizeof(got));
  snprintf(want, sizeof(want),
           "[-A-] idle     %p\n"
           "[RA-] async    %p\n"
           "[R--] timer    %p\n"
           "[-A-] idle     %p\n"
           "[R--] check    %p\n"
           "[RA-] async    %p\n",
           (void*) &idle, (void*) &async,
           (void*) &timer, (void*) &idle, (void*) &check, (void*) &async);
  ASSERT_STR_EQ(got, want);
  fclose(f);

  loop_teardown(&loop);
}

TEST(loop_print_handles_defaults) {
  uv_loop_t* loop;
  uv_timer_t timer;
  FILE* f;
  int saved;
  char got[2048];
  char want[256];

  /* loop == NULL means the default loop. */
  loop = uv_default_loop();
  ASSERT_NOT_NULL(loop);
  ASSERT_OK(uv_timer_init(loop, &timer));
  f = tmpfile();
  ASSERT_NOT_NULL(f);
  uv_print_all_handles(NULL, f);
  fflush(f);
  print_read_back(f, got, sizeof(got));
  snprintf(want, sizeof(want), "[R--] timer    %p\n", (void*) &timer);
  ASSERT_STR_EQ(got, want);
  fclose(f);

  /* stream == NULL means stderr. */
  f = tmpfile();
  ASSERT_NOT_NULL(f);
  fflush(stderr);
  saved = dup(2);
  ASSERT_GE(saved, 0);
  ASSERT_GE(dup2(fileno(f), 2), 0);
  uv_print_all_handles(loop, NULL);
  fflush(stderr);
  ASSERT_GE(dup2(saved, 2), 0);
  close(saved);
  print_read_back(f, got, sizeof(got));
  ASSERT_STR_EQ(got, want);
  fclose(f);

  loop_teardown(loop);
}

/* ---- uv_loop_configure and metrics ----------------------------------------------- */

TEST(loop_configure_options) {
  uv_loop_t loop;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_EQ(uv_loop_configure(&loop, UV_LOOP_BLOCK_SIGNAL, SIGPROF), 0);
  ASSERT_EQ(uv_loop_configure(&loop, UV_LOOP_BLOCK_SIGNAL, SIGINT), UV_EINVAL);
  ASSERT_EQ(uv_loop_configure(&loop, UV_LOOP_BLOCK_SIGNAL, 0), UV_EINVAL);
  ASSERT_EQ(uv_loop_configure(&loop, UV_METRICS_IDLE_TIME), 0);
  ASSERT_EQ(uv_loop_configure(&loop, (uv_loop_option) 1000), UV_ENOSYS);
  ASSERT_OK(uv_loop_close(&loop));
}

/* With UV_LOOP_BLOCK_SIGNAL, a SIGPROF arriving while the loop waits is held
 * until the wait ends; without it, it's handled at once. */
static volatile sig_atomic_t prof_handled;
static uint64_t prof_handled_ns;
static pthread_t prof_target;
static void prof_handler(int signum) {
  (void) signum;
  if (!prof_handled)
    prof_handled_ns = uv_hrtime();
  prof_handled = 1;
}
static void prof_thread(void* arg) {
  (void) arg;
  uv_sleep(50);
  pthread_kill(prof_target, SIGPROF);
}

static uint64_t prof_delay_ms(int block) {
  uv_loop_t loop;
  uv_timer_t timer;
  uv_thread_t tid;
  struct sigaction sa;
  uint64_t t0;

  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = prof_handler;
  sigemptyset(&sa.sa_mask);
  ASSERT_OK(sigaction(SIGPROF, &sa, NULL));
  prof_handled = 0;
  prof_target = pthread_self();
  ASSERT_OK(uv_loop_init(&loop));
  if (block)
    ASSERT_OK(uv_loop_configure(&loop, UV_LOOP_BLOCK_SIGNAL, SIGPROF));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, 300, 0));
  t0 = uv_hrtime();
  ASSERT_OK(uv_thread_create(&tid, prof_thread, NULL));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(prof_handled, 1);
  loop_teardown(&loop);
  return (prof_handled_ns - t0) / LOOP_NS_PER_MS;
}

TEST(loop_configure_block_sigprof_holds_signal_while_polling) {
  ASSERT_LT(prof_delay_ms(0), 250);
  ASSERT_GE(prof_delay_ms(1), 280);
}

TEST(loop_metrics_idle_time) {
  uv_loop_t loop;
  uv_loop_t plain;
  uv_timer_t timer;
  uv_timer_t timer2;
  uint64_t idle;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_loop_configure(&loop, UV_METRICS_IDLE_TIME));
  ASSERT_U64_EQ(uv_metrics_idle_time(&loop), 0);
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, 100, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  idle = uv_metrics_idle_time(&loop);
  ASSERT_U64_GE(idle, 80 * LOOP_NS_PER_MS);   /* nanoseconds */
  ASSERT_U64_LT(idle, 5000 * LOOP_NS_PER_MS);
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, 50, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_U64_GE(uv_metrics_idle_time(&loop), idle + 40 * LOOP_NS_PER_MS);
  loop_teardown(&loop);

  /* Not configured: not measured. */
  ASSERT_OK(uv_loop_init(&plain));
  ASSERT_OK(uv_timer_init(&plain, &timer2));
  ASSERT_OK(uv_timer_start(&timer2, mode_timer_cb, 50, 0));
  ASSERT_OK(uv_run(&plain, UV_RUN_DEFAULT));
  ASSERT_U64_EQ(uv_metrics_idle_time(&plain), 0);
  loop_teardown(&plain);
}

#if UV_VERSION_HEX >= 0x012d00
static void metrics_async_cb(uv_async_t* h) { uv_close((uv_handle_t*) h, NULL); }

TEST(loop_metrics_info_counts_iterations) {
  uv_loop_t loop;
  uv_idle_t idle;
  uv_async_t async;
  uv_metrics_t m;
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  memset(&m, 0xff, sizeof(m));
  ASSERT_OK(uv_metrics_info(&loop, &m));
  ASSERT_U64_EQ(m.loop_count, 0);
  ASSERT_U64_EQ(m.events, 0);
  ASSERT_U64_EQ(m.events_waiting, 0);

  ASSERT_OK(uv_idle_init(&loop, &idle));
  /* phase_idle_cb stops itself: one iteration per start. */
  for (i = 0; i < 3; i++) {
    ASSERT_OK(uv_idle_start(&idle, phase_idle_cb));
    uv_run(&loop, UV_RUN_NOWAIT);
  }
  ASSERT_OK(uv_metrics_info(&loop, &m));
  ASSERT_U64_EQ(m.loop_count, 3);

  /* An empty run is no iteration. */
  uv_run(&loop, UV_RUN_NOWAIT);
  ASSERT_OK(uv_metrics_info(&loop, &m));
  ASSERT_U64_EQ(m.loop_count, 3);

  /* An async wakeup is an event. */
  ASSERT_OK(uv_async_init(&loop, &async, metrics_async_cb));
  ASSERT_OK(uv_async_send(&async));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_metrics_info(&loop, &m));
  ASSERT_U64_GE(m.loop_count, 4);
  ASSERT_U64_GE(m.events, 1);
  loop_teardown(&loop);
}
#endif

/* ---- handle lifecycle: uv_close ------------------------------------------------- */

static int close_calls;
static uv_handle_t* close_last;
static int close_in_progress;
static void close_count_cb(uv_handle_t* h) {
  ASSERT_EQ(close_in_progress, 0);  /* never from inside uv_close */
  close_calls++;
  close_last = h;
}

TEST(handle_close_callback_deferred_to_run) {
  uv_loop_t loop;
  uv_timer_t timer;

  close_calls = 0;
  close_last = NULL;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  close_in_progress = 1;
  uv_close((uv_handle_t*) &timer, close_count_cb);
  close_in_progress = 0;
  ASSERT_EQ(close_calls, 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));
  ASSERT_EQ(close_calls, 1);
  ASSERT_EQ(close_last, (uv_handle_t*) &timer);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(close_calls, 1);
  ASSERT_OK(uv_loop_close(&loop));
}

static char close_order[64];
static void close_order_cb(uv_handle_t* h) {
  size_t len = strlen(close_order);
  close_order[len] = *(const char*) h->data;
  close_order[len + 1] = '\0';
}

TEST(handle_close_callbacks_run_in_reverse_order) {
  uv_loop_t loop;
  uv_timer_t a, b;
  uv_idle_t c;
  uv_check_t d;

  close_order[0] = '\0';
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &a));
  ASSERT_OK(uv_timer_init(&loop, &b));
  ASSERT_OK(uv_idle_init(&loop, &c));
  ASSERT_OK(uv_check_init(&loop, &d));
  a.data = (void*) "a";
  b.data = (void*) "b";
  c.data = (void*) "c";
  d.data = (void*) "d";
  uv_close((uv_handle_t*) &b, close_order_cb);
  uv_close((uv_handle_t*) &d, close_order_cb);
  uv_close((uv_handle_t*) &a, close_order_cb);
  uv_close((uv_handle_t*) &c, close_order_cb);
  ASSERT_OK(uv_run(&loop, UV_RUN_ONCE));
  ASSERT_STR_EQ(close_order, "cadb");
  ASSERT_OK(uv_loop_close(&loop));
}

static int chain_iteration;
static int chain_closed_at[2];
static uv_timer_t chain_second;
static void chain_check_cb(uv_check_t* h) { (void) h; chain_iteration++; }
static void chain_second_close_cb(uv_handle_t* h) {
  (void) h;
  chain_closed_at[1] = chain_iteration;
}
static void chain_first_close_cb(uv_handle_t* h) {
  (void) h;
  chain_closed_at[0] = chain_iteration;
  uv_close((uv_handle_t*) &chain_second, chain_second_close_cb);
}

TEST(handle_close_from_close_callback_runs_next_iteration) {
  uv_loop_t loop;
  uv_timer_t first;
  uv_check_t check;

  chain_iteration = 0;
  chain_closed_at[0] = chain_closed_at[1] = -1;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_check_init(&loop, &check));
  ASSERT_OK(uv_check_start(&check, chain_check_cb));
  uv_unref((uv_handle_t*) &check);
  ASSERT_OK(uv_timer_init(&loop, &first));
  ASSERT_OK(uv_timer_init(&loop, &chain_second));
  uv_close((uv_handle_t*) &first, chain_first_close_cb);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(chain_closed_at[0], 1);
  ASSERT_EQ(chain_closed_at[1], 2);
  loop_teardown(&loop);
}

static int lifecycle_closing_in_cb;
static int lifecycle_active_in_cb;
static void lifecycle_close_cb(uv_handle_t* h) {
  lifecycle_closing_in_cb = uv_is_closing(h);
  lifecycle_active_in_cb = uv_is_active(h);
}

TEST(handle_is_active_is_closing_transitions) {
  uv_loop_t loop;
  uv_timer_t timer;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_is_active((uv_handle_t*) &timer));
  ASSERT_OK(uv_is_closing((uv_handle_t*) &timer));
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, 1000, 0));
  ASSERT_NE(uv_is_active((uv_handle_t*) &timer), 0);
  ASSERT_OK(uv_timer_stop(&timer));
  ASSERT_OK(uv_is_active((uv_handle_t*) &timer));
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, 1000, 0));

  lifecycle_closing_in_cb = -1;
  lifecycle_active_in_cb = -1;
  uv_close((uv_handle_t*) &timer, lifecycle_close_cb);
  ASSERT_NE(uv_is_closing((uv_handle_t*) &timer), 0);
  ASSERT_OK(uv_is_active((uv_handle_t*) &timer));  /* closing stops it */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_NE(lifecycle_closing_in_cb, 0);
  ASSERT_EQ(lifecycle_active_in_cb, 0);
  ASSERT_NE(uv_is_closing((uv_handle_t*) &timer), 0);  /* closed counts */
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(handle_ref_unref) {
  uv_loop_t loop;
  uv_timer_t timer;
  uint64_t t0;

  mode_timer_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_NE(uv_has_ref((uv_handle_t*) &timer), 0);  /* referenced by default */
  uv_unref((uv_handle_t*) &timer);
  ASSERT_OK(uv_has_ref((uv_handle_t*) &timer));
  uv_unref((uv_handle_t*) &timer);  /* idempotent */
  ASSERT_OK(uv_has_ref((uv_handle_t*) &timer));
  uv_ref((uv_handle_t*) &timer);
  ASSERT_NE(uv_has_ref((uv_handle_t*) &timer), 0);
  uv_ref((uv_handle_t*) &timer);    /* idempotent: one unref undoes it */
  uv_unref((uv_handle_t*) &timer);
  ASSERT_OK(uv_has_ref((uv_handle_t*) &timer));

  /* An unreferenced active timer doesn't keep uv_run going. */
  ASSERT_OK(uv_timer_start(&timer, mode_timer_cb, 500, 0));
  t0 = uv_hrtime();
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_LT(loop_ms_since(t0), 300);
  ASSERT_EQ(mode_timer_calls, 0);
  ASSERT_NE(uv_is_active((uv_handle_t*) &timer), 0);
  ASSERT_OK(uv_has_ref((uv_handle_t*) &timer));  /* starting keeps the unref */

  /* Referenced again, it does. */
  uv_ref((uv_handle_t*) &timer);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(mode_timer_calls, 1);
  loop_teardown(&loop);
}

static void unref_self_cb(uv_idle_t* h) {
  stop_idle_calls++;
  uv_unref((uv_handle_t*) h);
}

TEST(handle_unref_in_callback_ends_run) {
  uv_loop_t loop;
  uv_idle_t idle;

  stop_idle_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, unref_self_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(stop_idle_calls, 1);
  ASSERT_NE(uv_is_active((uv_handle_t*) &idle), 0);
  loop_teardown(&loop);
  ASSERT_EQ(stop_idle_calls, 1);
}

TEST(handle_close_with_null_callback) {
  uv_loop_t loop;
  uv_idle_t idle;
  uv_check_t check;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, phase_idle_cb));
  ASSERT_OK(uv_check_init(&loop, &check));
  uv_close((uv_handle_t*) &idle, NULL);
  uv_close((uv_handle_t*) &check, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
}

/* Closing a handle in its own callback, and from another handle's callback. */
static uv_timer_t cross_victim;
static void cross_victim_cb(uv_timer_t* h) { (void) h; mode_timer_calls += 100; }
static void cross_killer_cb(uv_timer_t* h) {
  mode_timer_calls++;
  uv_close((uv_handle_t*) &cross_victim, close_count_cb);
  uv_close((uv_handle_t*) h, close_count_cb);
}

TEST(handle_close_inside_callbacks) {
  uv_loop_t loop;
  uv_timer_t killer;

  mode_timer_calls = 0;
  close_calls = 0;
  close_in_progress = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &killer));
  ASSERT_OK(uv_timer_init(&loop, &cross_victim));
  ASSERT_OK(uv_timer_start(&killer, cross_killer_cb, 10, 0));
  /* Due in the same round, after killer (later start). */
  ASSERT_OK(uv_timer_start(&cross_victim, cross_victim_cb, 10, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(mode_timer_calls, 1);  /* the victim never fired */
  ASSERT_EQ(close_calls, 2);
  ASSERT_OK(uv_loop_close(&loop));
}

/* Handles and loops live in memory the program didn't clear. */
TEST(handle_init_on_uncleared_memory) {
  uv_loop_t* loop;
  uv_timer_t* timer;
  uv_idle_t* idle;
  uv_prepare_t* prepare;
  uv_check_t* check;
  uv_async_t* async;

  mode_timer_calls = 0;
  loop = (uv_loop_t*) malloc(sizeof(*loop));
  timer = (uv_timer_t*) malloc(sizeof(*timer));
  idle = (uv_idle_t*) malloc(sizeof(*idle));
  prepare = (uv_prepare_t*) malloc(sizeof(*prepare));
  check = (uv_check_t*) malloc(sizeof(*check));
  async = (uv_async_t*) malloc(sizeof(*async));
  ASSERT(loop && timer && idle && prepare && check && async);
  memset(loop, 0xff, sizeof(*loop));
  memset(timer, 0xff, sizeof(*timer));
  memset(idle, 0xff, sizeof(*idle));
  memset(prepare, 0xff, sizeof(*prepare));
  memset(check, 0xff, sizeof(*check));
  memset(async, 0xff, sizeof(*async));
  loop->data = NULL;

  ASSERT_OK(uv_loop_init(loop));
  ASSERT_OK(uv_timer_init(loop, timer));
  ASSERT_OK(uv_idle_init(loop, idle));
  ASSERT_OK(uv_prepare_init(loop, prepare));
  ASSERT_OK(uv_check_init(loop, check));
  ASSERT_OK(uv_async_init(loop, async, NULL));
  ASSERT_OK(uv_is_active((uv_handle_t*) timer));
  ASSERT_OK(uv_is_active((uv_handle_t*) idle));
  ASSERT_OK(uv_is_closing((uv_handle_t*) check));
  ASSERT_NE(uv_has_ref((uv_handle_t*) prepare), 0);
  ASSERT_U64_EQ(uv_timer_get_repeat(timer), 0);
  ASSERT_U64_EQ(uv_timer_get_due_in(timer), 0);
  ASSERT_EQ(uv_timer_again(timer), UV_EINVAL);  /* no callback yet */
  uv_unref((uv_handle_t*) async);
  ASSERT_OK(uv_timer_start(timer, mode_timer_cb, 1, 0));
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  ASSERT_EQ(mode_timer_calls, 1);
  loop_teardown(loop);
  free(loop);
  free(timer);
  free(idle);
  free(prepare);
  free(check);
  free(async);
}

/* The memory of a closed handle may be initialised again as a new handle,
 * even from its own close callback. */
static uv_timer_t reinit_timer;
static int reinit_closes;
static void reinit_fire_cb(uv_timer_t* h);
static void reinit_close_cb(uv_handle_t* h) {
  reinit_closes++;
  if (reinit_closes < 3) {
    ASSERT_OK(uv_timer_init(h->loop, &reinit_timer));
    ASSERT_OK(uv_timer_start(&reinit_timer, reinit_fire_cb, 1, 0));
  }
}
static void reinit_fire_cb(uv_timer_t* h) {
  mode_timer_calls++;
  uv_close((uv_handle_t*) h, reinit_close_cb);
}

TEST(handle_reinit_after_close) {
  uv_loop_t loop;
  struct walk_seen seen;

  mode_timer_calls = 0;
  reinit_closes = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &reinit_timer));
  ASSERT_OK(uv_timer_start(&reinit_timer, reinit_fire_cb, 1, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(mode_timer_calls, 3);
  ASSERT_EQ(reinit_closes, 3);
  memset(&seen, 0, sizeof(seen));
  uv_walk(&loop, walk_record_cb, &seen);
  ASSERT_EQ(seen.n, 0);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- C++ exceptions through uv_run ------------------------------------------------ */

#ifdef __cplusplus
#include <stdexcept>

static int exc_other_calls;
static void exc_throw_timer_cb(uv_timer_t* h) {
  (void) h;
  throw std::runtime_error("timer");
}
static void exc_other_timer_cb(uv_timer_t* h) { (void) h; exc_other_calls++; }

TEST(loop_cxx_exception_from_timer_callback) {
  uv_loop_t loop;
  uv_timer_t thrower, other;
  int caught = 0;

  exc_other_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &thrower));
  ASSERT_OK(uv_timer_init(&loop, &other));
  ASSERT_OK(uv_timer_start(&thrower, exc_throw_timer_cb, 1, 0));
  ASSERT_OK(uv_timer_start(&other, exc_other_timer_cb, 30, 0));
  try {
    uv_run(&loop, UV_RUN_DEFAULT);
  } catch (const std::runtime_error& e) {
    caught = strcmp(e.what(), "timer") == 0;
  }
  ASSERT_EQ(caught, 1);
  ASSERT_EQ(exc_other_calls, 0);
  /* The loop is still usable: the other timer fires on the next run. */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(exc_other_calls, 1);
  /* And the thrower can be restarted (no throw this time), then closed. */
  ASSERT_OK(uv_timer_start(&thrower, exc_other_timer_cb, 1, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(exc_other_calls, 2);
  uv_close((uv_handle_t*) &thrower, NULL);
  uv_close((uv_handle_t*) &other, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
}

static int exc_idle_calls;
static void exc_throw_idle_cb(uv_idle_t* h) {
  exc_idle_calls++;
  if (exc_idle_calls == 1)
    throw 42;
  uv_idle_stop(h);
}

TEST(loop_cxx_exception_from_idle_callback) {
  uv_loop_t loop;
  uv_idle_t idle;
  uv_timer_t other;
  int caught = 0;

  exc_idle_calls = 0;
  exc_other_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, exc_throw_idle_cb));
  ASSERT_OK(uv_timer_init(&loop, &other));
  ASSERT_OK(uv_timer_start(&other, exc_other_timer_cb, 20, 0));
  try {
    uv_run(&loop, UV_RUN_DEFAULT);
  } catch (int v) {
    caught = v;
  }
  ASSERT_EQ(caught, 42);
  ASSERT_EQ(exc_idle_calls, 1);
  ASSERT_NE(uv_is_active((uv_handle_t*) &idle), 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(exc_idle_calls, 2);
  ASSERT_EQ(exc_other_calls, 1);
  uv_close((uv_handle_t*) &idle, NULL);
  uv_close((uv_handle_t*) &other, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
}

static int exc_close_calls;
static void exc_throw_close_cb(uv_handle_t* h) {
  (void) h;
  exc_close_calls++;
  throw std::logic_error("close");
}

TEST(loop_cxx_exception_from_close_callback) {
  uv_loop_t loop;
  uv_timer_t timer, other;
  int caught = 0;

  exc_close_calls = 0;
  exc_other_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_init(&loop, &other));
  ASSERT_OK(uv_timer_start(&other, exc_other_timer_cb, 20, 0));
  uv_close((uv_handle_t*) &timer, exc_throw_close_cb);
  try {
    uv_run(&loop, UV_RUN_DEFAULT);
  } catch (const std::logic_error& e) {
    caught = strcmp(e.what(), "close") == 0;
  }
  ASSERT_EQ(caught, 1);
  ASSERT_EQ(exc_close_calls, 1);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(exc_close_calls, 1);  /* the close completed: not called again */
  ASSERT_EQ(exc_other_calls, 1);
  uv_close((uv_handle_t*) &other, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
}
static void exc_throw_async_cb(uv_async_t* h) {
  (void) h;
  throw std::runtime_error("async");
}
static void exc_noop_work_cb(uv_work_t* req) { (void) req; }
static void exc_throw_after_work_cb(uv_work_t* req, int status) {
  (void) req;
  (void) status;
  throw std::runtime_error("after_work");
}

TEST(loop_cxx_exception_from_async_and_after_work_callbacks) {
  uv_loop_t loop;
  uv_async_t async;
  uv_work_t req;
  uv_timer_t other;
  int caught = 0;

  exc_other_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_async_init(&loop, &async, exc_throw_async_cb));
  ASSERT_OK(uv_async_send(&async));
  try {
    uv_run(&loop, UV_RUN_ONCE);
  } catch (const std::runtime_error& e) {
    caught = strcmp(e.what(), "async") == 0;
  }
  ASSERT_EQ(caught, 1);
  /* The handle still works: a later send throws again. */
  caught = 0;
  ASSERT_OK(uv_async_send(&async));
  try {
    uv_run(&loop, UV_RUN_ONCE);
  } catch (const std::runtime_error& e) {
    caught = strcmp(e.what(), "async") == 0;
  }
  ASSERT_EQ(caught, 1);
  uv_close((uv_handle_t*) &async, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  caught = 0;
  ASSERT_OK(uv_queue_work(&loop, &req, exc_noop_work_cb, exc_throw_after_work_cb));
  try {
    uv_run(&loop, UV_RUN_DEFAULT);
  } catch (const std::runtime_error& e) {
    caught = strcmp(e.what(), "after_work") == 0;
  }
  ASSERT_EQ(caught, 1);
  /* The request is finished: the loop has nothing left and can close. */
  ASSERT_OK(uv_timer_init(&loop, &other));
  ASSERT_OK(uv_timer_start(&other, exc_other_timer_cb, 1, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(exc_other_calls, 1);
  uv_close((uv_handle_t*) &other, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
}
#endif /* __cplusplus */
