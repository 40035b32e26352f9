/* rsuv benchmarks: shared helpers (our own code; see bench/README.md).
 *
 * Every program is built twice from the same source: against rsuv's include/uv.h linked to
 * build/lib/libuv.so.1, and against Debian's /usr/include/uv.h linked to Debian's libuv 1.44.2.
 * Only API present in libuv 1.44.2 may be used.
 *
 * Output protocol (stdout), parsed by bench/run.py:
 *   VERSION <uv_version_string()>
 *   LIB <path of the shared object that provides uv_version_string>
 *   RESULT <name> <value> <unit> <higher_is_better: 1|0>
 *   PEAK_RSS_KIB <VmHWM of this process, read at the end>
 * Anything else (details, breakdowns) goes to stderr. A failed check exits with status 2. */
#ifndef RSUV_BENCH_H
#define RSUV_BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define CHECK(expr)                                                                   \
  do {                                                                                \
    if (!(expr)) {                                                                    \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr);       \
      exit(2);                                                                        \
    }                                                                                 \
  } while (0)

/* A libuv call that must return 0 (or >= 0). */
#define UVOK(call)                                                                    \
  do {                                                                                \
    int r_ = (call);                                                                  \
    if (r_ < 0) {                                                                     \
      fprintf(stderr, "%s:%d: %s failed: %s (%s)\n", __FILE__, __LINE__, #call,      \
              uv_err_name(r_), uv_strerror(r_));                                      \
      exit(2);                                                                        \
    }                                                                                 \
  } while (0)

/* Prints the identification lines; call first thing in main. */
static inline void bench_identify(void) {
  Dl_info info;
  const char* path = "?";
  if (dladdr((void*) &uv_version_string, &info) && info.dli_fname != NULL)
    path = info.dli_fname;
  printf("VERSION %s\nLIB %s\n", uv_version_string(), path);
  fflush(stdout);
}

/* argv[i] as a positive integer, or dflt when absent. */
static inline long bench_arg(int argc, char** argv, int i, long dflt) {
  char* end;
  long v;
  if (argc <= i)
    return dflt;
  v = strtol(argv[i], &end, 10);
  if (*end != '\0' || v <= 0) {
    fprintf(stderr, "bad argument %d: %s\n", i, argv[i]);
    exit(2);
  }
  return v;
}

static inline double bench_seconds(uint64_t t0, uint64_t t1) {
  return (double) (t1 - t0) / 1e9;
}

/* The peak resident set of this process image, from /proc/self/status (VmHWM). Unlike the
 * ru_maxrss a parent gets from wait4, it does not include the pre-exec image of the process
 * that forked us (a Python runner's RSS would otherwise hide small programs' peaks). */
static inline long bench_peak_rss_kib(void) {
  char line[256];
  long kib = -1;
  FILE* f = fopen("/proc/self/status", "r");
  if (f == NULL)
    return -1;
  while (fgets(line, sizeof(line), f) != NULL)
    if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
      break;
  fclose(f);
  return kib;
}

/* Call last, once the work is done and freed. */
static inline void bench_result(const char* name, double value, const char* unit,
                                int higher_is_better) {
  printf("RESULT %s %.6g %s %d\nPEAK_RSS_KIB %ld\n", name, value, unit,
         higher_is_better ? 1 : 0, bench_peak_rss_kib());
  fflush(stdout);
}

/* Closes whatever is still open on a loop and closes the loop (must succeed). */
static inline void bench_close_walk_cb(uv_handle_t* h, void* arg) {
  (void) arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

static inline void bench_loop_close(uv_loop_t* loop) {
  uv_walk(loop, bench_close_walk_cb, NULL);
  UVOK(uv_run(loop, UV_RUN_DEFAULT));
  UVOK(uv_loop_close(loop));
}

#endif
