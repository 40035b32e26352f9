/* Async wake-ups under contention: P producer threads call uv_async_send on one handle in a
 * tight loop while the loop thread runs the callbacks (sends that arrive while one is
 * pending coalesce into one callback, as libuv documents). Fixed work: the run ends when the
 * loop has run N callbacks, each one a full wake-up cycle. Reports callbacks per second
 * (the number of sends goes to stderr).
 *
 *   async_pummel P [callbacks=200000] */
#include "bench.h"

static uv_async_t async;
static uv_barrier_t start;
static uv_thread_t threads[64];
static long target, callbacks;
static long sends; /* atomic */
static int producers;
static int stop; /* atomic */

static void producer(void* arg) {
  long n = 0;
  (void) arg;
  uv_barrier_wait(&start);
  while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
    UVOK(uv_async_send(&async));
    n++;
  }
  __atomic_add_fetch(&sends, n, __ATOMIC_RELAXED);
}

static void async_cb(uv_async_t* h) {
  int i;
  if (++callbacks < target)
    return;
  /* No producer may touch the handle once it is closing: stop and join them first. */
  __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
  for (i = 0; i < producers; i++)
    UVOK(uv_thread_join(&threads[i]));
  uv_close((uv_handle_t*) h, NULL);
}

int main(int argc, char** argv) {
  uv_loop_t loop;
  uint64_t t0, t1;
  int i;

  bench_identify();
  producers = (int) bench_arg(argc, argv, 1, 1);
  target = bench_arg(argc, argv, 2, 200000);
  CHECK(producers <= 64);
  UVOK(uv_loop_init(&loop));
  UVOK(uv_async_init(&loop, &async, async_cb));
  UVOK(uv_barrier_init(&start, producers + 1));
  for (i = 0; i < producers; i++)
    UVOK(uv_thread_create(&threads[i], producer, NULL));
  t0 = uv_hrtime();
  uv_barrier_wait(&start);
  UVOK(uv_run(&loop, UV_RUN_DEFAULT));
  t1 = uv_hrtime();
  uv_barrier_destroy(&start);
  CHECK(callbacks == target);
  UVOK(uv_loop_close(&loop));
  fprintf(stderr, "%ld callbacks, %ld sends in %.3fs\n", callbacks,
          __atomic_load_n(&sends, __ATOMIC_RELAXED), bench_seconds(t0, t1));
  bench_result("async_pummel", callbacks / bench_seconds(t0, t1), "callbacks/s", 1);
  return 0;
}
