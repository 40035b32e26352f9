/* Async round trips between the main loop and P threads, each running its own loop: the main
 * loop wakes thread i with uv_async_send, thread i's callback answers on its own handle in
 * the main loop, and so on, N round trips in total (N/P per thread). One message is in flight
 * per direction per thread, so every send produces exactly one callback. Reports round trips
 * per second.
 *
 *   async_pingpong P [round_trips=400000] */
#include "bench.h"

typedef struct {
  uv_thread_t thread;
  uv_loop_t loop;
  uv_async_t to_thread; /* lives in the thread's loop */
  uv_async_t to_main;   /* lives in the main loop */
  long count;           /* round trips completed (main loop) */
  long seen;            /* callbacks seen (thread loop) */
  int stop;             /* set by main before the final send; atomic */
} pair_t;

static pair_t pairs[64];
static long per_thread;

static void thread_cb(uv_async_t* h) {
  pair_t* p = (pair_t*) h->data;
  if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
    uv_close((uv_handle_t*) h, NULL);
    return;
  }
  p->seen++;
  UVOK(uv_async_send(&p->to_main));
}

static void main_cb(uv_async_t* h) {
  pair_t* p = (pair_t*) h->data;
  if (++p->count == per_thread) {
    __atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
    uv_close((uv_handle_t*) h, NULL);
  }
  UVOK(uv_async_send(&p->to_thread));
}

static void thread_main(void* arg) {
  pair_t* p = (pair_t*) arg;
  UVOK(uv_run(&p->loop, UV_RUN_DEFAULT));
  UVOK(uv_loop_close(&p->loop));
}

int main(int argc, char** argv) {
  uv_loop_t loop;
  uint64_t t0, t1;
  int n, i;

  bench_identify();
  n = (int) bench_arg(argc, argv, 1, 1);
  CHECK(n <= 64);
  per_thread = bench_arg(argc, argv, 2, 400000) / n;
  UVOK(uv_loop_init(&loop));
  for (i = 0; i < n; i++) {
    pair_t* p = &pairs[i];
    UVOK(uv_loop_init(&p->loop));
    UVOK(uv_async_init(&p->loop, &p->to_thread, thread_cb));
    UVOK(uv_async_init(&loop, &p->to_main, main_cb));
    p->to_thread.data = p;
    p->to_main.data = p;
  }
  for (i = 0; i < n; i++)
    UVOK(uv_thread_create(&pairs[i].thread, thread_main, &pairs[i]));
  t0 = uv_hrtime();
  for (i = 0; i < n; i++)
    UVOK(uv_async_send(&pairs[i].to_thread));
  UVOK(uv_run(&loop, UV_RUN_DEFAULT));
  t1 = uv_hrtime();
  for (i = 0; i < n; i++) {
    UVOK(uv_thread_join(&pairs[i].thread));
    CHECK(pairs[i].count == per_thread);
    CHECK(pairs[i].seen == per_thread);
  }
  UVOK(uv_loop_close(&loop));
  bench_result("async_pingpong", per_thread * n / bench_seconds(t0, t1), "roundtrips/s", 1);
  return 0;
}
