/* Self-test of the rsuv test framework (c-tests/runner): every assertion
 * macro in its passing form, plus TEST_SKIP and TEST_TIMEOUT.  No libuv
 * behaviour is tested here; <uv.h> is included only to prove that test.h
 * and uv.h coexist under -std=c11 and C++11. */
#include "test.h"

#include <uv.h>

#include <stdint.h>
#include <stdlib.h>

static int selftest_counter;

static void selftest_bump(void) {
  selftest_counter++;
}

TEST(runner_selftest_integer_asserts) {
  int neg = -4095;
  unsigned int u = 7;
  size_t sz = sizeof(uv_loop_t);
  int64_t big = INT64_C(1) << 40;

  ASSERT(1 + 1 == 2);
  ASSERT_EQ(neg, -4095);
  ASSERT_EQ(u, 7);
  ASSERT_NE(neg, 0);
  ASSERT_GT(sz, 0);
  ASSERT_GE(sz, sizeof(void*));
  ASSERT_LT(neg, u);        /* compared as long long: -4095 < 7 */
  ASSERT_LE(u, 7);
  ASSERT_EQ(big, INT64_C(1099511627776));
  ASSERT_OK(0);
  ASSERT_OK(neg + 4095);
}

TEST(runner_selftest_unsigned_asserts) {
  uint64_t huge = UINT64_MAX;
  ASSERT_U64_EQ(huge, UINT64_MAX);
  ASSERT_U64_GT(huge, 1);   /* would be -1 > 1 as long long */
  ASSERT_U64_GE(huge, huge);
  ASSERT_U64_LT(1, huge);
  ASSERT_U64_LE(0, 0);
  ASSERT_U64_NE(huge, 0);
}

TEST(runner_selftest_pointer_and_string_asserts) {
  const char* s = "hello";
  char buf[16];
  void* nothing = NULL;
  int x = 1;

  snprintf(buf, sizeof(buf), "%s", s);
  ASSERT_STR_EQ(buf, "hello");
  ASSERT_STR_EQ(s, buf);
  ASSERT_STR_NE(s, "world");
  ASSERT_STR_NE(s, NULL);
  ASSERT_STR_EQ((const char*) NULL, (const char*) NULL);
  ASSERT_NULL(nothing);
  ASSERT_NULL(NULL);
  ASSERT_NOT_NULL(&x);
  ASSERT_NOT_NULL(s);
  ASSERT_EQ(&x, &x);
  ASSERT_NE(&x, NULL);
  ASSERT_EQ(nothing, NULL);
}

TEST(runner_selftest_side_effects_evaluated_once) {
  int i = 0;
  selftest_counter = 0;
  ASSERT_EQ(i++, 0);
  ASSERT_EQ(i, 1);
  ASSERT_OK((selftest_bump(), 0));
  ASSERT_EQ(selftest_counter, 1);
  ASSERT_NOT_NULL((selftest_bump(), &i));
  ASSERT_EQ(selftest_counter, 2);
}

TEST(runner_selftest_runs_in_child) {
  /* Each test runs in a fresh child: state from other tests is not seen
   * (in RSUV_TEST_NOFORK mode this may legitimately differ). */
  const char* nofork = getenv("RSUV_TEST_NOFORK");
  if (nofork == NULL || nofork[0] == '\0' || nofork[0] == '0')
    ASSERT_EQ(selftest_counter, 0);
  printf("# diagnostic output from a test passes through\n");
}

TEST(runner_selftest_skip) {
  TEST_SKIP("demonstrates TEST_SKIP");
  TEST_FAIL("not reached");
}

TEST_TIMEOUT(runner_selftest_declared_timeout, 30) {
  ASSERT_EQ(UV_VERSION_MAJOR, 1);
}
