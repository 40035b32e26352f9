/* Loop iterations per second with one idle handle: the idle callback counts iterations and
 * stops itself after N, so the loop spins through its phases N times without blocking.
 *
 *   loop_count [iterations=10000000] */
#include "bench.h"

static long target, count;

static void idle_cb(uv_idle_t* h) {
  if (++count == target)
    uv_idle_stop(h);
}

int main(int argc, char** argv) {
  uv_loop_t loop;
  uv_idle_t idle;
  uint64_t t0, t1;

  bench_identify();
  target = bench_arg(argc, argv, 1, 10000000);
  UVOK(uv_loop_init(&loop));
  UVOK(uv_idle_init(&loop, &idle));
  UVOK(uv_idle_start(&idle, idle_cb));
  t0 = uv_hrtime();
  UVOK(uv_run(&loop, UV_RUN_DEFAULT));
  t1 = uv_hrtime();
  CHECK(count == target);
  bench_loop_close(&loop);
  bench_result("loop_count", count / bench_seconds(t0, t1), "iter/s", 1);
  return 0;
}
