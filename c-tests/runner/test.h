/*
 * rsuv C test framework.
 *
 * Usage:
 *
 *   #include "test.h"      (include it first: it enables POSIX/GNU declarations,
 *                          which <uv.h> needs under -std=c11)
 *   #include <uv.h>
 *
 *   TEST(timer_basic) {
 *     uv_loop_t loop;
 *     ASSERT_OK(uv_loop_init(&loop));
 *     ...
 *   }
 *
 *   TEST_TIMEOUT(slow_thing, 60) { ... }   (timeout in seconds)
 *
 * Every test runs in its own forked child process (see runner.c), so a
 * failed assertion, crash or hang only fails that test.  Test names are
 * global: two tests with the same name in different files fail to link.
 *
 * Assertions print a TAP diagnostic ("# file:line: ...") and end the test.
 * Integer assertions compare both operands converted to long long (so
 * pointers, enums, size_t and negative error codes all work without
 * sign-compare warnings); ASSERT_U64_* compare as unsigned long long.
 *
 * Compiles as C (C99/C11) and as C++ (C++11).
 */
#ifndef RSUV_TEST_H_
#define RSUV_TEST_H_

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*rsuv_test_fn)(void);

struct rsuv_test {
  const char* name;
  const char* file;
  int line;
  unsigned timeout;            /* seconds; 0 = runner default */
  rsuv_test_fn fn;
  struct rsuv_test* next;      /* filled in by the runner */
};

/* Implemented in runner.c. */
void rsuv_test_register(struct rsuv_test* t);
/* Called for every failed assertion; never returns.  A handy gdb breakpoint. */
#if defined(__GNUC__)
__attribute__((noreturn))
#endif
void rsuv_test_failed(void);
#if defined(__GNUC__)
__attribute__((noreturn))
#endif
void rsuv_test_skip(const char* file, int line, const char* reason);

#if defined(__GNUC__)
__attribute__((noreturn, format(printf, 3, 4)))
#endif
void rsuv_test_fail_msg(const char* file, int line, const char* fmt, ...);

#if defined(__GNUC__)
__attribute__((noreturn))
#endif
void rsuv_test_fail_ll(const char* file, int line, const char* what,
                       long long a, long long b);

#if defined(__GNUC__)
__attribute__((noreturn))
#endif
void rsuv_test_fail_ull(const char* file, int line, const char* what,
                        unsigned long long a, unsigned long long b);

#if defined(__GNUC__)
__attribute__((noreturn))
#endif
void rsuv_test_fail_str(const char* file, int line, const char* what,
                        const char* a, const char* b);

#ifdef __cplusplus
}
#endif

/* ---- test definition ---------------------------------------------------- */

/* The external symbol rsuv_test_name_<name> makes duplicate test names a
 * link error; the runner also checks at start-up. */
#define TEST_TIMEOUT(name, secs)                                              \
  static void rsuv_test_body_##name(void);                                    \
  extern const char rsuv_test_name_##name[];                                  \
  const char rsuv_test_name_##name[] = #name;                                 \
  static struct rsuv_test rsuv_test_desc_##name = {                           \
    rsuv_test_name_##name, __FILE__, __LINE__, (unsigned) (secs),             \
    rsuv_test_body_##name, NULL                                               \
  };                                                                          \
  __attribute__((constructor)) static void rsuv_test_ctor_##name(void) {     \
    rsuv_test_register(&rsuv_test_desc_##name);                               \
  }                                                                           \
  static void rsuv_test_body_##name(void)

#define TEST(name) TEST_TIMEOUT(name, 0)

/* Ends the test, reported as "ok N - name # SKIP reason". */
#define TEST_SKIP(reason) rsuv_test_skip(__FILE__, __LINE__, (reason))

/* Unconditional failure with a printf-style message. */
#define TEST_FAIL(...) rsuv_test_fail_msg(__FILE__, __LINE__, __VA_ARGS__)

/* ---- assertions ---------------------------------------------------------- */

#define ASSERT(cond)                                                          \
  do {                                                                        \
    if (!(cond))                                                              \
      rsuv_test_fail_msg(__FILE__, __LINE__, "ASSERT(%s) failed", #cond);     \
  } while (0)

#define RSUV_ASSERT_CMP_(name, a, op, b)                                      \
  do {                                                                        \
    long long rsuv_a_ = (long long) (a);                                      \
    long long rsuv_b_ = (long long) (b);                                      \
    if (!(rsuv_a_ op rsuv_b_))                                                \
      rsuv_test_fail_ll(__FILE__, __LINE__, name "(" #a ", " #b ")",          \
                        rsuv_a_, rsuv_b_);                                    \
  } while (0)

#define ASSERT_EQ(a, b) RSUV_ASSERT_CMP_("ASSERT_EQ", a, ==, b)
#define ASSERT_NE(a, b) RSUV_ASSERT_CMP_("ASSERT_NE", a, !=, b)
#define ASSERT_GE(a, b) RSUV_ASSERT_CMP_("ASSERT_GE", a, >=, b)
#define ASSERT_GT(a, b) RSUV_ASSERT_CMP_("ASSERT_GT", a, >, b)
#define ASSERT_LE(a, b) RSUV_ASSERT_CMP_("ASSERT_LE", a, <=, b)
#define ASSERT_LT(a, b) RSUV_ASSERT_CMP_("ASSERT_LT", a, <, b)

#define RSUV_ASSERT_UCMP_(name, a, op, b)                                     \
  do {                                                                        \
    unsigned long long rsuv_a_ = (unsigned long long) (a);                    \
    unsigned long long rsuv_b_ = (unsigned long long) (b);                    \
    if (!(rsuv_a_ op rsuv_b_))                                                \
      rsuv_test_fail_ull(__FILE__, __LINE__, name "(" #a ", " #b ")",         \
                         rsuv_a_, rsuv_b_);                                   \
  } while (0)

#define ASSERT_U64_EQ(a, b) RSUV_ASSERT_UCMP_("ASSERT_U64_EQ", a, ==, b)
#define ASSERT_U64_NE(a, b) RSUV_ASSERT_UCMP_("ASSERT_U64_NE", a, !=, b)
#define ASSERT_U64_GE(a, b) RSUV_ASSERT_UCMP_("ASSERT_U64_GE", a, >=, b)
#define ASSERT_U64_GT(a, b) RSUV_ASSERT_UCMP_("ASSERT_U64_GT", a, >, b)
#define ASSERT_U64_LE(a, b) RSUV_ASSERT_UCMP_("ASSERT_U64_LE", a, <=, b)
#define ASSERT_U64_LT(a, b) RSUV_ASSERT_UCMP_("ASSERT_U64_LT", a, <, b)

/* expr == 0; on failure prints the value (e.g. a UV_E* code). */
#define ASSERT_OK(expr)                                                       \
  do {                                                                        \
    long long rsuv_v_ = (long long) (expr);                                   \
    if (rsuv_v_ != 0)                                                         \
      rsuv_test_fail_msg(__FILE__, __LINE__, "ASSERT_OK(%s) failed: %lld",    \
                         #expr, rsuv_v_);                                     \
  } while (0)

#define ASSERT_STR_EQ(a, b)                                                   \
  do {                                                                        \
    const char* rsuv_sa_ = (a);                                               \
    const char* rsuv_sb_ = (b);                                               \
    if (rsuv_sa_ == NULL || rsuv_sb_ == NULL ?                                \
        rsuv_sa_ != rsuv_sb_ : strcmp(rsuv_sa_, rsuv_sb_) != 0)               \
      rsuv_test_fail_str(__FILE__, __LINE__, "ASSERT_STR_EQ(" #a ", " #b ")", \
                         rsuv_sa_, rsuv_sb_);                                 \
  } while (0)

#define ASSERT_STR_NE(a, b)                                                   \
  do {                                                                        \
    const char* rsuv_sa_ = (a);                                               \
    const char* rsuv_sb_ = (b);                                               \
    if (rsuv_sa_ == NULL || rsuv_sb_ == NULL ?                                \
        rsuv_sa_ == rsuv_sb_ : strcmp(rsuv_sa_, rsuv_sb_) == 0)               \
      rsuv_test_fail_str(__FILE__, __LINE__, "ASSERT_STR_NE(" #a ", " #b ")", \
                         rsuv_sa_, rsuv_sb_);                                 \
  } while (0)

#define ASSERT_NULL(p)                                                        \
  do {                                                                        \
    const void* rsuv_p_ = (const void*) (p);                                  \
    if (rsuv_p_ != NULL)                                                      \
      rsuv_test_fail_msg(__FILE__, __LINE__, "ASSERT_NULL(%s) failed: %p",    \
                         #p, rsuv_p_);                                        \
  } while (0)

#define ASSERT_NOT_NULL(p)                                                    \
  do {                                                                        \
    if ((const void*) (p) == NULL)                                            \
      rsuv_test_fail_msg(__FILE__, __LINE__, "ASSERT_NOT_NULL(%s) failed",    \
                         #p);                                                 \
  } while (0)

#endif /* RSUV_TEST_H_ */
