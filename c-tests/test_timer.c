/* Timers, as a libuv user calls them: uv_timer_init/start/stop/again,
 * uv_timer_set_repeat/get_repeat, uv_timer_get_due_in.
 *
 * Also compiled against Debian's libuv 1.44.2 header (which has all of these). */
#include "test.h"

#include <uv.h>

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TIMER_NS_PER_MS UINT64_C(1000000)

static void timer_close_walk_cb(uv_handle_t* h, void* arg) {
  (void) arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

static void timer_teardown(uv_loop_t* loop) {
  uv_walk(loop, timer_close_walk_cb, NULL);
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(loop));
}

/* ---- basics ------------------------------------------------------------------- */

static int basic_calls;
static uv_timer_t* basic_last;
static int basic_active_in_cb;
static uint64_t basic_due_in_cb;
static uint64_t basic_fired_ns;

static void basic_cb(uv_timer_t* h) {
  basic_calls++;
  basic_last = h;
  basic_active_in_cb = uv_is_active((uv_handle_t*) h);
  basic_due_in_cb = uv_timer_get_due_in(h);
  basic_fired_ns = uv_hrtime();
}

static void basic_reset(void) {
  basic_calls = 0;
  basic_last = NULL;
  basic_active_in_cb = -1;
  basic_due_in_cb = 12345;
  basic_fired_ns = 0;
}

TEST(timer_fires_once_not_early) {
  uv_loop_t loop;
  uv_timer_t timer;
  uint64_t t0;
  int marker;

  basic_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  timer.data = &marker;
  ASSERT_EQ(timer.type, UV_TIMER);
  ASSERT_EQ(timer.loop, &loop);
  ASSERT_OK(uv_is_active((uv_handle_t*) &timer));
  uv_update_time(&loop);
  t0 = uv_hrtime();
  ASSERT_OK(uv_timer_start(&timer, basic_cb, 100, 0));
  ASSERT_NE(uv_is_active((uv_handle_t*) &timer), 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(basic_calls, 1);
  ASSERT_EQ(basic_last, &timer);
  ASSERT_EQ(basic_active_in_cb, 0);  /* a one-shot timer is stopped before its cb */
  ASSERT_U64_EQ(basic_due_in_cb, 0);
  ASSERT_U64_GE(basic_fired_ns - t0, 98 * TIMER_NS_PER_MS);
  ASSERT_U64_LT(basic_fired_ns - t0, 3000 * TIMER_NS_PER_MS);
  ASSERT_OK(uv_is_active((uv_handle_t*) &timer));
  ASSERT_EQ(timer.data, &marker);
  timer_teardown(&loop);
  ASSERT_EQ(basic_calls, 1);
}

TEST(timer_start_errors) {
  uv_loop_t loop;
  uv_timer_t timer;

  basic_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_EQ(uv_timer_start(&timer, NULL, 10, 0), UV_EINVAL);
  ASSERT_OK(uv_is_active((uv_handle_t*) &timer));
  /* uv_timer_again needs a callback from an earlier start. */
  ASSERT_EQ(uv_timer_again(&timer), UV_EINVAL);
  ASSERT_OK(uv_is_active((uv_handle_t*) &timer));
  /* Stopping an inactive timer is fine, twice. */
  ASSERT_OK(uv_timer_stop(&timer));
  ASSERT_OK(uv_timer_stop(&timer));

  /* A closing timer can't be started. */
  uv_close((uv_handle_t*) &timer, NULL);
  ASSERT_EQ(uv_timer_start(&timer, basic_cb, 0, 0), UV_EINVAL);
  ASSERT_OK(uv_is_active((uv_handle_t*) &timer));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(basic_calls, 0);
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(timer_stop_before_firing) {
  uv_loop_t loop;
  uv_timer_t timer;
  uint64_t t0;

  basic_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, basic_cb, 10, 0));
  ASSERT_OK(uv_timer_stop(&timer));
  ASSERT_OK(uv_is_active((uv_handle_t*) &timer));
  t0 = uv_hrtime();
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));  /* nothing keeps it alive */
  ASSERT_LT((uv_hrtime() - t0) / TIMER_NS_PER_MS, 5);
  ASSERT_EQ(basic_calls, 0);
  timer_teardown(&loop);
}

TEST(timer_restart_replaces_callback_and_timeout) {
  uv_loop_t loop;
  uv_timer_t timer;
  uint64_t t0;

  basic_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, basic_cb, 10000, 0));
  ASSERT_OK(uv_timer_start(&timer, basic_cb, 10, 0));  /* restarts it */
  t0 = uv_hrtime();
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(basic_calls, 1);
  ASSERT_LT((uv_hrtime() - t0) / TIMER_NS_PER_MS, 5000);
  timer_teardown(&loop);
}

/* ---- repeat / again ------------------------------------------------------------ */

static int repeat_calls;
static int repeat_active_ok;
static int repeat_due_ok;
static void repeat_cb(uv_timer_t* h) {
  repeat_calls++;
  /* A repeating timer is rearmed before its callback runs. */
  if (uv_is_active((uv_handle_t*) h))
    repeat_active_ok++;
  if (uv_timer_get_due_in(h) == uv_timer_get_repeat(h))
    repeat_due_ok++;
  if (repeat_calls == 5)
    uv_timer_stop(h);
}

TEST(timer_repeat_fires_repeatedly) {
  uv_loop_t loop;
  uv_timer_t timer;
  uint64_t t0, elapsed;

  repeat_calls = repeat_active_ok = repeat_due_ok = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_U64_EQ(uv_timer_get_repeat(&timer), 0);
  uv_update_time(&loop);
  t0 = uv_hrtime();
  ASSERT_OK(uv_timer_start(&timer, repeat_cb, 10, 20));
  ASSERT_U64_EQ(uv_timer_get_repeat(&timer), 20);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  elapsed = (uv_hrtime() - t0) / TIMER_NS_PER_MS;
  ASSERT_EQ(repeat_calls, 5);
  ASSERT_EQ(repeat_active_ok, 5);
  ASSERT_EQ(repeat_due_ok, 5);
  ASSERT_U64_GE(elapsed, 10 + 4 * 20 - 2);
  ASSERT_U64_LT(elapsed, 5000);
  ASSERT_OK(uv_is_active((uv_handle_t*) &timer));
  timer_teardown(&loop);
}

TEST(timer_set_repeat_takes_effect_after_next_fire) {
  uv_loop_t loop;
  uv_timer_t timer;

  repeat_calls = repeat_active_ok = repeat_due_ok = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, repeat_cb, 10, 0));
  uv_timer_set_repeat(&timer, 7);
  ASSERT_U64_EQ(uv_timer_get_repeat(&timer), 7);
  ASSERT_U64_EQ(uv_timer_get_due_in(&timer), 10);  /* current deadline kept */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(repeat_calls, 5);  /* became repeating */
  ASSERT_EQ(repeat_due_ok, 5);
  timer_teardown(&loop);
}

TEST(timer_again) {
  uv_loop_t loop;
  uv_timer_t timer;

  basic_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));

  /* Not repeating: uv_timer_again does nothing (and succeeds). */
  ASSERT_OK(uv_timer_start(&timer, basic_cb, 1000, 0));
  ASSERT_OK(uv_timer_stop(&timer));
  ASSERT_OK(uv_timer_again(&timer));
  ASSERT_OK(uv_is_active((uv_handle_t*) &timer));

  /* Repeating and stopped: restarted with the repeat as the timeout. */
  uv_timer_set_repeat(&timer, 300);
  ASSERT_OK(uv_timer_again(&timer));
  ASSERT_NE(uv_is_active((uv_handle_t*) &timer), 0);
  ASSERT_U64_EQ(uv_timer_get_due_in(&timer), 300);

  /* Repeating and running: the deadline is pushed back. */
  ASSERT_OK(uv_timer_start(&timer, basic_cb, 5, 50));
  ASSERT_U64_EQ(uv_timer_get_due_in(&timer), 5);
  ASSERT_OK(uv_timer_again(&timer));
  ASSERT_U64_EQ(uv_timer_get_due_in(&timer), 50);
  ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);  /* still repeating */
  ASSERT_EQ(basic_calls, 1);
  ASSERT_U64_EQ(basic_due_in_cb, 50);
  ASSERT_EQ(basic_active_in_cb, 1);
  timer_teardown(&loop);
}

/* A watchdog pushed back by uv_timer_again before it can fire. */
static uv_timer_t again_watchdog;
static int again_kicks;
static uint64_t again_kick_ns;
static void again_kick_cb(uv_timer_t* h) {
  again_kicks++;
  ASSERT_OK(uv_timer_again(&again_watchdog));
  again_kick_ns = uv_hrtime();
  if (again_kicks == 4)
    uv_timer_stop(h);
}

TEST(timer_again_postpones_watchdog) {
  uv_loop_t loop;
  uv_timer_t kicker;

  basic_reset();
  again_kicks = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &again_watchdog));
  ASSERT_OK(uv_timer_init(&loop, &kicker));
  ASSERT_OK(uv_timer_start(&again_watchdog, basic_cb, 100, 100));
  ASSERT_OK(uv_timer_start(&kicker, again_kick_cb, 40, 40));
  /* Runs until the watchdog fires once, 100 ms after the last kick. */
  while (basic_calls == 0)
    ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_EQ(again_kicks, 4);
  ASSERT_U64_GE(basic_fired_ns - again_kick_ns, 95 * TIMER_NS_PER_MS);
  timer_teardown(&loop);
}

/* Closing a repeating timer from its callback ends the repetition. */
static void close_repeat_cb(uv_timer_t* h) {
  repeat_calls++;
  if (repeat_calls == 3)
    uv_close((uv_handle_t*) h, NULL);
}

TEST(timer_close_repeating_from_callback) {
  uv_loop_t loop;
  uv_timer_t timer;

  repeat_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, close_repeat_cb, 1, 1));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(repeat_calls, 3);
  ASSERT_OK(uv_loop_close(&loop));
}

/* Restarting a repeating timer from its callback replaces the repeat. */
static void restart_repeat_cb(uv_timer_t* h) {
  repeat_calls++;
  if (repeat_calls == 2)
    ASSERT_OK(uv_timer_start(h, restart_repeat_cb, 30, 0));
  basic_due_in_cb = uv_timer_get_due_in(h);
}

TEST(timer_restart_repeating_from_callback) {
  uv_loop_t loop;
  uv_timer_t timer;

  repeat_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, restart_repeat_cb, 1, 5));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(repeat_calls, 3);
  ASSERT_U64_EQ(uv_timer_get_repeat(&timer), 0);
  timer_teardown(&loop);
}

/* ---- ordering ------------------------------------------------------------------ */

static char order_log[256];
static void order_cb(uv_timer_t* h) {
  size_t len = strlen(order_log);
  order_log[len] = (char) (intptr_t) h->data;
  order_log[len + 1] = '\0';
}

TEST(timer_equal_timeouts_fire_in_start_order) {
  uv_loop_t loop;
  uv_timer_t t[8];
  int i;

  order_log[0] = '\0';
  ASSERT_OK(uv_loop_init(&loop));
  for (i = 0; i < 8; i++) {
    ASSERT_OK(uv_timer_init(&loop, &t[i]));
    t[i].data = (void*) (intptr_t) ('a' + i);
  }
  /* Start order d b h a g c f e, all 20 ms; then restart c, which moves it
   * to the end. */
  ASSERT_OK(uv_timer_start(&t[3], order_cb, 20, 0));
  ASSERT_OK(uv_timer_start(&t[1], order_cb, 20, 0));
  ASSERT_OK(uv_timer_start(&t[7], order_cb, 20, 0));
  ASSERT_OK(uv_timer_start(&t[0], order_cb, 20, 0));
  ASSERT_OK(uv_timer_start(&t[6], order_cb, 20, 0));
  ASSERT_OK(uv_timer_start(&t[2], order_cb, 20, 0));
  ASSERT_OK(uv_timer_start(&t[5], order_cb, 20, 0));
  ASSERT_OK(uv_timer_start(&t[4], order_cb, 20, 0));
  ASSERT_OK(uv_timer_start(&t[2], order_cb, 20, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_STR_EQ(order_log, "dbhagfec");
  timer_teardown(&loop);
}

TEST(timer_fire_in_deadline_order) {
  uv_loop_t loop;
  uv_timer_t t[5];
  static const uint64_t timeouts[5] = { 50, 10, 40, 0, 20 };
  int i;

  order_log[0] = '\0';
  ASSERT_OK(uv_loop_init(&loop));
  for (i = 0; i < 5; i++) {
    ASSERT_OK(uv_timer_init(&loop, &t[i]));
    t[i].data = (void*) (intptr_t) ('a' + i);
    ASSERT_OK(uv_timer_start(&t[i], order_cb, timeouts[i], 0));
  }
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_STR_EQ(order_log, "dbeca");
  timer_teardown(&loop);
}

static int seq_next;
static int seq_bad;
static void seq_cb(uv_timer_t* h) {
  if ((int) (intptr_t) h->data != seq_next)
    seq_bad++;
  seq_next++;
}

TEST_TIMEOUT(timer_many_equal_timeouts_keep_start_order, 60) {
  enum { N = 20000 };
  uv_loop_t loop;
  uv_timer_t* t;
  int i;

  seq_next = 0;
  seq_bad = 0;
  t = (uv_timer_t*) malloc(N * sizeof(*t));
  ASSERT_NOT_NULL(t);
  ASSERT_OK(uv_loop_init(&loop));
  /* Initialised in reverse, started in order: the start order decides. */
  for (i = N - 1; i >= 0; i--) {
    ASSERT_OK(uv_timer_init(&loop, &t[i]));
    t[i].data = (void*) (intptr_t) i;
  }
  for (i = 0; i < N; i++)
    ASSERT_OK(uv_timer_start(&t[i], seq_cb, 5, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(seq_next, N);
  ASSERT_EQ(seq_bad, 0);
  for (i = 0; i < N; i++)
    uv_close((uv_handle_t*) &t[i], NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
  free(t);
}

/* ---- timers changing timers inside callbacks ------------------------------------ */

static int nested_iteration;
static int nested_fired_at[3];
static uv_timer_t nested_t[3];
static void nested_check_cb(uv_check_t* h) { (void) h; nested_iteration++; }
static void nested_third_cb(uv_timer_t* h) { (void) h; nested_fired_at[2] = nested_iteration; }
static void nested_second_cb(uv_timer_t* h) {
  (void) h;
  nested_fired_at[1] = nested_iteration;
}
static void nested_first_cb(uv_timer_t* h) {
  (void) h;
  nested_fired_at[0] = nested_iteration;
  /* Both already due or due now; neither may run in this round. */
  ASSERT_OK(uv_timer_start(&nested_t[1], nested_second_cb, 0, 0));
  ASSERT_OK(uv_timer_start(&nested_t[2], nested_third_cb, 0, 0));
}

TEST(timer_zero_timeout_from_callback_runs_next_iteration) {
  uv_loop_t loop;
  uv_check_t check;
  int i;

  nested_iteration = 0;
  for (i = 0; i < 3; i++)
    nested_fired_at[i] = -1;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_check_init(&loop, &check));
  ASSERT_OK(uv_check_start(&check, nested_check_cb));
  uv_unref((uv_handle_t*) &check);
  for (i = 0; i < 3; i++)
    ASSERT_OK(uv_timer_init(&loop, &nested_t[i]));
  ASSERT_OK(uv_timer_start(&nested_t[0], nested_first_cb, 1, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_GE(nested_fired_at[0], 0);
  ASSERT_EQ(nested_fired_at[1], nested_fired_at[0] + 1);
  ASSERT_EQ(nested_fired_at[2], nested_fired_at[0] + 1);
  timer_teardown(&loop);
}

static int self_restart_calls;
static int self_restart_iter[3];
static void self_restart_cb(uv_timer_t* h) {
  self_restart_iter[self_restart_calls++] = nested_iteration;
  if (self_restart_calls < 3)
    ASSERT_OK(uv_timer_start(h, self_restart_cb, 0, 0));
}

TEST(timer_restart_self_from_callback) {
  uv_loop_t loop;
  uv_check_t check;
  uv_timer_t timer;

  nested_iteration = 0;
  self_restart_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_check_init(&loop, &check));
  ASSERT_OK(uv_check_start(&check, nested_check_cb));
  uv_unref((uv_handle_t*) &check);
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, self_restart_cb, 0, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(self_restart_calls, 3);
  ASSERT_EQ(self_restart_iter[1], self_restart_iter[0] + 1);
  ASSERT_EQ(self_restart_iter[2], self_restart_iter[1] + 1);
  timer_teardown(&loop);
}

/* Two timers due in the same round: the first stops / restarts / closes the
 * second, which then doesn't run in that round. */
static uv_timer_t duo_a, duo_b;
static int duo_mode;
static char duo_log[64];
static void duo_b_cb(uv_timer_t* h) { (void) h; strcat(duo_log, "b"); }
static void duo_a_cb(uv_timer_t* h) {
  (void) h;
  strcat(duo_log, "a");
  if (duo_mode == 0)
    ASSERT_OK(uv_timer_stop(&duo_b));
  else if (duo_mode == 1)
    ASSERT_OK(uv_timer_start(&duo_b, duo_b_cb, 30, 0));
  else
    uv_close((uv_handle_t*) &duo_b, NULL);
}

TEST(timer_callback_stops_restarts_closes_other_due_timer) {
  for (duo_mode = 0; duo_mode < 3; duo_mode++) {
    uv_loop_t loop;
    uint64_t t0;

    duo_log[0] = '\0';
    ASSERT_OK(uv_loop_init(&loop));
    ASSERT_OK(uv_timer_init(&loop, &duo_a));
    ASSERT_OK(uv_timer_init(&loop, &duo_b));
    ASSERT_OK(uv_timer_start(&duo_a, duo_a_cb, 10, 0));
    ASSERT_OK(uv_timer_start(&duo_b, duo_b_cb, 10, 0));
    t0 = uv_hrtime();
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    if (duo_mode == 1) {
      ASSERT_STR_EQ(duo_log, "ab");
      ASSERT_U64_GE(uv_hrtime() - t0, 35 * TIMER_NS_PER_MS);
    } else {
      ASSERT_STR_EQ(duo_log, "a");
    }
    timer_teardown(&loop);
  }
}

/* ---- due_in and large values ------------------------------------------------------ */

TEST(timer_get_due_in) {
  uv_loop_t loop;
  uv_timer_t timer;
  uint64_t due;

  basic_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_U64_EQ(uv_timer_get_due_in(&timer), 0);  /* never started */
  ASSERT_OK(uv_timer_start(&timer, basic_cb, 1000, 0));
  ASSERT_U64_EQ(uv_timer_get_due_in(&timer), 1000);
  uv_sleep(60);
  ASSERT_U64_EQ(uv_timer_get_due_in(&timer), 1000);  /* loop time is cached */
  uv_update_time(&loop);
  due = uv_timer_get_due_in(&timer);
  ASSERT_U64_LE(due, 945);
  ASSERT_U64_GE(due, 500);
  timer_teardown(&loop);
}

TEST(timer_huge_timeouts_do_not_overflow) {
  uv_loop_t loop;
  uv_timer_t timer;
  uint64_t now;

  basic_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  uv_update_time(&loop);
  now = uv_now(&loop);

  ASSERT_OK(uv_timer_start(&timer, basic_cb, UINT64_MAX, 0));
  ASSERT_U64_EQ(uv_timer_get_due_in(&timer), UINT64_MAX - now);
  ASSERT_OK(uv_timer_start(&timer, basic_cb, UINT64_MAX - now - 1, 0));
  ASSERT_U64_EQ(uv_timer_get_due_in(&timer), UINT64_MAX - now - 1);
  /* now + timeout wraps: clamped to "never". */
  ASSERT_OK(uv_timer_start(&timer, basic_cb, UINT64_MAX - now + 10, 0));
  ASSERT_U64_EQ(uv_timer_get_due_in(&timer), UINT64_MAX - now);
  ASSERT_OK(uv_timer_start(&timer, basic_cb, (uint64_t) INT_MAX + 10, 0));
  ASSERT_U64_EQ(uv_timer_get_due_in(&timer), (uint64_t) INT_MAX + 10);

  /* The huge timer doesn't fire while the loop runs other work. */
  ASSERT_OK(uv_timer_start(&timer, basic_cb, UINT64_MAX, 0));
  uv_unref((uv_handle_t*) &timer);
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(basic_calls, 0);
  ASSERT_NE(uv_is_active((uv_handle_t*) &timer), 0);

  /* A huge repeat: fires once, then rearmed for "never". */
  uv_ref((uv_handle_t*) &timer);
  ASSERT_OK(uv_timer_start(&timer, basic_cb, 1, UINT64_MAX));
  ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);  /* still repeating */
  ASSERT_EQ(basic_calls, 1);
  ASSERT_EQ(basic_active_in_cb, 1);
  ASSERT_U64_EQ(basic_due_in_cb, UINT64_MAX - uv_now(&loop));
  timer_teardown(&loop);
}

/* ---- scale ------------------------------------------------------------------------- */

static int scale_calls;
static int scale_out_of_order;
static uint64_t scale_last_timeout;
static void scale_cb(uv_timer_t* h) {
  uint64_t timeout = (uint64_t) (uintptr_t) h->data;
  if (timeout < scale_last_timeout)
    scale_out_of_order++;
  scale_last_timeout = timeout;
  scale_calls++;
}

TEST_TIMEOUT(timer_one_million, 120) {
  enum { N = 1000000 };
  uv_loop_t loop;
  uv_timer_t* t;
  uint64_t t0, elapsed_ms;
  int i;

  scale_calls = 0;
  scale_out_of_order = 0;
  scale_last_timeout = 0;
  t = (uv_timer_t*) malloc(N * sizeof(*t));
  ASSERT_NOT_NULL(t);
  ASSERT_OK(uv_loop_init(&loop));
  uv_update_time(&loop);
  t0 = uv_hrtime();
  for (i = 0; i < N; i++) {
    /* Scrambled timeouts 0..99 ms; data remembers the deadline. */
    uint64_t timeout = ((uint64_t) i * 7919) % 100;
    ASSERT_OK(uv_timer_init(&loop, &t[i]));
    t[i].data = (void*) (uintptr_t) (uv_now(&loop) + timeout);
    ASSERT_OK(uv_timer_start(&t[i], scale_cb, timeout, 0));
  }
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  elapsed_ms = (uv_hrtime() - t0) / TIMER_NS_PER_MS;
  ASSERT_EQ(scale_calls, N);
  ASSERT_EQ(scale_out_of_order, 0);  /* fired in deadline order */
  /* ~1 s on an idle machine; generous for loaded CI machines (a quadratic
   * timer queue would take hours). */
  ASSERT_U64_LT(elapsed_ms, 20000);

  for (i = 0; i < N; i++)
    uv_close((uv_handle_t*) &t[i], NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
  ASSERT_U64_LT((uv_hrtime() - t0) / TIMER_NS_PER_MS, 40000);
  free(t);
}

TEST_TIMEOUT(timer_many_stopped_before_firing, 60) {
  enum { N = 100000 };
  uv_loop_t loop;
  uv_timer_t* t;
  uint64_t t0;
  int i;

  scale_calls = 0;
  scale_out_of_order = 0;
  scale_last_timeout = 0;
  t = (uv_timer_t*) malloc(N * sizeof(*t));
  ASSERT_NOT_NULL(t);
  ASSERT_OK(uv_loop_init(&loop));
  t0 = uv_hrtime();
  for (i = 0; i < N; i++) {
    ASSERT_OK(uv_timer_init(&loop, &t[i]));
    t[i].data = NULL;
    ASSERT_OK(uv_timer_start(&t[i], scale_cb, 1 + (i * 31) % 50, 0));
  }
  /* Stop them in a scrambled order, all but every 1000th. */
  for (i = 0; i < N; i++) {
    int j = (int) (((uint64_t) i * 7919) % N);
    if (j % 1000 != 0)
      ASSERT_OK(uv_timer_stop(&t[j]));
  }
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(scale_calls, N / 1000);
  for (i = 0; i < N; i++)
    ASSERT_OK(uv_is_active((uv_handle_t*) &t[i]));

  /* Start them all again and stop them all: the loop has nothing to wait for. */
  for (i = 0; i < N; i++)
    ASSERT_OK(uv_timer_start(&t[i], scale_cb, 10000, 0));
  for (i = N - 1; i >= 0; i--)
    ASSERT_OK(uv_timer_stop(&t[i]));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(scale_calls, N / 1000);
  ASSERT_U64_LT((uv_hrtime() - t0) / TIMER_NS_PER_MS, 15000);

  for (i = 0; i < N; i++)
    uv_close((uv_handle_t*) &t[i], NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
  free(t);
}

/* ---- random operations against a model ------------------------------------------- */

/* Random starts, restarts, stops and agains on a few thousand timers; the
 * timers that are active at the end must each fire exactly once, in order
 * of (deadline, last start). */
struct model_timer {
  uv_timer_t handle;
  int active;
  uint64_t due;
  uint64_t seq;
  int fired;
};

static struct model_timer* model;
static uint64_t model_last_due;
static uint64_t model_last_seq;
static int model_fired;
static int model_bad_order;
static int model_bad_fire;

static void model_cb(uv_timer_t* h) {
  struct model_timer* m = (struct model_timer*) h->data;
  /* A repeating timer (from uv_timer_again) fires once here: stop it. */
  ASSERT_OK(uv_timer_stop(h));
  if (!m->active || m->fired)
    model_bad_fire++;
  m->fired++;
  model_fired++;
  if (m->due < model_last_due ||
      (m->due == model_last_due && m->seq < model_last_seq))
    model_bad_order++;
  model_last_due = m->due;
  model_last_seq = m->seq;
}

static uint32_t model_rand_state = 12345;
static uint32_t model_rand(void) {
  model_rand_state = model_rand_state * 1103515245u + 12345u;
  return model_rand_state >> 8;
}

TEST_TIMEOUT(timer_random_operations_match_model, 60) {
  enum { N = 3000, OPS = 60000 };
  uv_loop_t loop;
  uint64_t seq = 0;
  int expected = 0;
  int i;

  model = (struct model_timer*) calloc(N, sizeof(*model));
  ASSERT_NOT_NULL(model);
  model_last_due = model_last_seq = 0;
  model_fired = model_bad_order = model_bad_fire = 0;
  ASSERT_OK(uv_loop_init(&loop));
  for (i = 0; i < N; i++) {
    ASSERT_OK(uv_timer_init(&loop, &model[i].handle));
    model[i].handle.data = &model[i];
  }
  for (i = 0; i < OPS; i++) {
    struct model_timer* m = &model[model_rand() % N];
    uint32_t op = model_rand() % 8;
    uint64_t t = model_rand() % 40;
    if (i % 5000 == 4999) {
      uv_sleep(1);
      uv_update_time(&loop);
    }
    if (op < 4) {                       /* start / restart */
      ASSERT_OK(uv_timer_start(&m->handle, model_cb, t, 0));
      m->active = 1;
      m->due = uv_now(&loop) + t;
      m->seq = seq++;
    } else if (op < 6) {                /* stop */
      ASSERT_OK(uv_timer_stop(&m->handle));
      m->active = 0;
    } else if (op == 6) {               /* again, not repeating: no-op */
      if (m->seq != 0 || m->active) {
        uv_timer_set_repeat(&m->handle, 0);
        ASSERT_OK(uv_timer_again(&m->handle));
      }
    } else {                            /* again, repeating: restart */
      if (m->seq != 0 || m->active) {
        uv_timer_set_repeat(&m->handle, t + 1);
        ASSERT_OK(uv_timer_again(&m->handle));
        m->active = 1;
        m->due = uv_now(&loop) + t + 1;
        m->seq = seq++;
        uv_timer_set_repeat(&m->handle, 0);  /* keeps this deadline */
      }
    }
    ASSERT_EQ(uv_is_active((uv_handle_t*) &m->handle), m->active);
  }
  for (i = 0; i < N; i++)
    expected += model[i].active;
  ASSERT_GT(expected, N / 4);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(model_fired, expected);
  ASSERT_EQ(model_bad_fire, 0);
  ASSERT_EQ(model_bad_order, 0);
  timer_teardown(&loop);
  free(model);
}
