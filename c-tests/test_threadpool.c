/* The threadpool, as a libuv user calls it: uv_queue_work, uv_cancel on a
 * uv_work_t, and the UV_THREADPOOL_SIZE environment variable.
 *
 * Every test runs in a fresh forked process, and the pool starts on first
 * use, so a test may set UV_THREADPOOL_SIZE before queueing its first work. */
#include "test.h"

#include <uv.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TP_NS_PER_MS UINT64_C(1000000)

static void tp_set_size(const char* size) {
  if (size == NULL)
    ASSERT_OK(unsetenv("UV_THREADPOOL_SIZE"));
  else
    ASSERT_OK(setenv("UV_THREADPOOL_SIZE", size, 1));
}

/* ---- basics ------------------------------------------------------------------- */

static uv_thread_t tp_work_tid;
static uv_thread_t tp_after_tid;
static int tp_work_calls;
static int tp_after_calls;
static int tp_after_status;
static uv_work_t* tp_after_req;

static void tp_record_work_cb(uv_work_t* req) {
  (void) req;
  tp_work_tid = uv_thread_self();
  __atomic_fetch_add(&tp_work_calls, 1, __ATOMIC_SEQ_CST);
}

static void tp_record_after_cb(uv_work_t* req, int status) {
  tp_after_tid = uv_thread_self();
  tp_after_calls++;
  tp_after_status = status;
  tp_after_req = req;
}

static void tp_reset(void) {
  tp_work_calls = 0;
  tp_after_calls = 0;
  tp_after_status = 12345;
  tp_after_req = NULL;
}

TEST(threadpool_work_runs_off_loop_thread) {
  uv_loop_t loop;
  uv_work_t req;
  uv_thread_t self = uv_thread_self();
  int marker;

  tp_reset();
  ASSERT_OK(uv_loop_init(&loop));
  req.data = &marker;
  ASSERT_OK(uv_queue_work(&loop, &req, tp_record_work_cb, tp_record_after_cb));
  ASSERT_EQ(req.type, UV_WORK);
  ASSERT_EQ(req.loop, &loop);
  ASSERT_EQ(req.data, &marker);
  ASSERT_NE(uv_loop_alive(&loop), 0);  /* pending work keeps the loop alive */
  ASSERT_EQ(tp_after_calls, 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(tp_work_calls, 1);
  ASSERT_EQ(tp_after_calls, 1);
  ASSERT_EQ(tp_after_status, 0);
  ASSERT_EQ(tp_after_req, &req);
  ASSERT(!uv_thread_equal(&tp_work_tid, &self));
  ASSERT(uv_thread_equal(&tp_after_tid, &self));
  ASSERT_OK(uv_loop_alive(&loop));
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(threadpool_null_callbacks) {
  uv_loop_t loop;
  uv_work_t req;

  tp_reset();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_EQ(uv_queue_work(&loop, &req, NULL, tp_record_after_cb), UV_EINVAL);
  ASSERT_OK(uv_loop_alive(&loop));  /* nothing was queued */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(tp_after_calls, 0);

  /* No after_work_cb is fine. */
  ASSERT_OK(uv_queue_work(&loop, &req, tp_record_work_cb, NULL));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(tp_work_calls, 1);
  ASSERT_EQ(tp_after_calls, 0);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- pending work and the loop ------------------------------------------------- */

static uv_sem_t tp_block;
static uv_sem_t tp_started;

static void tp_blocking_work_cb(uv_work_t* req) {
  (void) req;
  uv_sem_post(&tp_started);
  uv_sem_wait(&tp_block);
  __atomic_fetch_add(&tp_work_calls, 1, __ATOMIC_SEQ_CST);
}

TEST(threadpool_pending_work_keeps_loop_busy) {
  uv_loop_t loop;
  uv_work_t req;

  tp_reset();
  ASSERT_OK(uv_sem_init(&tp_block, 0));
  ASSERT_OK(uv_sem_init(&tp_started, 0));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_queue_work(&loop, &req, tp_blocking_work_cb, tp_record_after_cb));
  uv_sem_wait(&tp_started);
  ASSERT_NE(uv_loop_alive(&loop), 0);
  ASSERT_EQ(uv_loop_close(&loop), UV_EBUSY);
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(tp_after_calls, 0);
  uv_sem_post(&tp_block);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));  /* waits for the work */
  ASSERT_EQ(tp_after_calls, 1);
  ASSERT_EQ(tp_after_status, 0);
  ASSERT_OK(uv_loop_close(&loop));
  uv_sem_destroy(&tp_block);
  uv_sem_destroy(&tp_started);
}

/* ---- uv_cancel ------------------------------------------------------------------ */

static int tp_statuses[8];
static int tp_cancel_in_after;
static void tp_index_after_cb(uv_work_t* req, int status) {
  int i = (int) (intptr_t) req->data;
  tp_statuses[i] = status;
  tp_after_calls++;
  /* The work is done: too late to cancel. */
  if (status == 0)
    tp_cancel_in_after = uv_cancel((uv_req_t*) req);
}
static void tp_must_not_run_cb(uv_work_t* req) {
  (void) req;
  __atomic_fetch_add(&tp_work_calls, 1000, __ATOMIC_SEQ_CST);
}
static void tp_plain_work_cb(uv_work_t* req) {
  (void) req;
  __atomic_fetch_add(&tp_work_calls, 1, __ATOMIC_SEQ_CST);
}

TEST(threadpool_cancel_queued_work) {
  uv_loop_t loop;
  uv_work_t reqs[6];
  int i;

  tp_set_size("4");
  tp_reset();
  tp_cancel_in_after = 12345;
  for (i = 0; i < 8; i++)
    tp_statuses[i] = 12345;
  ASSERT_OK(uv_sem_init(&tp_block, 0));
  ASSERT_OK(uv_sem_init(&tp_started, 0));
  ASSERT_OK(uv_loop_init(&loop));
  for (i = 0; i < 6; i++)
    reqs[i].data = (void*) (intptr_t) i;

  /* Occupy all four threads. */
  for (i = 0; i < 4; i++)
    ASSERT_OK(uv_queue_work(&loop, &reqs[i], tp_blocking_work_cb, tp_index_after_cb));
  for (i = 0; i < 4; i++)
    uv_sem_wait(&tp_started);
  ASSERT_OK(uv_queue_work(&loop, &reqs[4], tp_must_not_run_cb, tp_index_after_cb));
  ASSERT_OK(uv_queue_work(&loop, &reqs[5], tp_plain_work_cb, tp_index_after_cb));

  ASSERT_OK(uv_cancel((uv_req_t*) &reqs[4]));               /* not started */
  ASSERT_EQ(uv_cancel((uv_req_t*) &reqs[0]), UV_EBUSY);     /* running */
  ASSERT_EQ(uv_cancel((uv_req_t*) &reqs[3]), UV_EBUSY);
  ASSERT_EQ(tp_after_calls, 0);  /* the cancelled callback comes from the loop */

  for (i = 0; i < 4; i++)
    uv_sem_post(&tp_block);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(tp_after_calls, 6);
  ASSERT_EQ(tp_work_calls, 5);  /* 4 blocking + reqs[5]; reqs[4] never ran */
  for (i = 0; i < 6; i++)
    ASSERT_EQ(tp_statuses[i], i == 4 ? UV_ECANCELED : 0);
  ASSERT_EQ(tp_cancel_in_after, UV_EBUSY);
  ASSERT_OK(uv_loop_close(&loop));
  uv_sem_destroy(&tp_block);
  uv_sem_destroy(&tp_started);
}

TEST(threadpool_cancel_only_after_callback_keeps_loop_alive) {
  uv_loop_t loop;
  uv_work_t blockers[4];
  uv_work_t victim;
  int i;

  tp_set_size("4");
  tp_reset();
  ASSERT_OK(uv_sem_init(&tp_block, 0));
  ASSERT_OK(uv_sem_init(&tp_started, 0));
  ASSERT_OK(uv_loop_init(&loop));
  for (i = 0; i < 4; i++)
    ASSERT_OK(uv_queue_work(&loop, &blockers[i], tp_blocking_work_cb, NULL));
  for (i = 0; i < 4; i++)
    uv_sem_wait(&tp_started);
  ASSERT_OK(uv_queue_work(&loop, &victim, tp_must_not_run_cb, tp_record_after_cb));
  ASSERT_OK(uv_cancel((uv_req_t*) &victim));
  /* Until its callback has run, the cancelled request is still pending. */
  ASSERT_EQ(uv_loop_close(&loop), UV_EBUSY);
  for (i = 0; i < 4; i++)
    uv_sem_post(&tp_block);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(tp_after_calls, 1);
  ASSERT_EQ(tp_after_status, UV_ECANCELED);
  ASSERT_EQ(tp_work_calls, 4);
  ASSERT_OK(uv_loop_close(&loop));
  uv_sem_destroy(&tp_block);
  uv_sem_destroy(&tp_started);
}

TEST(threadpool_cancel_other_request_types) {
  uv_connect_t connect;
  uv_write_t write_req;
  uv_shutdown_t shutdown;
  uv_udp_send_t send;

  memset(&connect, 0, sizeof(connect));
  memset(&write_req, 0, sizeof(write_req));
  memset(&shutdown, 0, sizeof(shutdown));
  memset(&send, 0, sizeof(send));
  connect.type = UV_CONNECT;
  write_req.type = UV_WRITE;
  shutdown.type = UV_SHUTDOWN;
  send.type = UV_UDP_SEND;
  ASSERT_EQ(uv_cancel((uv_req_t*) &connect), UV_EINVAL);
  ASSERT_EQ(uv_cancel((uv_req_t*) &write_req), UV_EINVAL);
  ASSERT_EQ(uv_cancel((uv_req_t*) &shutdown), UV_EINVAL);
  ASSERT_EQ(uv_cancel((uv_req_t*) &send), UV_EINVAL);
}

/* ---- pool size ------------------------------------------------------------------- */

static int tp_active;
static int tp_max_active;

static void tp_concurrency_work_cb(uv_work_t* req) {
  int now = __atomic_add_fetch(&tp_active, 1, __ATOMIC_SEQ_CST);
  int max = __atomic_load_n(&tp_max_active, __ATOMIC_SEQ_CST);
  (void) req;
  while (now > max &&
         !__atomic_compare_exchange_n(&tp_max_active, &max, now, 0,
                                      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
    ;
  uv_sleep(25);
  __atomic_fetch_sub(&tp_active, 1, __ATOMIC_SEQ_CST);
  __atomic_fetch_add(&tp_work_calls, 1, __ATOMIC_SEQ_CST);
}

static void tp_count_after_cb(uv_work_t* req, int status) {
  (void) req;
  if (status == 0)
    tp_after_calls++;
}

/* Queues n items that each sleep 25 ms; returns the peak concurrency. */
static int tp_measure_concurrency(int n) {
  uv_loop_t loop;
  uv_work_t* reqs;
  int i;

  tp_reset();
  tp_active = tp_max_active = 0;
  reqs = (uv_work_t*) calloc((size_t) n, sizeof(*reqs));
  ASSERT_NOT_NULL(reqs);
  ASSERT_OK(uv_loop_init(&loop));
  for (i = 0; i < n; i++)
    ASSERT_OK(uv_queue_work(&loop, &reqs[i], tp_concurrency_work_cb, tp_count_after_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(tp_work_calls, n);
  ASSERT_EQ(tp_after_calls, n);
  ASSERT_OK(uv_loop_close(&loop));
  free(reqs);
  return tp_max_active;
}

TEST(threadpool_default_size_is_4) {
  tp_set_size(NULL);
  ASSERT_EQ(tp_measure_concurrency(16), 4);
}

TEST(threadpool_size_from_env_2) {
  tp_set_size("2");
  ASSERT_EQ(tp_measure_concurrency(12), 2);
}

TEST(threadpool_size_from_env_1) {
  tp_set_size("1");
  ASSERT_EQ(tp_measure_concurrency(6), 1);
}

/* Eight items that only finish once all eight run at the same time: proves
 * the pool has (at least) eight threads; the peak shows it has no more. */
static void tp_rendezvous_work_cb(uv_work_t* req) {
  uint64_t deadline = uv_hrtime() + 5000 * TP_NS_PER_MS;
  int now = __atomic_add_fetch(&tp_active, 1, __ATOMIC_SEQ_CST);
  int max = __atomic_load_n(&tp_max_active, __ATOMIC_SEQ_CST);
  (void) req;
  while (now > max &&
         !__atomic_compare_exchange_n(&tp_max_active, &max, now, 0,
                                      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
    ;
  while (__atomic_load_n(&tp_max_active, __ATOMIC_SEQ_CST) < 8 &&
         uv_hrtime() < deadline)
    uv_sleep(1);
  uv_sleep(20);
  __atomic_fetch_sub(&tp_active, 1, __ATOMIC_SEQ_CST);
  __atomic_fetch_add(&tp_work_calls, 1, __ATOMIC_SEQ_CST);
}

TEST(threadpool_size_from_env_8) {
  uv_loop_t loop;
  uv_work_t reqs[16];
  int i;

  tp_set_size("8");
  tp_reset();
  tp_active = tp_max_active = 0;
  ASSERT_OK(uv_loop_init(&loop));
  for (i = 0; i < 16; i++)
    ASSERT_OK(uv_queue_work(&loop, &reqs[i], tp_rendezvous_work_cb, tp_count_after_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(tp_after_calls, 16);
  ASSERT_EQ(tp_max_active, 8);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- volume, chaining, several loops ------------------------------------------- */

static long tp_sum;
static int tp_sum_after;
static void tp_sum_work_cb(uv_work_t* req) {
  __atomic_fetch_add(&tp_sum, (long) (intptr_t) req->data, __ATOMIC_SEQ_CST);
}
static void tp_sum_after_cb(uv_work_t* req, int status) {
  (void) req;
  ASSERT_EQ(status, 0);
  tp_sum_after++;
}

TEST_TIMEOUT(threadpool_many_items, 60) {
  enum { N = 20000 };
  uv_loop_t loop;
  uv_work_t* reqs;
  int i;

  tp_sum = 0;
  tp_sum_after = 0;
  reqs = (uv_work_t*) calloc(N, sizeof(*reqs));
  ASSERT_NOT_NULL(reqs);
  ASSERT_OK(uv_loop_init(&loop));
  for (i = 0; i < N; i++) {
    reqs[i].data = (void*) (intptr_t) (i + 1);
    ASSERT_OK(uv_queue_work(&loop, &reqs[i], tp_sum_work_cb, tp_sum_after_cb));
  }
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(tp_sum_after, N);
  ASSERT_EQ(tp_sum, (long) N * (N + 1) / 2);
  ASSERT_OK(uv_loop_close(&loop));
  free(reqs);
}

static int tp_chain_left;
static void tp_chain_after_cb(uv_work_t* req, int status) {
  ASSERT_EQ(status, 0);
  if (--tp_chain_left > 0)
    ASSERT_OK(uv_queue_work(req->loop, req, tp_plain_work_cb, tp_chain_after_cb));
}

TEST(threadpool_queue_from_after_work_callback) {
  uv_loop_t loop;
  uv_work_t req;

  tp_reset();
  tp_chain_left = 200;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_queue_work(&loop, &req, tp_plain_work_cb, tp_chain_after_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(tp_chain_left, 0);
  ASSERT_EQ(tp_work_calls, 200);
  ASSERT_OK(uv_loop_close(&loop));
}

/* Two loops on two threads share the pool; each gets its own callbacks. */
struct tp_loop_thread {
  uv_loop_t loop;
  uv_work_t reqs[50];
  uv_thread_t tid;
  int after_calls;
  int wrong_thread;
  int run_result;
};

static void tp_lt_after_cb(uv_work_t* req, int status) {
  struct tp_loop_thread* lt = (struct tp_loop_thread*) req->loop->data;
  uv_thread_t self = uv_thread_self();
  if (status == 0)
    lt->after_calls++;
  if (!uv_thread_equal(&self, &lt->tid))
    lt->wrong_thread++;
}

static void tp_lt_main(void* arg) {
  struct tp_loop_thread* lt = (struct tp_loop_thread*) arg;
  int i;
  lt->tid = uv_thread_self();
  for (i = 0; i < 50; i++)
    ASSERT_OK(uv_queue_work(&lt->loop, &lt->reqs[i], tp_plain_work_cb, tp_lt_after_cb));
  lt->run_result = uv_run(&lt->loop, UV_RUN_DEFAULT);
}

TEST(threadpool_serves_several_loops) {
  struct tp_loop_thread* lts;
  uv_thread_t tids[2];
  int i;

  tp_reset();
  lts = (struct tp_loop_thread*) calloc(2, sizeof(*lts));
  ASSERT_NOT_NULL(lts);
  for (i = 0; i < 2; i++) {
    ASSERT_OK(uv_loop_init(&lts[i].loop));
    lts[i].loop.data = &lts[i];
    lts[i].run_result = -1;
  }
  for (i = 0; i < 2; i++)
    ASSERT_OK(uv_thread_create(&tids[i], tp_lt_main, &lts[i]));
  for (i = 0; i < 2; i++)
    ASSERT_OK(uv_thread_join(&tids[i]));
  for (i = 0; i < 2; i++) {
    ASSERT_EQ(lts[i].run_result, 0);
    ASSERT_EQ(lts[i].after_calls, 50);
    ASSERT_EQ(lts[i].wrong_thread, 0);
    ASSERT_OK(uv_loop_close(&lts[i].loop));
  }
  ASSERT_EQ(tp_work_calls, 100);
  free(lts);
}

/* How UV_THREADPOOL_SIZE is read (like atoi): 0 means 1, a number followed
 * by junk is that number, no number at all is 0, so 1. */
TEST(threadpool_size_from_env_zero_means_one) {
  tp_set_size("0");
  ASSERT_EQ(tp_measure_concurrency(6), 1);
}

TEST(threadpool_size_from_env_trailing_junk) {
  tp_set_size("3threads");
  ASSERT_EQ(tp_measure_concurrency(12), 3);
}

TEST(threadpool_size_from_env_not_a_number_means_one) {
  tp_set_size("many");
  ASSERT_EQ(tp_measure_concurrency(6), 1);
}

TEST(threadpool_size_from_env_empty_means_one) {
  tp_set_size("");
  ASSERT_EQ(tp_measure_concurrency(6), 1);
}
