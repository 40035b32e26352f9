/* Many async handles: N handles in one loop (1,000,000 by default), a producer thread sends
 * on every one of them in a scrambled order, then waits until the loop has run all N
 * callbacks; R rounds. Each handle is sent once per round, so there are exactly N*R
 * callbacks. Reports callbacks per second over init + rounds + close (phases on stderr).
 *
 *   million_async [handles=1000000] [rounds=3] */
#include "bench.h"

static uv_async_t* handles;
static long n, rounds, callbacks, closed;
static uv_sem_t round_done;

static void producer(void* arg) {
  long r, i, j;
  (void) arg;
  for (r = 0; r < rounds; r++) {
    /* i -> (i * 7919) mod n visits every handle once when gcd(7919, n) == 1. */
    for (i = 0, j = 0; i < n; i++, j = (j + 7919) % n)
      UVOK(uv_async_send(&handles[j]));
    uv_sem_wait(&round_done);
  }
}

static void close_cb(uv_handle_t* h) {
  (void) h;
  closed++;
}

static void async_cb(uv_async_t* h) {
  long i;
  CHECK(h->data == (void*) (uintptr_t) (callbacks / n)); /* once per round */
  h->data = (void*) (uintptr_t) (callbacks / n + 1);
  if (++callbacks % n != 0)
    return;
  if (callbacks / n == rounds) {
    for (i = 0; i < n; i++)
      uv_close((uv_handle_t*) &handles[i], close_cb);
  }
  uv_sem_post(&round_done);
}

int main(int argc, char** argv) {
  uv_loop_t loop;
  uv_thread_t thread;
  uint64_t t0, t1, t2;
  long i;

  bench_identify();
  n = bench_arg(argc, argv, 1, 1000000);
  rounds = bench_arg(argc, argv, 2, 3);
  CHECK(n % 7919 != 0);
  handles = malloc(n * sizeof(*handles));
  CHECK(handles != NULL);
  UVOK(uv_sem_init(&round_done, 0));
  UVOK(uv_loop_init(&loop));
  t0 = uv_hrtime();
  for (i = 0; i < n; i++) {
    UVOK(uv_async_init(&loop, &handles[i], async_cb));
    handles[i].data = NULL;
  }
  t1 = uv_hrtime();
  UVOK(uv_thread_create(&thread, producer, NULL));
  UVOK(uv_run(&loop, UV_RUN_DEFAULT));
  t2 = uv_hrtime();
  UVOK(uv_thread_join(&thread));
  CHECK(callbacks == n * rounds);
  CHECK(closed == n);
  UVOK(uv_loop_close(&loop));
  uv_sem_destroy(&round_done);
  free(handles);
  fprintf(stderr, "init %.3fs, rounds + close %.3fs\n", bench_seconds(t0, t1),
          bench_seconds(t1, t2));
  bench_result("million_async", n * rounds / bench_seconds(t0, t2), "callbacks/s", 1);
  return 0;
}
