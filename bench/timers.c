/* N timers: init + start all (pseudo-random timeouts 0..49 ms), sleep 50 ms (not timed, so
 * every timer is due and the fire phase measures dispatch, not waiting), run until every one
 * fired, close all, run until every close callback ran. Reports timers per second over the
 * timed phases; the phases go to stderr.
 *
 *   timers [n=1000000] */
#include "bench.h"

static long fired, closed;

static void timer_cb(uv_timer_t* h) {
  (void) h;
  fired++;
}

static void close_cb(uv_handle_t* h) {
  (void) h;
  closed++;
}

int main(int argc, char** argv) {
  uv_loop_t loop;
  uv_timer_t* timers;
  uint64_t t0, t1, t1b, t2, t3;
  uint32_t seed = 12345;
  long n, i;

  bench_identify();
  n = bench_arg(argc, argv, 1, 1000000);
  timers = malloc(n * sizeof(*timers));
  CHECK(timers != NULL);
  UVOK(uv_loop_init(&loop));

  t0 = uv_hrtime();
  for (i = 0; i < n; i++) {
    seed = seed * 1103515245u + 12345u;
    UVOK(uv_timer_init(&loop, &timers[i]));
    UVOK(uv_timer_start(&timers[i], timer_cb, (seed >> 16) % 50, 0));
  }
  t1 = uv_hrtime();
  uv_sleep(50);
  t1b = uv_hrtime();
  UVOK(uv_run(&loop, UV_RUN_DEFAULT));
  t2 = uv_hrtime();
  CHECK(fired == n);
  for (i = 0; i < n; i++)
    uv_close((uv_handle_t*) &timers[i], close_cb);
  UVOK(uv_run(&loop, UV_RUN_DEFAULT));
  t3 = uv_hrtime();
  CHECK(closed == n);
  UVOK(uv_loop_close(&loop));
  free(timers);

  fprintf(stderr, "start %.3fs, fire %.3fs, close %.3fs\n", bench_seconds(t0, t1),
          bench_seconds(t1b, t2), bench_seconds(t2, t3));
  bench_result("timers", n / (bench_seconds(t0, t1) + bench_seconds(t1b, t3)), "timers/s", 1);
  return 0;
}
