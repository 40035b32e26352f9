/* The async progress pattern: work on the threadpool reports progress to the loop thread
 * through uv_async_send, and the loop prints it. Sends coalesce, so the loop sees the
 * latest value, not necessarily every one. */
#include <stdio.h>
#include <uv.h>

#define CHUNKS 200

typedef struct {
  uv_async_t progress;
  uv_mutex_t lock;
  double fraction;   /* written by the worker, read by the loop, under lock */
  int updates_seen;
} job_t;

static void on_progress(uv_async_t* handle) {
  job_t* job = (job_t*) handle->data;
  double f;
  uv_mutex_lock(&job->lock);
  f = job->fraction;
  uv_mutex_unlock(&job->lock);
  job->updates_seen++;
  if (job->updates_seen % 20 == 1 || f >= 1.0)
    printf("  progress: %5.1f%%\n", f * 100.0);
}

static void download(uv_work_t* req) {
  job_t* job = (job_t*) req->data;
  int i;
  for (i = 1; i <= CHUNKS; i++) {
    uv_sleep(1); /* pretend to fetch a chunk */
    uv_mutex_lock(&job->lock);
    job->fraction = (double) i / CHUNKS;
    uv_mutex_unlock(&job->lock);
    uv_async_send(&job->progress);
  }
}

static void after_download(uv_work_t* req, int status) {
  job_t* job = (job_t*) req->data;
  printf("  download finished (status %d) after %d progress callbacks for %d sends\n",
         status, job->updates_seen, CHUNKS);
  /* The last send may still be pending: closing is fine, the handle is ours to close. */
  uv_close((uv_handle_t*) &job->progress, NULL);
}

int main(void) {
  uv_loop_t* loop = uv_default_loop();
  uv_work_t req;
  job_t job;

  job.fraction = 0;
  job.updates_seen = 0;
  uv_mutex_init(&job.lock);
  job.progress.data = &job;
  uv_async_init(loop, &job.progress, on_progress);
  req.data = &job;
  uv_queue_work(loop, &req, download, after_download);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_mutex_destroy(&job.lock);
  return uv_loop_close(loop) == 0 ? 0 : 1;
}
