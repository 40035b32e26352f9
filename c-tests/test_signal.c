/* Signal handles: delivery of raise()/kill() to started handles, several
 * handles and several loops for one signal, one-shot handles, stop and close
 * (no delivery afterwards, the previous disposition back), invalid signal
 * numbers, loops on other threads.
 *
 * Every expectation holds on libuv 1.52.1 too.  Where rsuv is stricter
 * (after the last handle stops it puts back the program's own previous
 * handler, libuv installs SIG_DFL) the test accepts both. */
#include "test.h"

#include <uv.h>

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sig_ctx {
  uv_signal_t h;
  int calls;
  int last_signum;
  int close_after;   /* close the handle after this many calls (0: never) */
  int closed;
};

static void sig_count_cb(uv_signal_t* h, int signum) {
  struct sig_ctx* c = (struct sig_ctx*) h->data;
  c->calls++;
  c->last_signum = signum;
  if (c->close_after != 0 && c->calls == c->close_after)
    uv_close((uv_handle_t*) h, NULL);
}

static void sig_ctx_init(uv_loop_t* loop, struct sig_ctx* c) {
  memset(c, 0, sizeof(*c));
  ASSERT_OK(uv_signal_init(loop, &c->h));
  c->h.data = c;
}

static void sig_close_cb(uv_handle_t* h) {
  struct sig_ctx* c = (struct sig_ctx*) h->data;
  c->closed++;
}

static void sig_close_walk_cb(uv_handle_t* h, void* arg) {
  (void) arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

static void sig_teardown(uv_loop_t* loop) {
  uv_walk(loop, sig_close_walk_cb, NULL);
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(loop));
}

/* Runs the loop until *flag becomes nonzero (at most ~5 s). */
static void sig_run_until(uv_loop_t* loop, const int* flag) {
  int i;
  for (i = 0; i < 5000 && *flag == 0; i++) {
    uv_run(loop, UV_RUN_NOWAIT);
    if (*flag == 0)
      usleep(1000);
  }
  ASSERT_NE(*flag, 0);
}

static void (*sig_current_handler(int signum))(int) {
  struct sigaction sa;
  ASSERT_OK(sigaction(signum, NULL, &sa));
  return sa.sa_handler;
}

/* ---- delivery ------------------------------------------------------------------- */

TEST(signal_raise_delivers_to_started_handle) {
  uv_loop_t loop;
  struct sig_ctx c;

  ASSERT_OK(uv_loop_init(&loop));
  sig_ctx_init(&loop, &c);
  ASSERT_EQ(c.h.type, UV_SIGNAL);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &c.h), 0);
  ASSERT_OK(uv_signal_start(&c.h, sig_count_cb, SIGUSR1));
  ASSERT_EQ(c.h.signum, SIGUSR1);
  ASSERT_NE(uv_is_active((uv_handle_t*) &c.h), 0);

  ASSERT_OK(raise(SIGUSR1));
  ASSERT_EQ(c.calls, 0);  /* never from inside the handler */
  c.close_after = 1;
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));  /* the callback closes it */
  ASSERT_EQ(c.calls, 1);
  ASSERT_EQ(c.last_signum, SIGUSR1);
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(signal_kill_self_and_counts) {
  uv_loop_t loop;
  struct sig_ctx c;
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  sig_ctx_init(&loop, &c);
  ASSERT_OK(uv_signal_start(&c.h, sig_count_cb, SIGUSR2));
  /* Each kill is handled before the next: three deliveries. */
  for (i = 1; i <= 3; i++) {
    ASSERT_OK(uv_kill(getpid(), SIGUSR2));
    while (c.calls < i)
      ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
    ASSERT_EQ(c.calls, i);
  }
  ASSERT_EQ(c.last_signum, SIGUSR2);
  ASSERT_EQ(c.h.caught_signals, 3);
  ASSERT_EQ(c.h.dispatched_signals, 3);
  sig_teardown(&loop);
}

TEST(signal_active_handle_keeps_loop_alive_unref_does_not) {
  uv_loop_t loop;
  struct sig_ctx c;

  ASSERT_OK(uv_loop_init(&loop));
  sig_ctx_init(&loop, &c);
  ASSERT_EQ(uv_loop_alive(&loop), 0);  /* the loop's internal handles don't count */
  ASSERT_OK(uv_signal_start(&c.h, sig_count_cb, SIGUSR1));
  ASSERT_NE(uv_loop_alive(&loop), 0);
  uv_unref((uv_handle_t*) &c.h);
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(c.calls, 0);
  uv_close((uv_handle_t*) &c.h, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(signal_two_handles_one_loop) {
  uv_loop_t loop;
  struct sig_ctx a, b, other;

  ASSERT_OK(uv_loop_init(&loop));
  sig_ctx_init(&loop, &a);
  sig_ctx_init(&loop, &b);
  sig_ctx_init(&loop, &other);
  ASSERT_OK(uv_signal_start(&a.h, sig_count_cb, SIGUSR1));
  ASSERT_OK(uv_signal_start(&b.h, sig_count_cb, SIGUSR1));
  ASSERT_OK(uv_signal_start(&other.h, sig_count_cb, SIGUSR2));
  a.close_after = 1;
  b.close_after = 1;
  ASSERT_OK(raise(SIGUSR1));
  sig_run_until(&loop, &a.calls);
  sig_run_until(&loop, &b.calls);
  ASSERT_EQ(a.calls, 1);
  ASSERT_EQ(b.calls, 1);
  ASSERT_EQ(other.calls, 0);  /* another signal number: not told */
  sig_teardown(&loop);
}

TEST(signal_two_loops_both_receive) {
  uv_loop_t l1, l2;
  struct sig_ctx a, b;

  ASSERT_OK(uv_loop_init(&l1));
  ASSERT_OK(uv_loop_init(&l2));
  sig_ctx_init(&l1, &a);
  sig_ctx_init(&l2, &b);
  ASSERT_OK(uv_signal_start(&a.h, sig_count_cb, SIGUSR1));
  ASSERT_OK(uv_signal_start(&b.h, sig_count_cb, SIGUSR1));
  ASSERT_OK(raise(SIGUSR1));
  sig_run_until(&l1, &a.calls);
  sig_run_until(&l2, &b.calls);
  ASSERT_EQ(a.calls, 1);
  ASSERT_EQ(b.calls, 1);

  /* Stopping one loop's handle leaves the other one's working. */
  ASSERT_OK(uv_signal_stop(&a.h));
  ASSERT_OK(raise(SIGUSR1));
  sig_run_until(&l2, &b.calls);
  while (b.calls < 2)
    uv_run(&l2, UV_RUN_ONCE);
  uv_run(&l1, UV_RUN_NOWAIT);
  ASSERT_EQ(a.calls, 1);
  ASSERT_EQ(b.calls, 2);
  sig_teardown(&l1);
  sig_teardown(&l2);
}

TEST(signal_restart_with_other_signum) {
  uv_loop_t loop;
  struct sig_ctx c;

  ASSERT_OK(uv_loop_init(&loop));
  sig_ctx_init(&loop, &c);
  ASSERT_OK(uv_signal_start(&c.h, sig_count_cb, SIGUSR1));
  ASSERT_OK(uv_signal_start(&c.h, sig_count_cb, SIGUSR1));  /* same: no-op */
  ASSERT_OK(uv_signal_start(&c.h, sig_count_cb, SIGWINCH));
  ASSERT_EQ(c.h.signum, SIGWINCH);
  /* SIGUSR1 is nobody's any more: its default disposition is back. */
  ASSERT(sig_current_handler(SIGUSR1) == SIG_DFL);
  c.close_after = 1;
  ASSERT_OK(raise(SIGWINCH));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(c.calls, 1);
  ASSERT_EQ(c.last_signum, SIGWINCH);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- one-shot ------------------------------------------------------------------- */

TEST(signal_oneshot_delivers_once) {
  uv_loop_t loop;
  struct sig_ctx c;

  ASSERT_OK(uv_loop_init(&loop));
  sig_ctx_init(&loop, &c);
  ASSERT_OK(uv_signal_start_oneshot(&c.h, sig_count_cb, SIGWINCH));
  ASSERT_OK(raise(SIGWINCH));
  ASSERT_OK(raise(SIGWINCH));  /* the handler reset itself: default (ignored) */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));  /* returns: the handle stopped itself */
  ASSERT_EQ(c.calls, 1);
  ASSERT_EQ(c.last_signum, SIGWINCH);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &c.h), 0);
  ASSERT(sig_current_handler(SIGWINCH) == SIG_DFL);

  /* It can be started again, for one more delivery. */
  ASSERT_OK(uv_signal_start_oneshot(&c.h, sig_count_cb, SIGWINCH));
  ASSERT_OK(raise(SIGWINCH));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(c.calls, 2);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &c.h), 0);
  sig_teardown(&loop);
}

TEST(signal_oneshot_and_regular_together) {
  uv_loop_t loop;
  struct sig_ctx once, always;

  ASSERT_OK(uv_loop_init(&loop));
  sig_ctx_init(&loop, &once);
  sig_ctx_init(&loop, &always);
  ASSERT_OK(uv_signal_start_oneshot(&once.h, sig_count_cb, SIGUSR1));
  ASSERT_OK(uv_signal_start(&always.h, sig_count_cb, SIGUSR1));
  ASSERT_OK(raise(SIGUSR1));
  sig_run_until(&loop, &once.calls);
  sig_run_until(&loop, &always.calls);
  /* A regular handle still wants SIGUSR1: the handler stays, so a second
   * SIGUSR1 is caught (not the default "terminate"). */
  ASSERT_OK(raise(SIGUSR1));
  while (always.calls < 2)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_EQ(once.calls, 1);
  ASSERT_EQ(always.calls, 2);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &once.h), 0);
  sig_teardown(&loop);
  ASSERT(sig_current_handler(SIGUSR1) == SIG_DFL);
}

/* ---- stop, close, dispositions ------------------------------------------------------ */

TEST(signal_stop_stops_delivery_and_restores_default) {
  uv_loop_t loop;
  struct sig_ctx c;
  sigset_t set, old;

  ASSERT(sig_current_handler(SIGUSR1) == SIG_DFL);
  ASSERT_OK(uv_loop_init(&loop));
  sig_ctx_init(&loop, &c);
  ASSERT_OK(uv_signal_start(&c.h, sig_count_cb, SIGUSR1));
  ASSERT(sig_current_handler(SIGUSR1) != SIG_DFL);
  ASSERT_OK(uv_signal_stop(&c.h));
  ASSERT_OK(uv_signal_stop(&c.h));  /* twice: fine */
  ASSERT_EQ(uv_is_active((uv_handle_t*) &c.h), 0);
  ASSERT(sig_current_handler(SIGUSR1) == SIG_DFL);

  /* Stopped: a SIGUSR1 would now terminate us; keep it pending instead and
   * check nothing reaches the handle. */
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  ASSERT_OK(pthread_sigmask(SIG_BLOCK, &set, &old));
  ASSERT_OK(raise(SIGUSR1));
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));
  ASSERT_EQ(c.calls, 0);
  ASSERT_OK(sigpending(&set));
  ASSERT_EQ(sigismember(&set, SIGUSR1), 1);

  /* Started again, the pending signal is delivered when unblocked. */
  ASSERT_OK(uv_signal_start(&c.h, sig_count_cb, SIGUSR1));
  c.close_after = 1;
  ASSERT_OK(pthread_sigmask(SIG_SETMASK, &old, NULL));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(c.calls, 1);
  ASSERT_OK(uv_loop_close(&loop));
}

static volatile sig_atomic_t sig_own_handler_calls;
static void sig_own_handler(int signum) {
  (void) signum;
  sig_own_handler_calls++;
}

TEST(signal_stop_removes_our_handler) {
  uv_loop_t loop;
  struct sig_ctx c;
  struct sigaction sa;
  void (*after)(int);

  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = sig_own_handler;
  sigemptyset(&sa.sa_mask);
  ASSERT_OK(sigaction(SIGUSR2, &sa, NULL));

  ASSERT_OK(uv_loop_init(&loop));
  sig_ctx_init(&loop, &c);
  ASSERT_OK(uv_signal_start(&c.h, sig_count_cb, SIGUSR2));
  ASSERT(sig_current_handler(SIGUSR2) != sig_own_handler);
  ASSERT_OK(raise(SIGUSR2));
  sig_run_until(&loop, &c.calls);
  ASSERT_EQ(sig_own_handler_calls, 0);  /* the loop got it, not the old handler */
  ASSERT_OK(uv_signal_stop(&c.h));

  /* rsuv puts the program's previous handler back; libuv installs SIG_DFL. */
  after = sig_current_handler(SIGUSR2);
  ASSERT(after == sig_own_handler || after == SIG_DFL);
  if (after == sig_own_handler) {
    ASSERT_OK(raise(SIGUSR2));
    ASSERT_EQ(sig_own_handler_calls, 1);
  }
  ASSERT_EQ(c.calls, 1);
  sig_teardown(&loop);
  ASSERT(signal(SIGUSR2, SIG_DFL) != SIG_ERR);
}

TEST(signal_close_drops_undelivered) {
  uv_loop_t loop;
  struct sig_ctx c, other;

  ASSERT_OK(uv_loop_init(&loop));
  sig_ctx_init(&loop, &c);
  sig_ctx_init(&loop, &other);
  ASSERT_OK(uv_signal_start(&c.h, sig_count_cb, SIGUSR1));
  ASSERT_OK(uv_signal_start(&other.h, sig_count_cb, SIGUSR1));
  ASSERT_OK(raise(SIGUSR1));  /* caught, not yet dispatched */
  ASSERT_OK(raise(SIGUSR1));
  uv_close((uv_handle_t*) &c.h, sig_close_cb);
  other.close_after = 1;
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(c.calls, 0);       /* closed with signals pending: none delivered */
  ASSERT_EQ(c.closed, 1);
  ASSERT_GE(other.calls, 1);   /* the other handle still got its own */
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(signal_close_in_callback_of_other_handle) {
  uv_loop_t loop;
  struct sig_ctx a, b;

  ASSERT_OK(uv_loop_init(&loop));
  sig_ctx_init(&loop, &a);
  sig_ctx_init(&loop, &b);
  /* a's callback closes a (close_after) and b is closed from outside before
   * its message is read. */
  ASSERT_OK(uv_signal_start(&a.h, sig_count_cb, SIGUSR1));
  ASSERT_OK(uv_signal_start(&b.h, sig_count_cb, SIGUSR1));
  a.close_after = 1;
  ASSERT_OK(raise(SIGUSR1));
  uv_close((uv_handle_t*) &b.h, sig_close_cb);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(a.calls, 1);
  ASSERT_EQ(b.calls, 0);
  ASSERT_EQ(b.closed, 1);
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(signal_invalid_signums) {
  uv_loop_t loop;
  struct sig_ctx c;

  ASSERT_OK(uv_loop_init(&loop));
  sig_ctx_init(&loop, &c);
  ASSERT_EQ(uv_signal_start(&c.h, sig_count_cb, 0), UV_EINVAL);
  ASSERT_EQ(uv_signal_start(&c.h, sig_count_cb, -1), UV_EINVAL);
  ASSERT_EQ(uv_signal_start(&c.h, sig_count_cb, 65), UV_EINVAL);
  ASSERT_EQ(uv_signal_start(&c.h, sig_count_cb, 4096), UV_EINVAL);
  ASSERT_EQ(uv_signal_start(&c.h, sig_count_cb, SIGKILL), UV_EINVAL);
  ASSERT_EQ(uv_signal_start(&c.h, sig_count_cb, SIGSTOP), UV_EINVAL);
  ASSERT_EQ(uv_signal_start_oneshot(&c.h, sig_count_cb, 0), UV_EINVAL);
  ASSERT_EQ(uv_signal_start_oneshot(&c.h, sig_count_cb, SIGKILL), UV_EINVAL);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &c.h), 0);
  ASSERT_EQ(c.h.signum, 0);
  /* The handle is still usable. */
  ASSERT_OK(uv_signal_start(&c.h, sig_count_cb, SIGUSR1));
  ASSERT_EQ(uv_kill(getpid(), 0), 0);
  ASSERT_EQ(uv_kill(getpid(), -1), UV_EINVAL);
  ASSERT_EQ(uv_kill(getpid(), 4096), UV_EINVAL);
  sig_teardown(&loop);
}

TEST(signal_loop_close_with_internal_handles_only) {
  /* Many loops with signal handles, created and closed: nothing leaks into
   * the process-wide state (a later signal reaches only live handles). */
  uv_loop_t loop, keep;
  struct sig_ctx c, k;
  int i;

  ASSERT_OK(uv_loop_init(&keep));
  sig_ctx_init(&keep, &k);
  ASSERT_OK(uv_signal_start(&k.h, sig_count_cb, SIGUSR1));
  for (i = 0; i < 50; i++) {
    ASSERT_OK(uv_loop_init(&loop));
    sig_ctx_init(&loop, &c);
    ASSERT_OK(uv_signal_start(&c.h, sig_count_cb, SIGUSR1));
    uv_close((uv_handle_t*) &c.h, NULL);
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    ASSERT_OK(uv_loop_close(&loop));
    memset(&loop, 0xa5, sizeof(loop));  /* a stale pointer would now crash */
  }
  k.close_after = 1;
  ASSERT_OK(raise(SIGUSR1));
  ASSERT_OK(uv_run(&keep, UV_RUN_DEFAULT));
  ASSERT_EQ(k.calls, 1);
  ASSERT_OK(uv_loop_close(&keep));
}

/* ---- loops on other threads ---------------------------------------------------------- */

#define SIG_THREADS 4

struct sig_thread {
  uv_thread_t tid;
  uv_loop_t loop;
  struct sig_ctx c;
  uv_sem_t* ready;
};

static void sig_thread_main(void* arg) {
  struct sig_thread* t = (struct sig_thread*) arg;
  ASSERT_OK(uv_loop_init(&t->loop));
  sig_ctx_init(&t->loop, &t->c);
  t->c.close_after = 1;
  ASSERT_OK(uv_signal_start(&t->c.h, sig_count_cb, SIGUSR1));
  uv_sem_post(t->ready);
  ASSERT_OK(uv_run(&t->loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&t->loop));
}

TEST(signal_loops_on_threads_all_receive) {
  struct sig_thread t[SIG_THREADS];
  uv_sem_t ready;
  sigset_t all;
  int i;

  ASSERT_OK(uv_sem_init(&ready, 0));
  for (i = 0; i < SIG_THREADS; i++) {
    t[i].ready = &ready;
    ASSERT_OK(uv_thread_create(&t[i].tid, sig_thread_main, &t[i]));
  }
  for (i = 0; i < SIG_THREADS; i++)
    uv_sem_wait(&ready);
  /* The handler then runs on one of the loop threads, not on this one. */
  sigfillset(&all);
  ASSERT_OK(pthread_sigmask(SIG_SETMASK, &all, NULL));
  ASSERT_OK(kill(getpid(), SIGUSR1));
  for (i = 0; i < SIG_THREADS; i++) {
    ASSERT_OK(uv_thread_join(&t[i].tid));
    ASSERT_EQ(t[i].c.calls, 1);
    ASSERT_EQ(t[i].c.last_signum, SIGUSR1);
  }
  uv_sem_destroy(&ready);
  sigemptyset(&all);
  ASSERT_OK(pthread_sigmask(SIG_SETMASK, &all, NULL));
}
