/* uv_queue_work round trips: K requests in flight; each after_work callback queues the next
 * until N have completed. K=1 measures the latency of one round trip (loop -> pool thread ->
 * loop), larger K the pool's throughput. Reports completed requests per second.
 *
 *   queue_work K [requests=200000] */
#include "bench.h"

static long total, submitted, completed;
static long worked; /* atomic */
static uv_loop_t loop;
static uv_work_t* reqs;

static void work_cb(uv_work_t* req) {
  (void) req;
  __atomic_add_fetch(&worked, 1, __ATOMIC_RELAXED);
}

static void after_cb(uv_work_t* req, int status);

static void submit(uv_work_t* req) {
  submitted++;
  UVOK(uv_queue_work(&loop, req, work_cb, after_cb));
}

static void after_cb(uv_work_t* req, int status) {
  UVOK(status);
  completed++;
  if (submitted < total)
    submit(req);
}

int main(int argc, char** argv) {
  uint64_t t0, t1;
  long k, i;

  bench_identify();
  k = bench_arg(argc, argv, 1, 1);
  total = bench_arg(argc, argv, 2, 200000);
  CHECK(k <= total);
  reqs = calloc(k, sizeof(*reqs));
  CHECK(reqs != NULL);
  UVOK(uv_loop_init(&loop));
  t0 = uv_hrtime();
  for (i = 0; i < k; i++)
    submit(&reqs[i]);
  UVOK(uv_run(&loop, UV_RUN_DEFAULT));
  t1 = uv_hrtime();
  CHECK(completed == total);
  CHECK(__atomic_load_n(&worked, __ATOMIC_RELAXED) == total);
  UVOK(uv_loop_close(&loop));
  free(reqs);
  bench_result("queue_work", total / bench_seconds(t0, t1), "reqs/s", 1);
  return 0;
}
