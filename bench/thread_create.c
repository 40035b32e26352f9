/* Thread create + join: N times uv_thread_create a thread that does nothing but bump a
 * counter, then uv_thread_join it. Reports threads per second.
 *
 *   thread_create [threads=20000] */
#include "bench.h"

static long ran;

static void body(void* arg) {
  (void) arg;
  __atomic_add_fetch(&ran, 1, __ATOMIC_RELAXED);
}

int main(int argc, char** argv) {
  uv_thread_t t;
  uint64_t t0, t1;
  long n, i;

  bench_identify();
  n = bench_arg(argc, argv, 1, 20000);
  t0 = uv_hrtime();
  for (i = 0; i < n; i++) {
    UVOK(uv_thread_create(&t, body, NULL));
    UVOK(uv_thread_join(&t));
  }
  t1 = uv_hrtime();
  CHECK(ran == n);
  bench_result("thread_create", n / bench_seconds(t0, t1), "threads/s", 1);
  return 0;
}
