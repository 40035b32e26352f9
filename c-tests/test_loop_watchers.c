/* Idle, prepare and check handles, as a libuv user calls them:
 * uv_{idle,prepare,check}_{init,start,stop}.
 *
 * The behaviour shared by the three kinds is tested for each of them through
 * one macro; what is particular to each (idle prevents blocking, prepare runs
 * before the poll, check after it) has its own test. */
#include "test.h"

#include <uv.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WATCH_NS_PER_MS UINT64_C(1000000)

static void watch_close_walk_cb(uv_handle_t* h, void* arg) {
  (void) arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

static void watch_teardown(uv_loop_t* loop) {
  uv_walk(loop, watch_close_walk_cb, NULL);
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(loop));
}

static char watch_log[256];
static void watch_log_add(const char* s) {
  size_t len = strlen(watch_log);
  snprintf(watch_log + len, sizeof(watch_log) - len, "%s", s);
}

#define WATCHER_TESTS(kind)                                                   \
                                                                              \
static int kind##_calls;                                                      \
static uv_##kind##_t* kind##_last;                                            \
static void kind##_count_cb(uv_##kind##_t* h) {                               \
  kind##_calls++;                                                             \
  kind##_last = h;                                                            \
}                                                                             \
static void kind##_other_cb(uv_##kind##_t* h) {                               \
  (void) h;                                                                   \
  kind##_calls += 1000;                                                       \
}                                                                             \
static void kind##_stop_after_3_cb(uv_##kind##_t* h) {                        \
  kind##_calls++;                                                             \
  if (kind##_calls == 3)                                                      \
    ASSERT_OK(uv_##kind##_stop(h));                                           \
}                                                                             \
                                                                              \
TEST(kind##_start_stop) {                                                     \
  uv_loop_t loop;                                                             \
  uv_##kind##_t h;                                                            \
                                                                              \
  kind##_calls = 0;                                                           \
  kind##_last = NULL;                                                         \
  ASSERT_OK(uv_loop_init(&loop));                                             \
  ASSERT_OK(uv_##kind##_init(&loop, &h));                                     \
  ASSERT_EQ(h.type, UV_##kind##_TYPE_ENUM);                                   \
  ASSERT_EQ(h.loop, &loop);                                                   \
  ASSERT_OK(uv_is_active((uv_handle_t*) &h));                                 \
  ASSERT_EQ(uv_##kind##_start(&h, NULL), UV_EINVAL);                          \
  ASSERT_OK(uv_is_active((uv_handle_t*) &h));                                 \
  ASSERT_OK(uv_##kind##_stop(&h));              /* inactive: fine */          \
  ASSERT_OK(uv_##kind##_start(&h, kind##_count_cb));                          \
  ASSERT_NE(uv_is_active((uv_handle_t*) &h), 0);                              \
  /* Already active: succeeds and changes nothing, not even the callback. */ \
  ASSERT_OK(uv_##kind##_start(&h, kind##_other_cb));                          \
  ASSERT_OK(uv_##kind##_start(&h, NULL));                                     \
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);   /* referenced and active */   \
  ASSERT_EQ(kind##_calls, 1);                                                 \
  ASSERT_EQ(kind##_last, &h);                                                 \
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);                                 \
  ASSERT_EQ(kind##_calls, 2);                                                 \
  ASSERT_OK(uv_##kind##_stop(&h));                                            \
  ASSERT_OK(uv_is_active((uv_handle_t*) &h));                                 \
  ASSERT_OK(uv_##kind##_stop(&h));                                            \
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));                                    \
  ASSERT_EQ(kind##_calls, 2);                                                 \
  /* Restarting after a stop takes the new callback. */                      \
  ASSERT_OK(uv_##kind##_start(&h, kind##_other_cb));                          \
  uv_run(&loop, UV_RUN_NOWAIT);                                               \
  ASSERT_EQ(kind##_calls, 1002);                                              \
  watch_teardown(&loop);                                                      \
}                                                                             \
                                                                              \
TEST(kind##_keeps_loop_alive_until_stopped) {                                 \
  uv_loop_t loop;                                                             \
  uv_##kind##_t h;                                                            \
                                                                              \
  kind##_calls = 0;                                                           \
  ASSERT_OK(uv_loop_init(&loop));                                             \
  ASSERT_OK(uv_##kind##_init(&loop, &h));                                     \
  ASSERT_OK(uv_##kind##_start(&h, kind##_stop_after_3_cb));                   \
  /* (UV_RUN_DEFAULT would block forever in the poll for prepare/check.) */  \
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);                                 \
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);                                 \
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));   /* stopped in the 3rd call */    \
  ASSERT_EQ(kind##_calls, 3);                                                 \
  /* Unreferenced, it runs only while something else keeps the loop. */     \
  kind##_calls = 0;                                                           \
  ASSERT_OK(uv_##kind##_start(&h, kind##_stop_after_3_cb));                   \
  uv_unref((uv_handle_t*) &h);                                                \
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));                                   \
  ASSERT_EQ(kind##_calls, 0);                                                 \
  watch_teardown(&loop);                                                      \
}                                                                             \
                                                                              \
/* Started in this order: a, b, c; recorded in the order they run. */         \
static uv_##kind##_t kind##_h[4];                                             \
static int kind##_iter_seen[4];                                               \
static int kind##_iteration;                                                  \
static void kind##_log_cb(uv_##kind##_t* h) {                                 \
  char s[2];                                                                  \
  s[0] = (char) (intptr_t) h->data;                                           \
  s[1] = '\0';                                                                \
  watch_log_add(s);                                                           \
}                                                                             \
                                                                              \
TEST(kind##_callbacks_run_in_reverse_start_order) {                           \
  uv_loop_t loop;                                                             \
  int i;                                                                      \
                                                                              \
  watch_log[0] = '\0';                                                        \
  ASSERT_OK(uv_loop_init(&loop));                                             \
  for (i = 0; i < 3; i++) {                                                   \
    ASSERT_OK(uv_##kind##_init(&loop, &kind##_h[i]));                         \
    kind##_h[i].data = (void*) (intptr_t) ('a' + i);                          \
  }                                                                           \
  for (i = 0; i < 3; i++)                                                     \
    ASSERT_OK(uv_##kind##_start(&kind##_h[i], kind##_log_cb));                \
  uv_run(&loop, UV_RUN_NOWAIT);                                               \
  ASSERT_STR_EQ(watch_log, "cba");                                            \
  uv_run(&loop, UV_RUN_NOWAIT);                                               \
  ASSERT_STR_EQ(watch_log, "cbacba");                                         \
  watch_teardown(&loop);                                                      \
}                                                                             \
                                                                              \
/* The first callback to run starts h[3] (runs from the next iteration on)   \
 * and stops whichever of h[0]/h[1] has not run yet (doesn't run at all). */  \
static void kind##_meddle_cb(uv_##kind##_t* h) {                              \
  int me = (int) (h - kind##_h);                                              \
  kind##_iter_seen[me]++;                                                     \
  if (kind##_iteration == 0 && kind##_iter_seen[0] + kind##_iter_seen[1] == 1) { \
    ASSERT_OK(uv_##kind##_start(&kind##_h[3], kind##_meddle_cb));             \
    ASSERT_OK(uv_##kind##_stop(&kind##_h[1 - me]));                           \
  }                                                                           \
}                                                                             \
                                                                              \
TEST(kind##_start_and_stop_from_same_phase) {                                 \
  uv_loop_t loop;                                                             \
  int i;                                                                      \
                                                                              \
  memset(kind##_iter_seen, 0, sizeof(kind##_iter_seen));                      \
  kind##_iteration = 0;                                                       \
  ASSERT_OK(uv_loop_init(&loop));                                             \
  for (i = 0; i < 4; i++)                                                     \
    ASSERT_OK(uv_##kind##_init(&loop, &kind##_h[i]));                         \
  ASSERT_OK(uv_##kind##_start(&kind##_h[0], kind##_meddle_cb));               \
  ASSERT_OK(uv_##kind##_start(&kind##_h[1], kind##_meddle_cb));               \
  uv_run(&loop, UV_RUN_NOWAIT);                                               \
  ASSERT_EQ(kind##_iter_seen[0] + kind##_iter_seen[1], 1);                    \
  ASSERT_EQ(kind##_iter_seen[3], 0);                                          \
  ASSERT_NE(uv_is_active((uv_handle_t*) &kind##_h[3]), 0);                    \
  kind##_iteration = 1;                                                       \
  uv_run(&loop, UV_RUN_NOWAIT);                                               \
  ASSERT_EQ(kind##_iter_seen[0] + kind##_iter_seen[1], 2);                    \
  ASSERT_EQ(kind##_iter_seen[3], 1);                                          \
  watch_teardown(&loop);                                                      \
}                                                                             \
                                                                              \
/* Closing from a callback: itself, and a later one of the same phase. */    \
static void kind##_closer_cb(uv_##kind##_t* h) {                              \
  int me = (int) (h - kind##_h);                                              \
  kind##_iter_seen[me]++;                                                     \
  uv_close((uv_handle_t*) &kind##_h[1 - me], NULL);                           \
  uv_close((uv_handle_t*) h, NULL);                                           \
}                                                                             \
                                                                              \
TEST(kind##_close_from_callback) {                                            \
  uv_loop_t loop;                                                             \
                                                                              \
  memset(kind##_iter_seen, 0, sizeof(kind##_iter_seen));                      \
  ASSERT_OK(uv_loop_init(&loop));                                             \
  ASSERT_OK(uv_##kind##_init(&loop, &kind##_h[0]));                           \
  ASSERT_OK(uv_##kind##_init(&loop, &kind##_h[1]));                           \
  ASSERT_OK(uv_##kind##_start(&kind##_h[0], kind##_closer_cb));               \
  ASSERT_OK(uv_##kind##_start(&kind##_h[1], kind##_closer_cb));               \
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));  /* both closed in that iteration */ \
  ASSERT_EQ(kind##_iter_seen[0] + kind##_iter_seen[1], 1);                    \
  ASSERT_OK(uv_loop_close(&loop));                                            \
}

#define UV_idle_TYPE_ENUM UV_IDLE
#define UV_prepare_TYPE_ENUM UV_PREPARE
#define UV_check_TYPE_ENUM UV_CHECK

WATCHER_TESTS(idle)
WATCHER_TESTS(prepare)
WATCHER_TESTS(check)

/* ---- what differs between the three -------------------------------------------- */

static int once_timer_calls;
static uint64_t prepare_ns, check_ns, timer_ns;
static void once_timer_cb(uv_timer_t* h) {
  (void) h;
  once_timer_calls++;
  timer_ns = uv_hrtime();
}
static void stamp_prepare_cb(uv_prepare_t* h) {
  (void) h;
  if (prepare_ns == 0)
    prepare_ns = uv_hrtime();
}
static void stamp_check_cb(uv_check_t* h) {
  (void) h;
  if (check_ns == 0)
    check_ns = uv_hrtime();
}
static void idle_noop_cb(uv_idle_t* h) { (void) h; }

TEST(idle_prevents_blocking) {
  uv_loop_t loop;
  uv_idle_t idle;
  uv_timer_t timer;
  uint64_t t0;
  int i;

  once_timer_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, once_timer_cb, 2000, 0));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, idle_noop_cb));
  t0 = uv_hrtime();
  for (i = 0; i < 100; i++)
    ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_LT((uv_hrtime() - t0) / WATCH_NS_PER_MS, 1000);
  ASSERT_EQ(once_timer_calls, 0);

  /* An unreferenced idle handle still prevents blocking while it's active. */
  uv_unref((uv_handle_t*) &idle);
  t0 = uv_hrtime();
  for (i = 0; i < 100; i++)
    ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_LT((uv_hrtime() - t0) / WATCH_NS_PER_MS, 1000);
  ASSERT_EQ(once_timer_calls, 0);
  watch_teardown(&loop);
}

TEST(prepare_and_check_surround_the_wait) {
  uv_loop_t loop;
  uv_prepare_t prepare;
  uv_check_t check;
  uv_timer_t timer;
  uint64_t t0;

  once_timer_calls = 0;
  prepare_ns = check_ns = timer_ns = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_prepare_init(&loop, &prepare));
  ASSERT_OK(uv_prepare_start(&prepare, stamp_prepare_cb));
  ASSERT_OK(uv_check_init(&loop, &check));
  ASSERT_OK(uv_check_start(&check, stamp_check_cb));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  uv_update_time(&loop);
  t0 = uv_hrtime();
  ASSERT_OK(uv_timer_start(&timer, once_timer_cb, 60, 0));
  /* Prepare and check handles don't stop the loop from blocking. */
  ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_EQ(once_timer_calls, 1);
  ASSERT_NE(prepare_ns, 0);
  ASSERT_NE(check_ns, 0);
  ASSERT_LT((prepare_ns - t0) / WATCH_NS_PER_MS, 30);       /* before the wait */
  ASSERT_GE((check_ns - t0) / WATCH_NS_PER_MS, 55);         /* after it */
  ASSERT_LE(check_ns, timer_ns);                            /* then timers */
  watch_teardown(&loop);
}
