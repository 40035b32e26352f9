/* C1 foundation: uv_hrtime, uv_clock_gettime, uv_gettimeofday, uv_sleep.
 *
 * Readings are bracketed by the system's own clocks taken just before and
 * just after, so a wrong clock source or unit fails.  uv_clock_gettime and
 * uv_timespec64_t appeared in libuv 1.45.0: not in Debian's 1.44.2 header. */
#include "test.h"

#include <uv.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static uint64_t mono_ns(void) {
  struct timespec ts;
  ASSERT_OK(clock_gettime(CLOCK_MONOTONIC, &ts));
  return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/* ---- uv_hrtime ---------------------------------------------------------------- */

TEST(clock_hrtime_non_decreasing) {
  uint64_t prev = uv_hrtime();
  int i;
  ASSERT_U64_GT(prev, 0);
  for (i = 0; i < 100000; i++) {
    uint64_t now = uv_hrtime();
    if (now < prev)
      TEST_FAIL("uv_hrtime went back: %llu then %llu",
                (unsigned long long) prev, (unsigned long long) now);
    prev = now;
  }
}

TEST(clock_hrtime_is_monotonic_nanoseconds) {
  /* Same clock and unit as CLOCK_MONOTONIC in nanoseconds. */
  int i;
  for (i = 0; i < 100; i++) {
    uint64_t before = mono_ns();
    uint64_t h = uv_hrtime();
    uint64_t after = mono_ns();
    ASSERT_U64_LE(before, h);
    ASSERT_U64_LE(h, after);
  }
}

TEST(clock_hrtime_advances) {
  uint64_t a = uv_hrtime();
  struct timespec d = { 0, 20 * 1000 * 1000 };
  uint64_t b;
  while (nanosleep(&d, &d) == -1 && errno == EINTR) {
  }
  b = uv_hrtime();
  ASSERT_U64_GE(b - a, UINT64_C(20000000));
  ASSERT_U64_LT(b - a, UINT64_C(5000000000));
}

/* ---- uv_clock_gettime ------------------------------------------------------------- */

#if UV_VERSION_HEX >= 0x012d00

static uint64_t real_ns(void) {
  struct timespec ts;
  ASSERT_OK(clock_gettime(CLOCK_REALTIME, &ts));
  return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

TEST(clock_gettime_monotonic) {
  uv_timespec64_t ts;
  uint64_t before, after, v;
  memset(&ts, 0xff, sizeof(ts));
  before = mono_ns();
  ASSERT_OK(uv_clock_gettime(UV_CLOCK_MONOTONIC, &ts));
  after = mono_ns();
  ASSERT_GE(ts.tv_sec, 0);
  ASSERT_GE(ts.tv_nsec, 0);
  ASSERT_LT(ts.tv_nsec, 1000000000);
  v = (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
  ASSERT_U64_LE(before, v);
  ASSERT_U64_LE(v, after);
  /* And it agrees with uv_hrtime. */
  ASSERT_U64_LE(v, uv_hrtime());
}

TEST(clock_gettime_realtime) {
  uv_timespec64_t ts;
  uint64_t before, after, v;
  time_t now;
  memset(&ts, 0xff, sizeof(ts));
  before = real_ns();
  ASSERT_OK(uv_clock_gettime(UV_CLOCK_REALTIME, &ts));
  after = real_ns();
  ASSERT_GE(ts.tv_nsec, 0);
  ASSERT_LT(ts.tv_nsec, 1000000000);
  v = (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
  ASSERT_U64_LE(before, v);
  ASSERT_U64_LE(v, after);
  /* Seconds since the epoch, like time(). */
  now = time(NULL);
  ASSERT_LE(ts.tv_sec, (long long) now);
  ASSERT_GE(ts.tv_sec, (long long) now - 2);
  ASSERT_GT(ts.tv_sec, 1600000000);   /* after September 2020 */
}

TEST(clock_gettime_monotonic_non_decreasing) {
  uv_timespec64_t a, b;
  int i;
  ASSERT_OK(uv_clock_gettime(UV_CLOCK_MONOTONIC, &a));
  for (i = 0; i < 10000; i++) {
    ASSERT_OK(uv_clock_gettime(UV_CLOCK_MONOTONIC, &b));
    ASSERT(b.tv_sec > a.tv_sec ||
           (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec));
    a = b;
  }
}

TEST(clock_gettime_invalid_clock) {
  uv_timespec64_t ts;
  memset(&ts, 0x5a, sizeof(ts));
  ASSERT_EQ(uv_clock_gettime((uv_clock_id) 2, &ts), UV_EINVAL);
  ASSERT_EQ(uv_clock_gettime((uv_clock_id) 42, &ts), UV_EINVAL);
  ASSERT_EQ(uv_clock_gettime((uv_clock_id) -1, &ts), UV_EINVAL);
  /* The output is left alone on failure. */
  ASSERT_EQ(ts.tv_sec, (int64_t) UINT64_C(0x5a5a5a5a5a5a5a5a));
  ASSERT_EQ(ts.tv_nsec, (int32_t) 0x5a5a5a5a);
}

TEST(clock_gettime_null_ts) {
  ASSERT_EQ(uv_clock_gettime(UV_CLOCK_MONOTONIC, NULL), UV_EFAULT);
  ASSERT_EQ(uv_clock_gettime(UV_CLOCK_REALTIME, NULL), UV_EFAULT);
  /* The NULL check comes first. */
  ASSERT_EQ(uv_clock_gettime((uv_clock_id) 42, NULL), UV_EFAULT);
}

TEST(clock_gettime_header_types) {
  ASSERT_EQ(UV_CLOCK_MONOTONIC, 0);
  ASSERT_EQ(UV_CLOCK_REALTIME, 1);
  ASSERT_EQ(sizeof(uv_timespec64_t), 16);
  ASSERT_EQ(sizeof(((uv_timespec64_t*) 0)->tv_sec), 8);
  ASSERT_EQ(sizeof(((uv_timespec64_t*) 0)->tv_nsec), 4);
}

#endif /* UV_VERSION_HEX >= 1.45.0 */

/* ---- uv_gettimeofday ------------------------------------------------------------ */

TEST(gettimeofday_value) {
  uv_timeval64_t tv;
  struct timeval before, after;
  uint64_t b, a, v;
  memset(&tv, 0xff, sizeof(tv));
  ASSERT_OK(gettimeofday(&before, NULL));
  ASSERT_OK(uv_gettimeofday(&tv));
  ASSERT_OK(gettimeofday(&after, NULL));
  ASSERT_GE(tv.tv_usec, 0);
  ASSERT_LT(tv.tv_usec, 1000000);
  b = (uint64_t) before.tv_sec * 1000000u + (uint64_t) before.tv_usec;
  a = (uint64_t) after.tv_sec * 1000000u + (uint64_t) after.tv_usec;
  v = (uint64_t) tv.tv_sec * 1000000u + (uint64_t) tv.tv_usec;
  ASSERT_U64_LE(b, v);
  ASSERT_U64_LE(v, a);
  ASSERT_LE(tv.tv_sec, (long long) time(NULL));
  ASSERT_GE(tv.tv_sec, (long long) time(NULL) - 2);
}

TEST(gettimeofday_null) {
  ASSERT_EQ(uv_gettimeofday(NULL), UV_EINVAL);
}

TEST(gettimeofday_header_type) {
  ASSERT_EQ(sizeof(uv_timeval64_t), 16);
  ASSERT_EQ(sizeof(((uv_timeval64_t*) 0)->tv_sec), 8);
  ASSERT_EQ(sizeof(((uv_timeval64_t*) 0)->tv_usec), 4);
}

/* ---- uv_sleep ------------------------------------------------------------------ */

TEST(sleep_at_least_requested) {
  uint64_t t0 = uv_hrtime();
  uint64_t dt;
  uv_sleep(50);
  dt = uv_hrtime() - t0;
  ASSERT_U64_GE(dt, UINT64_C(50000000));
  ASSERT_U64_LT(dt, UINT64_C(5000000000));
}

TEST(sleep_zero_returns) {
  uint64_t t0 = uv_hrtime();
  uv_sleep(0);
  ASSERT_U64_LT(uv_hrtime() - t0, UINT64_C(1000000000));
}

TEST(sleep_over_one_second) {
  /* Whole seconds and the millisecond remainder both count. */
  uint64_t t0 = uv_hrtime();
  uint64_t dt;
  uv_sleep(1250);
  dt = uv_hrtime() - t0;
  ASSERT_U64_GE(dt, UINT64_C(1250000000));
  ASSERT_U64_LT(dt, UINT64_C(6000000000));
}

static volatile sig_atomic_t sleep_alarms;

static void sleep_alarm_handler(int signum) {
  (void) signum;
  sleep_alarms++;
}

TEST(sleep_resumes_after_signal) {
  /* A signal handler without SA_RESTART interrupts nanosleep(); uv_sleep
   * still sleeps the full time. */
  struct sigaction sa;
  struct itimerval it;
  uint64_t t0, dt;

  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = sleep_alarm_handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  ASSERT_OK(sigaction(SIGALRM, &sa, NULL));

  memset(&it, 0, sizeof(it));
  it.it_value.tv_usec = 20000;       /* first alarm after 20 ms */
  it.it_interval.tv_usec = 30000;    /* then every 30 ms */
  ASSERT_OK(setitimer(ITIMER_REAL, &it, NULL));

  t0 = uv_hrtime();
  uv_sleep(200);
  dt = uv_hrtime() - t0;

  memset(&it, 0, sizeof(it));
  ASSERT_OK(setitimer(ITIMER_REAL, &it, NULL));

  ASSERT_GE(sleep_alarms, 2);
  ASSERT_U64_GE(dt, UINT64_C(200000000));
  ASSERT_U64_LT(dt, UINT64_C(5000000000));
}
