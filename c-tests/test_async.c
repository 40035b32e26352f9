/* Async handles, as a libuv user calls them: uv_async_init, uv_async_send
 * from the loop thread, from other threads and from a signal handler, and
 * closing while other threads send. */
#include "test.h"

#include <uv.h>

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void async_close_walk_cb(uv_handle_t* h, void* arg) {
  (void) arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

static void async_teardown(uv_loop_t* loop) {
  uv_walk(loop, async_close_walk_cb, NULL);
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(loop));
}

/* A referenced timer that fails the test if the loop doesn't finish in time. */
static void async_guard_cb(uv_timer_t* h) {
  (void) h;
  TEST_FAIL("the loop was not woken up");
}

/* ---- same thread ------------------------------------------------------------------ */

static int simple_calls;
static uv_async_t* simple_last;
static void simple_cb(uv_async_t* h) {
  simple_calls++;
  simple_last = h;
}

TEST(async_sends_before_run_coalesce) {
  uv_loop_t loop;
  uv_async_t async;
  int i;

  simple_calls = 0;
  simple_last = NULL;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_async_init(&loop, &async, simple_cb));
  ASSERT_EQ(async.type, UV_ASYNC);
  ASSERT_NE(uv_is_active((uv_handle_t*) &async), 0);  /* active from init */
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(simple_calls, 0);                         /* nothing sent yet */

  for (i = 0; i < 100; i++)
    ASSERT_OK(uv_async_send(&async));
  ASSERT_EQ(simple_calls, 0);                         /* never synchronous */
  for (i = 0; i < 5; i++)
    ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_GE(simple_calls, 1);
  ASSERT_LE(simple_calls, 100);
  ASSERT_EQ(simple_last, &async);

  /* Everything delivered: nothing more without another send... */
  i = simple_calls;
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(simple_calls, i);
  /* ...and a send after the callback gives another one. */
  ASSERT_OK(uv_async_send(&async));
  ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_EQ(simple_calls, i + 1);
  async_teardown(&loop);
}

static void resend_cb(uv_async_t* h) {
  simple_calls++;
  if (simple_calls < 5)
    ASSERT_OK(uv_async_send(h));
  else
    uv_close((uv_handle_t*) h, NULL);
}

TEST(async_send_from_own_callback) {
  uv_loop_t loop;
  uv_async_t async;

  simple_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_async_init(&loop, &async, resend_cb));
  ASSERT_OK(uv_async_send(&async));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(simple_calls, 5);
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(async_null_callback_allowed) {
  uv_loop_t loop;
  uv_async_t async;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_async_init(&loop, &async, NULL));
  ASSERT_OK(uv_async_send(&async));
  ASSERT_OK(uv_async_send(&async));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  async_teardown(&loop);
}

static void async_noop_timer_cb(uv_timer_t* h) { (void) h; }

TEST(async_ref_unref) {
  uv_loop_t loop;
  uv_async_t async;
  uv_timer_t timer;
  uint64_t t0;

  simple_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_async_init(&loop, &async, simple_cb));
  ASSERT_NE(uv_loop_alive(&loop), 0);
  uv_unref((uv_handle_t*) &async);
  ASSERT_OK(uv_loop_alive(&loop));
  t0 = uv_hrtime();
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_LT((uv_hrtime() - t0) / 1000000, 500);
  /* Unreferenced, a send is still delivered while something else keeps the
   * loop running. */
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, async_noop_timer_cb, 20, 0));
  ASSERT_OK(uv_async_send(&async));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(simple_calls, 1);
  async_teardown(&loop);
}

TEST(async_handles_are_independent) {
  uv_loop_t loop;
  uv_async_t a, b;

  simple_calls = 0;
  simple_last = NULL;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_async_init(&loop, &a, simple_cb));
  ASSERT_OK(uv_async_init(&loop, &b, simple_cb));
  ASSERT_OK(uv_async_send(&b));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(simple_calls, 1);
  ASSERT_EQ(simple_last, &b);
  ASSERT_OK(uv_async_send(&a));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(simple_calls, 2);
  ASSERT_EQ(simple_last, &a);
  ASSERT_OK(uv_async_send(&a));
  ASSERT_OK(uv_async_send(&b));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(simple_calls, 4);
  async_teardown(&loop);
}

/* A closed async handle's pending send is not delivered. */
TEST(async_close_drops_pending_send) {
  uv_loop_t loop;
  uv_async_t async;

  simple_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_async_init(&loop, &async, simple_cb));
  ASSERT_OK(uv_async_send(&async));
  uv_close((uv_handle_t*) &async, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(simple_calls, 0);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- other threads ------------------------------------------------------------------ */

static uv_thread_t thread_main_tid;
static uv_thread_t thread_cb_tid;
static uv_async_t thread_async;
static void thread_cb(uv_async_t* h) {
  simple_calls++;
  thread_cb_tid = uv_thread_self();
  uv_close((uv_handle_t*) h, NULL);
}
static void thread_sender(void* arg) {
  (void) arg;
  uv_sleep(20);
  ASSERT_OK(uv_async_send(&thread_async));
}

TEST(async_callback_runs_on_loop_thread) {
  uv_loop_t loop;
  uv_thread_t tid;

  simple_calls = 0;
  thread_main_tid = uv_thread_self();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_async_init(&loop, &thread_async, thread_cb));
  ASSERT_OK(uv_thread_create(&tid, thread_sender, NULL));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));  /* blocks until the send */
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(simple_calls, 1);
  ASSERT(uv_thread_equal(&thread_cb_tid, &thread_main_tid));
  ASSERT(!uv_thread_equal(&tid, &thread_main_tid));
  ASSERT_OK(uv_loop_close(&loop));
}

/* Ping-pong: the producer sends only after the previous callback started
 * (it waits for the callback's acknowledgement), so every send must give
 * its own callback; a lost wakeup hangs the test. */
enum { PINGPONG_ROUNDS = 20000 };
static uv_mutex_t pp_mutex;
static uv_sem_t pp_ack;
static int pp_value;
static int pp_seen;
static int pp_calls;
static uv_async_t pp_async;

static void pp_cb(uv_async_t* h) {
  int v;
  pp_calls++;
  uv_mutex_lock(&pp_mutex);
  v = pp_value;
  uv_mutex_unlock(&pp_mutex);
  if (v != pp_seen) {
    ASSERT_EQ(v, pp_seen + 1);
    pp_seen = v;
    uv_sem_post(&pp_ack);
  }
  if (pp_seen == PINGPONG_ROUNDS)
    uv_close((uv_handle_t*) h, NULL);
}

static void pp_producer(void* arg) {
  int i;
  (void) arg;
  for (i = 1; i <= PINGPONG_ROUNDS; i++) {
    uv_mutex_lock(&pp_mutex);
    pp_value = i;
    uv_mutex_unlock(&pp_mutex);
    ASSERT_OK(uv_async_send(&pp_async));
    uv_sem_wait(&pp_ack);
  }
}

TEST_TIMEOUT(async_ping_pong_no_lost_wakeup, 60) {
  uv_loop_t loop;
  uv_thread_t tid;

  pp_value = pp_seen = pp_calls = 0;
  ASSERT_OK(uv_mutex_init(&pp_mutex));
  ASSERT_OK(uv_sem_init(&pp_ack, 0));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_async_init(&loop, &pp_async, pp_cb));
  ASSERT_OK(uv_thread_create(&tid, pp_producer, NULL));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(pp_seen, PINGPONG_ROUNDS);
  ASSERT_GE(pp_calls, PINGPONG_ROUNDS);
  ASSERT_OK(uv_loop_close(&loop));
  uv_sem_destroy(&pp_ack);
  uv_mutex_destroy(&pp_mutex);
}

/* Several producers hammer one handle; the consumer stops when it has seen
 * the final count, which it only can if the last sends were not lost. */
enum { MP_THREADS = 4, MP_SENDS = 50000 };
static uv_mutex_t mp_mutex;
static int mp_count;
static int mp_calls;
static uv_async_t mp_async;
static uv_thread_t mp_cb_thread;
static int mp_wrong_thread;

static void mp_cb(uv_async_t* h) {
  int v;
  uv_thread_t self = uv_thread_self();
  mp_calls++;
  if (!uv_thread_equal(&self, &mp_cb_thread))
    mp_wrong_thread++;
  uv_mutex_lock(&mp_mutex);
  v = mp_count;
  uv_mutex_unlock(&mp_mutex);
  if (v == MP_THREADS * MP_SENDS)
    uv_close((uv_handle_t*) h, NULL);
}

static void mp_producer(void* arg) {
  int i;
  (void) arg;
  for (i = 0; i < MP_SENDS; i++) {
    uv_mutex_lock(&mp_mutex);
    mp_count++;
    uv_mutex_unlock(&mp_mutex);
    ASSERT_OK(uv_async_send(&mp_async));
  }
}

TEST_TIMEOUT(async_many_producers_no_lost_wakeup, 60) {
  uv_loop_t loop;
  uv_thread_t tids[MP_THREADS];
  int i;

  mp_count = mp_calls = mp_wrong_thread = 0;
  mp_cb_thread = uv_thread_self();
  ASSERT_OK(uv_mutex_init(&mp_mutex));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_async_init(&loop, &mp_async, mp_cb));
  for (i = 0; i < MP_THREADS; i++)
    ASSERT_OK(uv_thread_create(&tids[i], mp_producer, NULL));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  for (i = 0; i < MP_THREADS; i++)
    ASSERT_OK(uv_thread_join(&tids[i]));
  ASSERT_EQ(mp_count, MP_THREADS * MP_SENDS);
  ASSERT_GE(mp_calls, 1);
  ASSERT_LE(mp_calls, MP_THREADS * MP_SENDS);
  ASSERT_EQ(mp_wrong_thread, 0);
  ASSERT_OK(uv_loop_close(&loop));
  uv_mutex_destroy(&mp_mutex);
}

/* ---- signal handlers -------------------------------------------------------------- */

static uv_async_t sig_async;
static uv_timer_t sig_guard;
static volatile sig_atomic_t sig_handled;
static pthread_t sig_target;

static void sig_handler(int signum) {
  (void) signum;
  sig_handled++;
  uv_async_send(&sig_async);
}

static void sig_async_cb(uv_async_t* h) {
  simple_calls++;
  uv_close((uv_handle_t*) h, NULL);
  uv_close((uv_handle_t*) &sig_guard, NULL);
}

static void sig_thread(void* arg) {
  (void) arg;
  uv_sleep(50);  /* let the main thread block in uv_run */
  pthread_kill(sig_target, SIGUSR1);
}

static void sig_install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = sig_handler;
  sigemptyset(&sa.sa_mask);
  ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
}

TEST(async_send_from_signal_handler_wakes_loop) {
  uv_loop_t loop;
  uv_thread_t tid;

  simple_calls = 0;
  sig_handled = 0;
  sig_target = pthread_self();
  sig_install();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_async_init(&loop, &sig_async, sig_async_cb));
  ASSERT_OK(uv_timer_init(&loop, &sig_guard));
  ASSERT_OK(uv_timer_start(&sig_guard, async_guard_cb, 5000, 0));
  ASSERT_OK(uv_thread_create(&tid, sig_thread, NULL));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(sig_handled, 1);
  ASSERT_EQ(simple_calls, 1);
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(async_send_from_raised_signal) {
  uv_loop_t loop;

  simple_calls = 0;
  sig_handled = 0;
  sig_install();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_async_init(&loop, &sig_async, sig_async_cb));
  ASSERT_OK(uv_timer_init(&loop, &sig_guard));
  ASSERT_OK(uv_timer_start(&sig_guard, async_guard_cb, 5000, 0));
  ASSERT_OK(raise(SIGUSR1));
  ASSERT_EQ(sig_handled, 1);
  ASSERT_EQ(simple_calls, 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(simple_calls, 1);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- closing while another thread sends ------------------------------------------ */

static uv_async_t cws_async;
static int cws_stop;
static int cws_calls;
static int cws_closed;
static long cws_sent;

static void cws_sender(void* arg) {
  (void) arg;
  while (!__atomic_load_n(&cws_stop, __ATOMIC_ACQUIRE)) {
    uv_async_send(&cws_async);
    __atomic_fetch_add(&cws_sent, 1, __ATOMIC_RELAXED);
  }
}
static void cws_close_cb(uv_handle_t* h) {
  (void) h;
  cws_closed++;
}
static void cws_cb(uv_async_t* h) {
  cws_calls++;
  /* Close while the sender is still going; it stops on its own soon after. */
  __atomic_store_n(&cws_stop, 1, __ATOMIC_RELEASE);
  uv_close((uv_handle_t*) h, cws_close_cb);
}

TEST_TIMEOUT(async_close_while_other_thread_sends, 60) {
  int round;

  for (round = 0; round < 200; round++) {
    uv_loop_t loop;
    uv_thread_t tid;

    cws_stop = 0;
    cws_calls = cws_closed = 0;
    cws_sent = 0;
    ASSERT_OK(uv_loop_init(&loop));
    ASSERT_OK(uv_async_init(&loop, &cws_async, cws_cb));
    ASSERT_OK(uv_thread_create(&tid, cws_sender, NULL));
    if (round % 2 == 1) {
      /* Sometimes close from outside any callback, mid-stream. */
      while (__atomic_load_n(&cws_sent, __ATOMIC_RELAXED) < 10)
        ;
      __atomic_store_n(&cws_stop, 1, __ATOMIC_RELEASE);
      uv_close((uv_handle_t*) &cws_async, cws_close_cb);
    }
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    ASSERT_OK(uv_thread_join(&tid));
    ASSERT_EQ(cws_closed, 1);
    ASSERT_LE(cws_calls, 1);
    if (round % 2 == 0)
      ASSERT_EQ(cws_calls, 1);
    /* Drain anything the sender's last send left behind. */
    ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));
    ASSERT_OK(uv_loop_close(&loop));
  }
}

/* Many handles on one loop, each sent once from one of several threads:
 * every one gets its callback, and only sent handles get one. */
enum { MH_HANDLES = 1000, MH_THREADS = 4 };
static uv_async_t mh_async[MH_HANDLES];
static int mh_sent[MH_HANDLES];
static int mh_calls[MH_HANDLES];
static int mh_unsent_calls;

static void mh_cb(uv_async_t* h) {
  int i = (int) (h - mh_async);
  if (!__atomic_load_n(&mh_sent[i], __ATOMIC_ACQUIRE))
    mh_unsent_calls++;
  mh_calls[i]++;
  uv_close((uv_handle_t*) h, NULL);
}

static void mh_sender(void* arg) {
  int t = (int) (intptr_t) arg;
  int i;
  for (i = MH_HANDLES - 1 - t; i >= 0; i -= MH_THREADS) {
    __atomic_store_n(&mh_sent[i], 1, __ATOMIC_RELEASE);
    ASSERT_OK(uv_async_send(&mh_async[i]));
    if (i % 64 == 0)
      uv_sleep(1);
  }
}

TEST(async_many_handles_each_woken) {
  uv_loop_t loop;
  uv_thread_t tids[MH_THREADS];
  int i;

  memset(mh_sent, 0, sizeof(mh_sent));
  memset(mh_calls, 0, sizeof(mh_calls));
  mh_unsent_calls = 0;
  ASSERT_OK(uv_loop_init(&loop));
  for (i = 0; i < MH_HANDLES; i++)
    ASSERT_OK(uv_async_init(&loop, &mh_async[i], mh_cb));
  for (i = 0; i < MH_THREADS; i++)
    ASSERT_OK(uv_thread_create(&tids[i], mh_sender, (void*) (intptr_t) i));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  for (i = 0; i < MH_THREADS; i++)
    ASSERT_OK(uv_thread_join(&tids[i]));
  ASSERT_EQ(mh_unsent_calls, 0);
  for (i = 0; i < MH_HANDLES; i++)
    ASSERT_EQ(mh_calls[i], 1);
  ASSERT_OK(uv_loop_close(&loop));
}
